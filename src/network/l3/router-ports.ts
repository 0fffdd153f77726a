/**
 * A router's ports (interfaces and gateway) with their addresses and subnets, and the checks
 * Neutron makes on them: one router port per subnet, no two connected subnets that overlap
 * (an external network counts with all its subnets), and extra routes that must stay reachable.
 */
import type { SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIp } from '../ipam/ip.js';
import { badL3Request, interfaceInUseByFloatingIp, interfaceInUseByRoute } from './errors.js';
import { GATEWAY_OWNER } from './access.js';

export interface RouterPort {
  readonly portId: string;
  readonly portType: string;
  readonly networkId: string;
  readonly deviceOwner: string;
  readonly fixedIps: { subnet_id: string; ip_address: string }[];
}

export async function routerPorts(tx: Tx, routerId: string): Promise<RouterPort[]> {
  const rows = await tx.selectFrom('router_ports').innerJoin('ports', 'ports.id', 'router_ports.port_id')
    .select(['router_ports.port_id', 'router_ports.port_type', 'ports.network_id', 'ports.device_owner', 'ports.created_at'])
    .where('router_ports.router_id', '=', routerId).orderBy('ports.created_at').orderBy('ports.id').execute();
  if (rows.length === 0) return [];
  const ips = await tx.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address'])
    .where('port_id', 'in', rows.map((r) => r.port_id)).execute();
  return rows.map((r) => ({
    portId: r.port_id, portType: r.port_type, networkId: r.network_id, deviceOwner: r.device_owner,
    fixedIps: ips.filter((ip) => ip.port_id === r.port_id).map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
  }));
}

export async function subnetsById(tx: Tx, ids: readonly string[]): Promise<Map<string, SubnetRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.selectFrom('subnets').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((s) => [s.id, s]));
}

function overlapError(existing: SubnetRow, added: SubnetRow): Error {
  return badL3Request('router', `Cidr ${added.cidr} of subnet ${added.id} overlaps with cidr ${existing.cidr} of subnet ${existing.id}`);
}

/**
 * Refuses new subnets for a router that already has a port on one of them, or whose CIDR
 * overlaps a subnet the router is connected to (all of the gateway network's subnets count).
 * `ignorePortId` leaves out a port being replaced.
 */
export async function checkNewSubnets(tx: Tx, ports: readonly RouterPort[], added: readonly SubnetRow[], ignorePortId?: string): Promise<void> {
  const addedIds = new Set(added.map((s) => s.id));
  const connected: string[] = [];
  for (const p of ports) {
    if (p.portId === ignorePortId) continue;
    for (const ip of p.fixedIps) {
      if (addedIds.has(ip.subnet_id)) throw badL3Request('router', `Router already has a port on subnet ${ip.subnet_id}`);
    }
    if (p.portType === GATEWAY_OWNER) {
      connected.push(...(await tx.selectFrom('subnets').select('id').where('network_id', '=', p.networkId).execute()).map((s) => s.id));
    } else {
      connected.push(...p.fixedIps.map((ip) => ip.subnet_id));
    }
  }
  const existing = await subnetsById(tx, connected);
  for (const sub of existing.values()) {
    const a = parseCidr(sub.cidr);
    for (const s of added) {
      const b = parseCidr(s.cidr);
      if (a && b && a.version === b.version && cidrsOverlap(a, b)) throw overlapError(sub, s);
    }
  }
}

/** An interface on this subnet may go only if no floating IP or extra route of the router needs it. */
export async function checkInterfaceNotInUse(tx: Tx, routerId: string, subnet: SubnetRow): Promise<void> {
  const cidr = parseCidr(subnet.cidr);
  if (!cidr) return;
  const holders = new Set((await tx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnet.id).execute()).map((r) => r.port_id));
  const fips = await tx.selectFrom('floatingips').select(['fixed_port_id', 'fixed_ip_address']).where('router_id', '=', routerId).execute();
  for (const f of fips) {
    if (f.fixed_port_id && f.fixed_ip_address && holders.has(f.fixed_port_id)) throw interfaceInUseByFloatingIp(routerId, subnet.id);
  }
  for (const r of await tx.selectFrom('router_routes').select('nexthop').where('router_id', '=', routerId).execute()) {
    const hop = parseIp(r.nexthop);
    if (hop && cidrContains(cidr, hop.version, hop.value)) throw interfaceInUseByRoute(routerId, subnet.id);
  }
}

/** CIDRs and addresses the router is connected through, for the nexthop checks of extra routes. */
export async function connectedNets(tx: Tx, ports: readonly RouterPort[]): Promise<{ cidrs: string[]; ips: string[] }> {
  const subnets = await subnetsById(tx, ports.flatMap((p) => p.fixedIps.map((ip) => ip.subnet_id)));
  return {
    cidrs: [...subnets.values()].map((s) => s.cidr),
    ips: ports.flatMap((p) => p.fixedIps.map((ip) => ip.ip_address)),
  };
}
