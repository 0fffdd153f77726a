/**
 * Subnet creation, in Neutron's order: attributes parse, the network is visible and owned (or the
 * caller is admin), quota, CIDR or subnet-pool prefix, gateway and pools, no overlap on the
 * network, then the row, EUI-64 addresses for existing ports on SLAAC subnets, and the DHCP port.
 */
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { NetworkRow, SubnetPoolRow, SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { policyForbidden } from '../errors.js';
import { formatCidr, formatIp, parseCidr, type Cidr, type IpVersion } from '../ipam/ip.js';
import { allocateSpecific } from '../ipam/allocator.js';
import { eui64 } from '../ports/create.js';
import { owningProject, requireMember } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { visibleNetwork } from '../routes/networks.js';
import type { NetworkService } from '../service.js';
import { bad, isUuid, onlyKnown, optBool, optInt, optString, type Body } from '../validate.js';
import { visibleSubnetPool } from './access.js';
import { syncDhcpPort } from './dhcp.js';
import {
  badResource, invalidAttr, invalidOperation, parseGateway, parseHostRoutes, parseIpVersion, parseIpv6Mode, parseNameservers,
  parsePools, parseServiceTypes, parseSubnetCidr, type Ip,
} from './input.js';
import { allocateAnyPrefix, availablePrefixes, checkPrefixBounds, checkSpecificPrefix, parseStoredCidrs, quotaUnits } from './prefixes.js';
import { cidrRange, rangesIntersect } from './ranges.js';
import {
  checkDhcpCidr, checkGatewayOutOfPools, checkIpv6Modes, checkNetworkMtu, checkPools, checkSubnetFacts, defaultGateway, defaultPools, isAutoAddress, poolsJson,
} from './rules.js';

const CREATE_ATTRS = ['name', 'description', 'ip_version', 'network_id', 'subnetpool_id', 'prefixlen', 'cidr', 'gateway_ip', 'allocation_pools',
  'dns_nameservers', 'host_routes', 'tenant_id', 'project_id', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'service_types', 'segment_id',
  'use_default_subnetpool'];

/** Device owners whose ports do not get SLAAC addresses automatically (router interfaces and SNAT). */
export const ROUTER_INTERFACE_OWNERS = ['network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed'];
const ROUTER_INTERFACE_OWNERS_SNAT = [...ROUTER_INTERFACE_OWNERS, 'network:router_centralized_snat'];

const required = (attribute: string) => bad(`Failed to parse request. Required attribute '${attribute}' not specified`);

function optUuidOrNull(item: Body, attribute: string): string | null | undefined {
  const value = item[attribute];
  if (value === undefined || value === null) return value as undefined | null;
  if (!isUuid(value)) throw invalidAttr(attribute, `'${String(value)}' is not a valid UUID`);
  return value.toLowerCase();
}

/** Serialises writers on one row under PostgreSQL (SQLite already runs one writer at a time). */
export async function lockRow(service: NetworkService, tx: Tx, table: 'networks' | 'subnetpools', id: string): Promise<void> {
  if (service.store.dialect === 'postgres') await tx.selectFrom(table).select('id').where('id', '=', id).forUpdate().execute();
}

async function resolvePool(ctx: AuthContext, tx: Tx, item: Body, ipVersion: IpVersion, cidr: Cidr | null): Promise<SubnetPoolRow | null> {
  const poolId = optUuidOrNull(item, 'subnetpool_id');
  const useDefault = optBool(item, 'use_default_subnetpool') ?? false;
  if (useDefault && poolId) throw badResource('subnets', 'subnetpool_id and use_default_subnetpool cannot both be specified');
  let pool: SubnetPoolRow | null = null;
  if (poolId) {
    pool = await visibleSubnetPool(ctx, poolId, tx);
  } else if (useDefault) {
    const version = cidr?.version ?? ipVersion;
    const defaults = await tx.selectFrom('subnetpools').selectAll().where('is_default', '=', 1).where('ip_version', '=', version).execute();
    pool = defaults.find((p) => isAdmin(ctx) || p.project_id === ctx.projectId || p.shared === 1) ?? null;
    if (!pool) throw badResource('subnets', `No default subnetpool found for IPv${version}`);
  }
  if (pool && pool.ip_version !== ipVersion) {
    throw badResource('subnets', `Cannot allocate IPv${ipVersion} subnet from IPv${pool.ip_version} subnet pool`);
  }
  return pool;
}

/** Takes the subnet's CIDR from the pool (any block of the asked size, or the asked CIDR if free). */
async function allocateFromPool(service: NetworkService, tx: Tx, pool: SubnetPoolRow, projectId: string, cidr: Cidr | null, prefixLength: number): Promise<Cidr> {
  await lockRow(service, tx, 'subnetpools', pool.id);
  checkPrefixBounds(cidr?.prefixLength ?? prefixLength, pool.min_prefixlen, pool.max_prefixlen);
  const taken = await tx.selectFrom('subnets').select(['cidr', 'project_id']).where('subnetpool_id', '=', pool.id).execute();
  const version = pool.ip_version as IpVersion;
  if (pool.default_quota !== null && pool.default_quota > 0) {
    const used = taken.filter((s) => s.project_id === projectId).reduce((n, s) => n + quotaUnits(version, parseCidr(s.cidr)?.prefixLength ?? 0), 0);
    if (used + quotaUnits(version, cidr?.prefixLength ?? prefixLength) > pool.default_quota) {
      throw new ApiError('conflict', 'Per-project subnet pool prefix quota exceeded.', { type: 'SubnetPoolQuotaExceeded' });
    }
  }
  const available = availablePrefixes(parseStoredCidrs(JSON.parse(pool.prefixes) as string[]), parseStoredCidrs(taken.map((s) => s.cidr)), version);
  if (cidr) {
    checkSpecificPrefix(available, cidr);
    return cidr;
  }
  return allocateAnyPrefix(available, prefixLength);
}

async function checkNetworkSubnets(tx: Tx, network: NetworkRow, cidr: Cidr, pool: SubnetPoolRow | null): Promise<void> {
  if (cidr.prefixLength === 0) throw invalidOperation('0 is not allowed as CIDR prefix length');
  const others = await tx.selectFrom('subnets').select(['cidr', 'ip_version', 'subnetpool_id']).where('network_id', '=', network.id).execute();
  for (const o of others) {
    const existing = parseCidr(o.cidr);
    if (existing && existing.version === cidr.version && rangesIntersect(cidrRange(existing), cidrRange(cidr))) {
      throw invalidOperation(`Requested subnet with cidr: ${formatCidr(cidr)} for network: ${network.id} overlaps with another subnet`);
    }
  }
  // Subnets of one IP version on a network come from one pool, or none from a pool.
  if (others.some((o) => o.ip_version === cidr.version && o.subnetpool_id !== (pool?.id ?? null))) {
    throw new ApiError('badRequest', 'Subnets hosted on the same network must be allocated from the same subnet pool.', { type: 'NetworkSubnetPoolAffinityError' });
  }
}

/** Gives every port of the network (router interfaces aside) its EUI-64 address on a new SLAAC subnet. */
async function addAutoAddresses(tx: Tx, subnet: SubnetRow): Promise<void> {
  const ports = await tx.selectFrom('ports').select(['id', 'mac_address', 'device_owner', 'revision_number']).where('network_id', '=', subnet.network_id).execute();
  for (const p of ports) {
    if (ROUTER_INTERFACE_OWNERS_SNAT.includes(p.device_owner)) continue;
    const address = eui64(subnet.cidr, p.mac_address);
    if (address === null) continue;
    const taken = await tx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnet.id).where('ip_address', '=', address).executeTakeFirst();
    if (taken) continue;
    await allocateSpecific(tx, subnet, address, p.id);
    await tx.updateTable('ports').set({ revision_number: p.revision_number + 1, updated_at: nowIso() }).where('id', '=', p.id).execute();
  }
}

