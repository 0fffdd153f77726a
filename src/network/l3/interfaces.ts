/**
 * Router interfaces: add by subnet (a new port holding the subnet's gateway address; an IPv6
 * subnet joins the router's existing IPv6 port on that network) or by an unbound port of the
 * caller's, and remove by port or by subnet, with the checks Neutron makes. The answer is
 * Neutron's interface info: {id, tenant_id, project_id, port_id, network_id, subnet_id, subnet_ids}.
 */
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { RouterRow } from '../../store/schema-l3.js';
import type { SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { isPlainObject } from '../../util/json.js';
import { nowIso } from '../../util/ids.js';
import { parseIp } from '../ipam/ip.js';
import { allocateRequested, createPort } from '../ports/create.js';
import { deletePortRows } from '../ports/delete.js';
import { visiblePort } from '../ports/access.js';
import type { NetworkService } from '../service.js';
import { visibleSubnet } from '../subnets/access.js';
import { isUuid } from '../validate.js';
import { interfaceOwner, INTERFACE_OWNERS } from './access.js';
import { badL3Request, interfaceNotFound, interfaceNotFoundForSubnet, portInUse, subnetMismatchForPort } from './errors.js';
import { checkInterfaceNotInUse, checkNewSubnets, routerPorts, subnetsById, type RouterPort } from './router-ports.js';

export interface InterfaceInfo {
  readonly id: string;
  readonly tenant_id: string;
  readonly project_id: string;
  readonly port_id: string;
  readonly network_id: string;
  readonly subnet_id: string;
  readonly subnet_ids: string[];
}

function info(router: RouterRow, port: { id: string; project_id: string; network_id: string }, subnets: readonly SubnetRow[], main: SubnetRow): InterfaceInfo {
  return {
    id: router.id, tenant_id: port.project_id, project_id: port.project_id, port_id: port.id, network_id: port.network_id,
    subnet_id: main.id, subnet_ids: subnets.map((s) => s.id),
  };
}

/** {subnet_id} or {port_id} (both only for removal), each a UUID. */
export function parseInterfaceBody(body: unknown, removal: boolean): { portId?: string; subnetId?: string } {
  if (!isPlainObject(body) || (body.port_id === undefined && body.subnet_id === undefined)) {
    throw badL3Request('router', 'Either subnet_id or port_id must be specified');
  }
  for (const key of ['port_id', 'subnet_id'] as const) {
    if (body[key] !== undefined && !isUuid(body[key])) throw badL3Request('router', `'${String(body[key])}' is not a valid UUID`);
  }
  if (!removal && body.port_id !== undefined && body.subnet_id !== undefined) throw badL3Request('router', 'Cannot specify both subnet-id and port-id');
  return { portId: body.port_id as string | undefined, subnetId: body.subnet_id as string | undefined };
}

/** An IPv6 subnet whose RAs come from a router outside Neutron cannot be routed by Neutron. */
function checkAddressMode(subnet: SubnetRow): void {
  if (subnet.ip_version === 6 && !subnet.ipv6_ra_mode && subnet.ipv6_address_mode) {
    throw badL3Request('router', `IPv6 subnet ${subnet.id} configured to receive RAs from an external router cannot be added to Neutron Router.`.replace(/\.$/, ''));
  }
}

const hasIpv6 = (p: Pick<RouterPort, 'fixedIps'>) => p.fixedIps.some((ip) => ip.ip_address.includes(':'));

async function addBySubnet(service: NetworkService, ctx: AuthContext, tx: Tx, router: RouterRow, subnetId: string, owner: string): Promise<InterfaceInfo> {
  const { subnet } = await visibleSubnet(service, ctx, subnetId, tx);
  if (!subnet.gateway_ip) throw badL3Request('router', 'Subnet for router interface must have a gateway IP');
  if (!isAdmin(ctx) && subnet.project_id !== ctx.projectId) {
    // Only a subnet shared with the caller's project by an RBAC policy may be attached by others (not a globally shared one).
    const grant = await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', 'network').where('object_id', '=', subnet.network_id)
      .where('action', '=', 'access_as_shared').where('target_tenant', '=', ctx.projectId ?? '').executeTakeFirst();
    if (!grant) throw badL3Request('router', `Cannot add interface to router because subnet ${subnet.id} is not owned by project making the request`);
  }
  checkAddressMode(subnet);
  const ports = await routerPorts(tx, router.id);
  await checkNewSubnets(tx, ports, [subnet]);
  if (subnet.ip_version === 6) {
    const existing = ports.find((p) => p.deviceOwner === owner && p.networkId === subnet.network_id && hasIpv6(p));
    if (existing) {
      const port = await tx.selectFrom('ports').selectAll().where('id', '=', existing.portId).executeTakeFirstOrThrow();
      await allocateRequested(tx, port.id, port.network_id, port.mac_address, port.device_owner, [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }]);
      await tx.updateTable('ports').set({ revision_number: port.revision_number + 1, updated_at: nowIso() }).where('id', '=', port.id).execute();
      return info(router, port, [subnet], subnet);
    }
  }
  const port = await createPort(tx, {
    networkId: subnet.network_id, projectId: router.project_id, name: '', deviceId: router.id, deviceOwner: owner, adminStateUp: true,
    fixedIps: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
  });
  await tx.insertInto('router_ports').values({ port_id: port.id, router_id: router.id, port_type: owner }).execute();
  return info(router, port, [subnet], subnet);
}

