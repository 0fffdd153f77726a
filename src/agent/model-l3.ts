/**
 * The L3 part of the agent's model: routers with their host (the L3 agent they are scheduled
 * to), ports, extra routes and SNAT flag; floating IPs; which networks are external and the
 * allocation pools of their subnets (the outside world and host access are placed around
 * them); the hosts running an L3 agent. Read in one round of queries, plain immutable data.
 */
import type { FloatingIpRow } from '../store/schema-l3.js';
import type { Db } from '../store/store.js';
import { L3_AGENT } from '../network/agents/records.js';
import { groupBy } from '../util/group.js';

export interface ModelRouter {
  readonly id: string;
  readonly adminStateUp: boolean;
  readonly enableSnat: boolean;
  readonly gwPortId: string | null;
  /** The hosts of its L3 agents in binding order; a router is served on the first. */
  readonly hosts: readonly string[];
  /** Its interface and gateway ports (router_ports), by port id. */
  readonly portIds: readonly string[];
  readonly routes: readonly { readonly destination: string; readonly nexthop: string }[];
}

export interface ModelFloatingIp {
  readonly id: string;
  readonly address: string;
  readonly networkId: string;
  readonly fixedPortId: string | null;
  readonly fixedIp: string | null;
  readonly routerId: string | null;
  readonly status: string;
}

/** The floatingips columns the agent and `kumo trace` read. */
export const FLOATING_IP_COLUMNS = ['id', 'floating_ip_address', 'floating_network_id', 'fixed_port_id', 'fixed_ip_address', 'router_id', 'status'] as const;

export function floatingIpOf(f: Pick<FloatingIpRow, (typeof FLOATING_IP_COLUMNS)[number]>): ModelFloatingIp {
  return {
    id: f.id, address: f.floating_ip_address, networkId: f.floating_network_id, fixedPortId: f.fixed_port_id, fixedIp: f.fixed_ip_address,
    routerId: f.router_id, status: f.status,
  };
}

export interface ModelPool {
  readonly start: string;
  readonly end: string;
}

export interface L3Model {
  readonly routers: readonly ModelRouter[];
  readonly floatingIps: readonly ModelFloatingIp[];
  /** Networks with router:external. */
  readonly externalNetworks: ReadonlySet<string>;
  /** subnet id → its allocation pools. */
  readonly pools: ReadonlyMap<string, readonly ModelPool[]>;
  /** Hosts with an L3 agent, sorted by name. */
  readonly l3Hosts: readonly string[];
}

export const EMPTY_L3: L3Model = { routers: [], floatingIps: [], externalNetworks: new Set(), pools: new Map(), l3Hosts: [] };

function pools(text: string): ModelPool[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as ModelPool[]).filter((p) => typeof p?.start === 'string' && typeof p?.end === 'string') : [];
  } catch {
    return [];
  }
}

export async function loadL3Model(db: Db): Promise<L3Model> {
  const [routers, routerPorts, routes, bindings, fips, externals, subnets, l3Agents] = await Promise.all([
    db.selectFrom('routers').select(['id', 'admin_state_up', 'enable_snat', 'gw_port_id']).orderBy('id').execute(),
    db.selectFrom('router_ports').select(['router_id', 'port_id']).orderBy('port_id').execute(),
    db.selectFrom('router_routes').select(['router_id', 'destination', 'nexthop']).orderBy('destination').orderBy('nexthop').execute(),
    db.selectFrom('router_l3_agent_bindings').innerJoin('agents', 'agents.id', 'router_l3_agent_bindings.agent_id')
      .select(['router_l3_agent_bindings.router_id', 'agents.host']).where('agents.agent_type', '=', L3_AGENT)
      .orderBy('router_l3_agent_bindings.created_at').orderBy('agents.host').execute(),
    db.selectFrom('floatingips').select(FLOATING_IP_COLUMNS).orderBy('id').execute(),
    db.selectFrom('networks').select('id').where('external', '=', 1).execute(),
    db.selectFrom('subnets').select(['id', 'allocation_pools']).execute(),
    db.selectFrom('agents').select('host').where('agent_type', '=', L3_AGENT).orderBy('host').execute(),
  ]);
  const byRouter = (r: { router_id: string }) => r.router_id;
  const portsOf = groupBy(routerPorts, byRouter);
  const routesOf = groupBy(routes, byRouter);
  const hostsOf = groupBy(bindings, byRouter);
  return {
    routers: routers.map((r) => ({
      id: r.id, adminStateUp: Number(r.admin_state_up) === 1, enableSnat: Number(r.enable_snat) === 1, gwPortId: r.gw_port_id,
      hosts: (hostsOf.get(r.id) ?? []).map((b) => b.host),
      portIds: (portsOf.get(r.id) ?? []).map((p) => p.port_id),
      routes: (routesOf.get(r.id) ?? []).map((x) => ({ destination: x.destination, nexthop: x.nexthop })),
    })),
    floatingIps: fips.map(floatingIpOf),
    externalNetworks: new Set(externals.map((n) => n.id)),
    pools: new Map(subnets.map((s) => [s.id, pools(s.allocation_pools)])),
    l3Hosts: [...new Set(l3Agents.map((a) => a.host))],
  };
}