export async function bumpNetworkRevision(tx: Tx, networkId: string): Promise<void> {
  await tx.updateTable('networks').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowIso() })).where('id', '=', networkId).execute();
}

export async function createSubnet(service: NetworkService, ctx: AuthContext, tx: Tx, item: Body): Promise<SubnetRow> {
  onlyKnown(item, CREATE_ATTRS);
  if (item.network_id === undefined) throw required('network_id');
  if (item.ip_version === undefined) throw required('ip_version');
  const ipVersion = parseIpVersion(item.ip_version);
  if (!isUuid(item.network_id)) throw invalidAttr('network_id', `'${String(item.network_id)}' is not a valid UUID`);
  const name = optString(item, 'name') ?? '';
  const description = optString(item, 'description') ?? '';
  const enableDhcp = optBool(item, 'enable_dhcp') ?? true;
  const askedCidr = item.cidr === undefined || item.cidr === null ? null : parseSubnetCidr(item.cidr);
  const prefixLength = optInt(item, 'prefixlen');
  if (prefixLength !== undefined && prefixLength !== null && prefixLength < 0) throw invalidAttr('prefixlen', `'${prefixLength}' should be non-negative`);
  const gateway = parseGateway(item.gateway_ip);
  const pools = parsePools(item.allocation_pools);
  const dns = parseNameservers(item.dns_nameservers) ?? [];
  const hostRoutes = parseHostRoutes(item.host_routes) ?? [];
  const raMode = parseIpv6Mode(item.ipv6_ra_mode, 'ipv6_ra_mode') ?? null;
  const addressMode = parseIpv6Mode(item.ipv6_address_mode, 'ipv6_address_mode') ?? null;
  const serviceTypes = parseServiceTypes(item.service_types);
  const segmentId = optUuidOrNull(item, 'segment_id') ?? null;

  requireMember(ctx, 'create_subnet');
  const projectId = owningProject(ctx, item, 'create_subnet');
  const network = await visibleNetwork(service, ctx, item.network_id, tx);
  if (!isAdmin(ctx) && network.project_id !== ctx.projectId) throw policyForbidden('create_subnet');
  if (!isAdmin(ctx) && serviceTypes !== undefined) throw policyForbidden('create_subnet:service_types');
  if (!isAdmin(ctx) && segmentId !== null) throw policyForbidden('create_subnet:segment_id');
  await checkQuota(tx, projectId, 'subnet');

  if (askedCidr && prefixLength !== undefined && prefixLength !== null) throw badResource('subnets', 'cidr and prefixlen must not be supplied together');
  const pool = await resolvePool(ctx, tx, item, ipVersion, askedCidr);
  if (!pool && !askedCidr) throw badResource('subnets', 'a subnetpool must be specified in the absence of a cidr');
  const anyRequest = pool !== null && !askedCidr && !gateway;
  if (anyRequest && pools !== undefined) throw badResource('subnets', 'allocation_pools allowed only for specific subnet requests.');
  if (segmentId !== null) {
    const segment = await tx.selectFrom('network_segments').select('network_id').where('id', '=', segmentId).executeTakeFirst();
    if (!segment || segment.network_id !== network.id) throw new ApiError('notFound', `Segment ${segmentId} could not be found.`, { type: 'SegmentNotFound' });
  }
  checkSubnetFacts({ ipVersion, cidr: askedCidr, gateway, dns, hostRoutes });
  if (askedCidr && enableDhcp) checkDhcpCidr(askedCidr);
  checkIpv6Modes(ipVersion, askedCidr, enableDhcp, raMode, addressMode);
  checkNetworkMtu(network.id, network.mtu, ipVersion);

  let cidr = askedCidr;
  if (pool) {
    // A gateway without a CIDR names the block: gateway/prefixlen.
    const wanted = cidr ?? (gateway ? parseCidr(`${gateway.text}/${prefixLength ?? pool.default_prefixlen}`) : null);
    cidr = await allocateFromPool(service, tx, pool, projectId, wanted, prefixLength ?? pool.default_prefixlen);
    if (gateway) checkSubnetFacts({ ipVersion, cidr, gateway });
  }
  if (!cidr) throw new Error('unreachable: subnet without a CIDR');
  let gatewayIp: Ip | null;
  if (gateway !== undefined) gatewayIp = gateway;
  else {
    const value = anyRequest ? cidr.network + 1n : defaultGateway(cidr);
    gatewayIp = { version: cidr.version, value, text: formatIp(cidr.version, value) };
  }
  let ranges;
  if (pools === undefined) {
    ranges = defaultPools(cidr, gatewayIp?.value ?? null);
  } else {
    ranges = checkPools(pools, cidr);
    if (gatewayIp) checkGatewayOutOfPools(gatewayIp, ranges);
  }

  await lockRow(service, tx, 'networks', network.id);
  await checkNetworkSubnets(tx, network, cidr, pool);
  const now = nowIso();
  const row: SubnetRow = {
    id: uuid(), project_id: projectId, network_id: network.id, name, description, ip_version: ipVersion, cidr: formatCidr(cidr),
    gateway_ip: gatewayIp?.text ?? null, enable_dhcp: enableDhcp ? 1 : 0, ipv6_ra_mode: raMode, ipv6_address_mode: addressMode,
    subnetpool_id: pool?.id ?? null, segment_id: segmentId,
    dns_nameservers: JSON.stringify(dns.map((d) => d.text)),
    host_routes: JSON.stringify(hostRoutes.map((r) => ({ destination: formatCidr(r.destination), nexthop: r.nexthop.text }))),
    allocation_pools: JSON.stringify(poolsJson(cidr.version, ranges)),
    service_types: JSON.stringify(serviceTypes ?? []), dns_publish_fixed_ip: 0,
    created_at: now, updated_at: now, revision_number: 0,
  };
  await tx.insertInto('subnets').values(row).execute();
  await bumpNetworkRevision(tx, network.id);
  if (isAutoAddress(row)) await addAutoAddresses(tx, row);
  if (enableDhcp) await syncDhcpPort(tx, network.id);
  return row;
}
