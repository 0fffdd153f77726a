/**
 * Subnet update and delete as Neutron does them. Update: name, description, gateway, pools (checked
 * again; addresses already handed out outside new pools stay), nameservers, routes, DHCP (the DHCP
 * port follows), service types; CIDR, version, network and modes are read-only. Delete: refused
 * while a port other than the DHCP port holds an address on the subnet (SLAAC subnets just drop
 * their automatic addresses), router interfaces always block.
 */
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { inUse, policyForbidden } from '../errors.js';
import { formatCidr, parseCidr, parseIp, type Cidr, type IpVersion } from '../ipam/ip.js';
import type { NetworkService } from '../service.js';
import { bad, notUpdatable, onlyKnown, optBool, optString, type Body } from '../validate.js';
import { canWriteSubnet, visibleSubnet } from './access.js';
import { bumpNetworkRevision, lockRow, ROUTER_INTERFACE_OWNERS } from './create.js';
import { DHCP_OWNER, syncDhcpPort } from './dhcp.js';
import { invalidOperation, parseGateway, parseHostRoutes, parseNameservers, parsePools, parseServiceTypes, toIp } from './input.js';
import type { Range } from './ranges.js';
import { checkDhcpCidr, checkGatewayOutOfPools, checkPools, checkSubnetFacts, isAutoAddress, poolsJson } from './rules.js';

const UPDATE_ATTRS = ['name', 'description', 'gateway_ip', 'allocation_pools', 'dns_nameservers', 'host_routes', 'enable_dhcp', 'service_types', 'segment_id'];
const READ_ONLY = ['id', 'cidr', 'ip_version', 'network_id', 'subnetpool_id', 'prefixlen', 'ipv6_ra_mode', 'ipv6_address_mode', 'tenant_id', 'project_id',
  'use_default_subnetpool', 'created_at', 'updated_at', 'revision_number', 'tags'];

/** Owners whose addresses go away with the subnet instead of keeping it in use. */
const AUTO_DELETE_OWNERS = [DHCP_OWNER, 'network:distributed', 'network:floatingip_agent_gateway'];

function storedPools(row: SubnetRow): Range[] {
  return (JSON.parse(row.allocation_pools) as { start: string; end: string }[])
    .map((p) => ({ first: parseIp(p.start)?.value ?? 0n, last: parseIp(p.end)?.value ?? -1n }));
}

