/**
 * What `kumo trace` reasons over: the networking model of the whole cloud (networks, subnets,
 * ports with addresses and groups, security-group rules and the address groups they name,
 * routers with their ports, routes and floating IPs) and the servers, read from the store in
 * one pass. Plain immutable data, so the path walk (path.ts) is a pure function tested without
 * a store.
 */
import { floatingIpOf, FLOATING_IP_COLUMNS, type ModelFloatingIp } from '../agent/model-l3.js';
import { loadAddressGroups, loadRules, type ModelRule } from '../agent/model-firewall.js';
import type { Db } from '../store/store.js';
import { groupBy } from '../util/group.js';
import { parseJsonArrayLenient } from '../util/json.js';

export interface TraceNetwork {
  readonly id: string;
  readonly name: string;
  readonly adminStateUp: boolean;
  readonly external: boolean;
}

export interface TraceSubnet {
  readonly id: string;
  readonly name: string;
  readonly networkId: string;
  readonly cidr: string;
  readonly gatewayIp: string | null;
}

export interface TracePort {
  readonly id: string;
  readonly name: string;
  readonly networkId: string;
  readonly mac: string;
  readonly deviceOwner: string;
  readonly deviceId: string;
  readonly adminStateUp: boolean;
  readonly status: string;
  readonly hostId: string;
  readonly portSecurity: boolean;
  readonly fixedIps: readonly { readonly subnetId: string; readonly ip: string }[];
  readonly allowedAddressPairs: readonly { readonly ip_address: string; readonly mac_address?: string }[];
  readonly securityGroups: readonly string[];
}

/** A rule as the agent compiles it: trace evaluates exactly that. */
export type TraceRule = ModelRule;

export interface TraceSecurityGroup {
  readonly id: string;
  readonly name: string;
  readonly projectId: string;
  readonly stateful: boolean;
}

export interface TraceRouter {
  readonly id: string;
  readonly name: string;
  readonly adminStateUp: boolean;
  readonly gwPortId: string | null;
  readonly enableSnat: boolean;
  readonly routes: readonly { readonly destination: string; readonly nexthop: string }[];
  /** The hosts whose L3 agent hosts it (empty: nobody wires it). */
  readonly hosts: readonly string[];
}

export type TraceFloatingIp = ModelFloatingIp;

export interface TraceServer {
  readonly id: string;
  readonly name: string;
  readonly vmState: string;
  readonly powerState: number;
  readonly host: string | null;
}

export interface TraceModel {
  readonly networks: readonly TraceNetwork[];
  readonly subnets: readonly TraceSubnet[];
  readonly ports: readonly TracePort[];
  readonly groups: readonly TraceSecurityGroup[];
  readonly rules: readonly TraceRule[];
  readonly routers: readonly TraceRouter[];
  /** port id → router id, for every router interface and gateway port. */
  readonly routerPorts: ReadonlyMap<string, string>;
  readonly floatingIps: readonly TraceFloatingIp[];
  readonly servers: readonly TraceServer[];
  /** Address group id → its addresses (CIDRs), the same the agent puts in the rule's nft set. */
  readonly addressGroups: ReadonlyMap<string, readonly string[]>;
}

const bool = (v: unknown): boolean => Number(v) === 1 || v === true;

export async function loadTraceModel(db: Db): Promise<TraceModel> {
  const [networks, subnets, ports, ips, bindings, groups, rules, routers, routes, routerPorts, l3, fips, servers, addressGroups] = await Promise.all([
    db.selectFrom('networks').select(['id', 'name', 'admin_state_up', 'external']).orderBy('id').execute(),
    db.selectFrom('subnets').select(['id', 'name', 'network_id', 'cidr', 'gateway_ip']).orderBy('network_id').orderBy('created_at').execute(),
    db.selectFrom('ports').select(['id', 'name', 'network_id', 'mac_address', 'device_owner', 'device_id', 'admin_state_up', 'status',
      'binding_host_id', 'port_security_enabled', 'allowed_address_pairs']).orderBy('id').execute(),
    db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).execute(),
    db.selectFrom('port_security_groups').select(['port_id', 'security_group_id']).execute(),
    db.selectFrom('security_groups').select(['id', 'name', 'project_id', 'stateful']).execute(),
    loadRules(db),
    db.selectFrom('routers').select(['id', 'name', 'admin_state_up', 'gw_port_id', 'enable_snat']).orderBy('id').execute(),
    db.selectFrom('router_routes').select(['router_id', 'destination', 'nexthop']).execute(),
    db.selectFrom('router_ports').select(['port_id', 'router_id']).execute(),
    db.selectFrom('router_l3_agent_bindings').innerJoin('agents', 'agents.id', 'router_l3_agent_bindings.agent_id')
      .select(['router_l3_agent_bindings.router_id', 'agents.host']).execute(),
    db.selectFrom('floatingips').select(FLOATING_IP_COLUMNS).execute(),
    db.selectFrom('instances').select(['uuid', 'name', 'vm_state', 'power_state', 'host']).where('deleted', '=', 0).execute(),
    loadAddressGroups(db),
  ]);
  const ipsOf = groupBy(ips, (r) => r.port_id, (r) => ({ subnetId: r.subnet_id, ip: r.ip_address }));
  const groupsOf = groupBy(bindings, (r) => r.port_id, (r) => r.security_group_id);
  const routesOf = groupBy(routes, (r) => r.router_id, (r) => ({ destination: r.destination, nexthop: r.nexthop }));
  const hostsOf = groupBy(l3, (r) => r.router_id, (r) => r.host);
  return {
    networks: networks.map((n) => ({ id: n.id, name: n.name, adminStateUp: bool(n.admin_state_up), external: bool(n.external) })),
    subnets: subnets.map((s) => ({ id: s.id, name: s.name, networkId: s.network_id, cidr: s.cidr, gatewayIp: s.gateway_ip })),
    ports: ports.map((p) => ({
      id: p.id, name: p.name, networkId: p.network_id, mac: p.mac_address.toLowerCase(), deviceOwner: p.device_owner, deviceId: p.device_id,
      adminStateUp: bool(p.admin_state_up), status: p.status, hostId: p.binding_host_id, portSecurity: bool(p.port_security_enabled),
      fixedIps: ipsOf.get(p.id) ?? [],
      allowedAddressPairs: parseJsonArrayLenient<{ ip_address: string; mac_address?: string }>(p.allowed_address_pairs),
      securityGroups: (groupsOf.get(p.id) ?? []).sort(),
    })),
    groups: groups.map((g) => ({ id: g.id, name: g.name, projectId: g.project_id, stateful: bool(g.stateful) })),
    rules,
    routers: routers.map((r) => ({
      id: r.id, name: r.name, adminStateUp: bool(r.admin_state_up), gwPortId: r.gw_port_id, enableSnat: bool(r.enable_snat),
      routes: routesOf.get(r.id) ?? [], hosts: hostsOf.get(r.id) ?? [],
    })),
    routerPorts: new Map(routerPorts.map((r) => [r.port_id, r.router_id])),
    floatingIps: fips.map(floatingIpOf),
    servers: servers.map((s) => ({ id: s.uuid, name: s.name, vmState: s.vm_state, powerState: Number(s.power_state), host: s.host })),
    addressGroups,
  };
}