async function addByPort(ctx: AuthContext, tx: Tx, router: RouterRow, portId: string, owner: string): Promise<InterfaceInfo> {
  const { port } = await visiblePort(ctx, portId, tx);
  if (port.device_id !== '') throw portInUse(port.id, port.network_id, port.device_id);
  const fixed = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', port.id).execute();
  if (fixed.length === 0) throw badL3Request('router', 'Router port must have at least one fixed IP');
  const subnetMap = await subnetsById(tx, fixed.map((f) => f.subnet_id));
  const subnets = [...subnetMap.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  subnets.forEach(checkAddressMode);
  const ports = await routerPorts(tx, router.id);
  if (fixed.some((f) => f.ip_address.includes(':'))) {
    const other = ports.find((p) => p.networkId === port.network_id && hasIpv6(p));
    if (other) {
      throw badL3Request('router', `Router already contains IPv6 port ${other.portId} belonging to network id ${port.network_id}. Only one IPv6 port from the same network subnet can be connected to a router`);
    }
  }
  await checkNewSubnets(tx, ports, subnets);
  if (subnets.filter((s) => s.ip_version === 4).length > 1) throw badL3Request('router', 'Cannot have multiple IPv4 subnets on router port');
  if (!isAdmin(ctx)) {
    for (const f of fixed) {
      const s = subnetMap.get(f.subnet_id) as SubnetRow;
      const ip = parseIp(f.ip_address)?.value ?? -1n;
      const inPool = (JSON.parse(s.allocation_pools) as { start: string; end: string }[])
        .some((p) => (parseIp(p.start)?.value ?? 0n) <= ip && ip <= (parseIp(p.end)?.value ?? -1n));
      if (!inPool && s.project_id !== ctx.projectId) {
        throw badL3Request('router', `Cannot add interface to router because specified port ${port.id} has an IP address out of the allocation pool of subnet ${s.id}, which is not owned by the project making the request`);
      }
    }
  }
  await tx.updateTable('ports').set({ device_id: router.id, device_owner: owner, revision_number: port.revision_number + 1, updated_at: nowIso() })
    .where('id', '=', port.id).execute();
  await tx.insertInto('router_ports').values({ port_id: port.id, router_id: router.id, port_type: owner }).execute();
  return info(router, port, subnets, subnets[subnets.length - 1] as SubnetRow);
}

export async function addInterface(service: NetworkService, ctx: AuthContext, tx: Tx, router: RouterRow, body: unknown): Promise<InterfaceInfo> {
  const { portId, subnetId } = parseInterfaceBody(body, false);
  const owner = interfaceOwner(router);
  return portId !== undefined ? addByPort(ctx, tx, router, portId, owner) : addBySubnet(service, ctx, tx, router, subnetId as string, owner);
}

export async function removeInterface(service: NetworkService, ctx: AuthContext, tx: Tx, router: RouterRow, body: unknown): Promise<InterfaceInfo> {
  const { portId, subnetId } = parseInterfaceBody(body, true);
  const interfaces = (await routerPorts(tx, router.id)).filter((p) => (INTERFACE_OWNERS as readonly string[]).includes(p.portType));
  if (portId !== undefined) {
    const found = interfaces.find((p) => p.portId === portId);
    if (!found) throw interfaceNotFound(router.id, portId);
    const subnetIds = found.fixedIps.map((ip) => ip.subnet_id);
    if (subnetId !== undefined && !subnetIds.includes(subnetId)) throw subnetMismatchForPort(portId, subnetId);
    const subnets = [...(await subnetsById(tx, subnetIds)).values()];
    for (const s of subnets) await checkInterfaceNotInUse(tx, router.id, s);
    const port = await tx.selectFrom('ports').select(['id', 'project_id', 'network_id']).where('id', '=', portId).executeTakeFirstOrThrow();
    await deletePortRows(tx, [portId]);
    return info(router, port, subnets, (subnets.find((s) => s.id === subnetId) ?? subnets[0]) as SubnetRow);
  }
  const { subnet } = await visibleSubnet(service, ctx, subnetId as string, tx);
  const onNetwork = interfaces.filter((p) => p.networkId === subnet.network_id);
  if (onNetwork.length) await checkInterfaceNotInUse(tx, router.id, subnet);
  for (const p of onNetwork) {
    if (!p.fixedIps.some((ip) => ip.subnet_id === subnet.id)) continue;
    const port = await tx.selectFrom('ports').select(['id', 'project_id', 'network_id', 'revision_number']).where('id', '=', p.portId).executeTakeFirstOrThrow();
    if (new Set(p.fixedIps.map((ip) => ip.subnet_id)).size > 1) {
      // A multi-prefix (IPv6) port only loses this subnet's address.
      await tx.deleteFrom('ip_allocations').where('port_id', '=', port.id).where('subnet_id', '=', subnet.id).execute();
      await tx.updateTable('ports').set({ revision_number: port.revision_number + 1, updated_at: nowIso() }).where('id', '=', port.id).execute();
    } else {
      await deletePortRows(tx, [port.id]);
    }
    return info(router, port, [subnet], subnet);
  }
  throw interfaceNotFoundForSubnet(router.id, subnet.id);
}