export async function updateSubnet(service: NetworkService, ctx: AuthContext, tx: Tx, id: string, item: Body): Promise<SubnetRow> {
  notUpdatable(item, READ_ONLY);
  onlyKnown(item, UPDATE_ATTRS);
  const name = optString(item, 'name');
  const description = optString(item, 'description');
  const enableDhcp = optBool(item, 'enable_dhcp');
  const gateway = parseGateway(item.gateway_ip);
  const pools = parsePools(item.allocation_pools);
  const dns = parseNameservers(item.dns_nameservers);
  const hostRoutes = parseHostRoutes(item.host_routes);
  const serviceTypes = parseServiceTypes(item.service_types);

  const { subnet, network } = await visibleSubnet(service, ctx, id, tx);
  if (!canWriteSubnet(ctx, subnet, network)) throw policyForbidden('update_subnet');
  if (!isAdmin(ctx) && serviceTypes !== undefined) throw policyForbidden('update_subnet:service_types');
  if (item.segment_id !== undefined) {
    if (!isAdmin(ctx)) throw policyForbidden('update_subnet:segment_id');
    if (item.segment_id !== subnet.segment_id) throw bad('Cannot update read-only attribute segment_id');
  }
  const cidr = parseCidr(subnet.cidr) as Cidr;
  const ipVersion = subnet.ip_version as IpVersion;
  checkSubnetFacts({ ipVersion, cidr, gateway, dns, hostRoutes, subnetId: subnet.id });
  if (enableDhcp === true && subnet.enable_dhcp === 0) checkDhcpCidr(cidr);
  if (enableDhcp === false && (subnet.ipv6_ra_mode || subnet.ipv6_address_mode)) throw invalidOperation('Cannot disable enable_dhcp with ipv6 attributes set');

  const current = subnet.gateway_ip ? toIp(subnet.gateway_ip) : null;
  const newGateway = gateway === undefined ? current : gateway;
  const gatewayChanged = (newGateway?.text ?? null) !== (current?.text ?? null);
  if (gatewayChanged && current) {
    const routerPort = await tx.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id').select('ports.id')
      .where('ip_allocations.subnet_id', '=', subnet.id).where('ip_allocations.ip_address', '=', current.text)
      .where('ports.device_owner', 'in', ROUTER_INTERFACE_OWNERS).executeTakeFirst();
    if (routerPort) {
      throw new ApiError('conflict', `Current gateway ip ${current.text} already in use by port ${routerPort.id}. Unable to update.`, { type: 'GatewayIpInUse' });
    }
  }
  const ranges = pools === undefined ? undefined : checkPools(pools, cidr);
  if ((gatewayChanged || ranges) && newGateway) checkGatewayOutOfPools(newGateway, ranges ?? storedPools(subnet));

  const changes: Partial<SubnetRow> = {};
  if (name !== undefined) changes.name = name;
  if (description !== undefined) changes.description = description;
  if (gateway !== undefined) changes.gateway_ip = gateway?.text ?? null;
  if (ranges) changes.allocation_pools = JSON.stringify(poolsJson(cidr.version, ranges));
  if (dns) changes.dns_nameservers = JSON.stringify(dns.map((d) => d.text));
  if (hostRoutes) changes.host_routes = JSON.stringify(hostRoutes.map((r) => ({ destination: formatCidr(r.destination), nexthop: r.nexthop.text })));
  if (serviceTypes) changes.service_types = JSON.stringify(serviceTypes);
  if (enableDhcp !== undefined) changes.enable_dhcp = enableDhcp ? 1 : 0;
  const updated: SubnetRow = { ...subnet, ...changes, updated_at: nowIso(), revision_number: subnet.revision_number + 1 };
  await tx.updateTable('subnets').set({ ...changes, updated_at: updated.updated_at, revision_number: updated.revision_number }).where('id', '=', id).execute();
  await bumpNetworkRevision(tx, network.id);
  if (enableDhcp !== undefined && (enableDhcp ? 1 : 0) !== subnet.enable_dhcp) {
    await lockRow(service, tx, 'networks', network.id);
    await syncDhcpPort(tx, network.id);
  }
  return updated;
}

export const subnetInUse = (id: string) =>
  inUse('SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);

/** Deletes a subnet and the automatic addresses on it; SubnetInUse while other ports use it. */
export async function deleteSubnetRows(tx: Tx, subnet: SubnetRow): Promise<void> {
  const holders = await tx.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
    .select(['ports.id', 'ports.device_owner']).where('ip_allocations.subnet_id', '=', subnet.id).execute();
  const auto = isAutoAddress(subnet);
  const blocking = holders.filter((h) => ROUTER_INTERFACE_OWNERS.includes(h.device_owner) || (!auto && !AUTO_DELETE_OWNERS.includes(h.device_owner)));
  if (blocking.length) {
    throw subnetInUse(subnet.id);
  }
  const touched = [...new Set(holders.map((h) => h.id))];
  await tx.deleteFrom('ip_allocations').where('subnet_id', '=', subnet.id).execute();
  if (touched.length) {
    await tx.updateTable('ports').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowIso() })).where('id', 'in', touched).execute();
  }
  await tx.deleteFrom('resource_tags').where('resource_id', '=', subnet.id).execute();
  await tx.deleteFrom('subnets').where('id', '=', subnet.id).execute();
  await bumpNetworkRevision(tx, subnet.network_id);
  await syncDhcpPort(tx, subnet.network_id);
}
