/**
 * Routers and the outside world, compiled (pure, like compile.ts). A router is served on the
 * first host its L3 agents are bound to (an HA or distributed router too: centrally, there):
 * a qrouter-<id> namespace with a qr-<port> veth into each internal network's bridge and a
 * qg-<port> veth into the external network's bridge, the ports' addresses (floating IPs as /32
 * on qg-), a default route via the external subnet's gateway, the extra routes whose nexthop
 * is on a connected subnet, forwarding while admin_state_up, and the NAT it needs.
 *
 * The outside world belongs to the home and is compiled by one agent only (the first L3 host
 * by name): an upstream router with a leg on every external segment holding each external
 * subnet's gateway address, and an outside host behind it on a documentation range it owns.
 */
import { cidrContains, cidrsOverlap, formatIp, parseCidr, parseIp, type Cidr } from '../network/ipam/ip.js';
import {
  bridgeName, FABRIC_HOST_ACCESS_DEV, fabricUpstreamDev, hostAccessDev, OUTSIDE_DEV, outsideNamespace, routerGatewayName,
  routerInterfaceName, routerNamespace, segmentBridge, segmentKey, tapMac, tapName, UPSTREAM_OUTSIDE_DEV, upstreamLegDev, upstreamNamespace,
} from '../dataplane/names.js';
import type { FloatingIpPlan, HostAccessPlan, OutsidePlan, RouteEntry, RouterPlan, RouterPortPlan, UpstreamLegPlan } from '../dataplane/plan-router.js';
import type { CompileContext } from './compile.js';
import type { Model, ModelNetwork, ModelPort, ModelSubnet } from './model.js';
import { EMPTY_L3, type L3Model, type ModelRouter } from './model-l3.js';

/**
 * Ranges the outside host may live on (RFC 5737's documentation ranges, never routed on the
 * internet): the first that overlaps no subnet of the cloud, so the outside host is never
 * mistaken for an address behind a router. The upstream router takes .1, the outside host .10.
 */
export const OUTSIDE_RANGES = ['203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/24'] as const;
export const OUTSIDE_UPSTREAM_HOST = 1n;
export const OUTSIDE_HOST = 10n;

const l3Of = (model: Model): L3Model => model.l3 ?? EMPTY_L3;

/** The host a router is served on: the first of its L3 agents' hosts, or null when unscheduled. */
export function servingHost(router: Pick<ModelRouter, 'hosts'>): string | null {
  return router.hosts[0] ?? null;
}

const portHosts = new WeakMap<Model, Map<string, string>>();

/** The host a router port lives on (for l2population), or undefined for ports of no served router. */
export function routerPortHost(model: Model, portId: string): string | undefined {
  let map = portHosts.get(model);
  if (!map) {
    map = new Map();
    for (const r of l3Of(model).routers) {
      const host = servingHost(r);
      if (host) for (const id of r.portIds) map.set(id, host);
    }
    portHosts.set(model, map);
  }
  return map.get(portId);
}

function v4Cidr(text: string): Cidr | null {
  const c = parseCidr(text);
  return c?.version === 4 ? c : null;
}

const canonical = (c: Cidr): string => `${formatIp(4, c.network)}/${c.prefixLength}`;

function v4(text: string | null | undefined): string | null {
  if (!text) return null;
  const ip = parseIp(text);
  return ip?.version === 4 ? formatIp(4, ip.value) : null;
}

interface Addressed {
  readonly subnet: ModelSubnet;
  readonly cidr: Cidr;
  readonly ip: string;
}

/** The port's IPv4 addresses with their subnets. */
function addressed(port: ModelPort, subnets: ReadonlyMap<string, ModelSubnet>): Addressed[] {
  const out: Addressed[] = [];
  for (const a of port.fixedIps) {
    const subnet = subnets.get(a.subnetId);
    const cidr = subnet && v4Cidr(subnet.cidr);
    const ip = v4(a.ip);
    if (subnet && cidr && ip) out.push({ subnet, cidr, ip });
  }
  return out;
}

function portPlan(port: ModelPort, network: ModelNetwork, kind: RouterPortPlan['kind'], addresses: readonly string[]): RouterPortPlan {
  return {
    portId: port.id, kind, networkId: network.id, device: kind === 'gateway' ? routerGatewayName(port.id) : routerInterfaceName(port.id),
    mac: port.mac, tap: tapName(port.id), tapMac: tapMac(port.mac), bridge: bridgeName(network.id), mtu: network.mtu, addresses,
  };
}

function routerPlan(model: Model, router: ModelRouter, ports: ReadonlyMap<string, ModelPort>, networks: ReadonlyMap<string, ModelNetwork>,
  subnets: ReadonlyMap<string, ModelSubnet>): RouterPlan {
  const planned: RouterPortPlan[] = [];
  const connected: Cidr[] = [];
  const internalSubnets: string[] = [];
  let defaultRoute: RouteEntry | null = null;
  let gateway: { device: string; ip: string | null } | null = null;
  const floating: FloatingIpPlan[] = [];
  for (const id of router.portIds) {
    const port = ports.get(id);
    const network = port && networks.get(port.networkId);
    if (!port || !network) continue;
    const addrs = addressed(port, subnets);
    connected.push(...addrs.map((a) => a.cidr));
    if (id !== router.gwPortId) {
      internalSubnets.push(...addrs.map((a) => canonical(a.cidr)));
      planned.push(portPlan(port, network, 'internal', addrs.map((a) => `${a.ip}/${a.cidr.prefixLength}`)));
      continue;
    }
    const withGateway = addrs.find((a) => {
      const gw = parseIp(a.subnet.gatewayIp ?? '');
      return gw?.version === 4 && cidrContains(a.cidr, 4, gw.value);
    });
    if (withGateway) defaultRoute = { dst: '0.0.0.0/0', via: v4(withGateway.subnet.gatewayIp) as string };
    for (const f of l3Of(model).floatingIps) {
      const address = v4(f.address);
      const fixedIp = v4(f.fixedIp);
      if (f.routerId === router.id && f.networkId === port.networkId && address && fixedIp) floating.push({ id: f.id, address, fixedIp });
    }
    const own = addrs.map((a) => `${a.ip}/${a.cidr.prefixLength}`);
    planned.push(portPlan(port, network, 'gateway', [...own, ...floating.map((f) => `${f.address}/32`).filter((c) => !own.includes(c))]));
    gateway = { device: routerGatewayName(port.id), ip: addrs[0]?.ip ?? null };
  }
  // Extra routes whose nexthop is on a connected subnet (others could never be installed);
  // one for 0.0.0.0/0 replaces the gateway's default route.
  const routes = new Map<string, RouteEntry>();
  if (defaultRoute) routes.set(defaultRoute.dst, defaultRoute);
  for (const r of router.routes) {
    const dst = v4Cidr(r.destination);
    const hop = parseIp(r.nexthop);
    if (!dst || hop?.version !== 4 || !connected.some((c) => cidrContains(c, 4, hop.value))) continue;
    routes.set(canonical(dst), { dst: canonical(dst), via: formatIp(4, hop.value) });
  }
  const up = router.adminStateUp;
  return {
    routerId: router.id, ns: routerNamespace(router.id), up,
    ports: planned.sort((a, b) => a.device.localeCompare(b.device)),
    routes: up ? [...routes.values()].sort((a, b) => a.dst.localeCompare(b.dst)) : [],
    forwarding: up,
    nat: gateway && {
      gatewayDevice: gateway.device, gatewayIp: gateway.ip,
      snatSources: router.enableSnat && gateway.ip ? [...internalSubnets].sort() : [],
      internalSubnets: [...internalSubnets].sort(),
      floatingIps: floating.sort((a, b) => a.address.localeCompare(b.address)),
    },
  };
}

/** The routers this host serves, sorted by id. */
export function compileRouters(model: Model, ctx: Pick<CompileContext, 'host'>): RouterPlan[] {
  const ports = new Map(model.ports.map((p) => [p.id, p]));
  const networks = new Map(model.networks.map((n) => [n.id, n]));
  const subnets = new Map(model.subnets.map((s) => [s.id, s]));
  return l3Of(model).routers.filter((r) => servingHost(r) === ctx.host).map((r) => routerPlan(model, r, ports, networks, subnets));
}

/** The segment of the sandboxed physical network an external network lives on, or null (VXLAN). */
function segmentOf(network: ModelNetwork): string | null {
  const s = network.segments[0];
  if ((s?.networkType === 'flat' || s?.networkType === 'vlan') && s.physicalNetwork) {
    return segmentKey(s.physicalNetwork, s.networkType === 'vlan' ? s.segmentationId : null);
  }
  return null;
}

/** The highest host address of the subnet that no pool, gateway or port holds (null if none). */
export function hostAccessAddress(subnet: ModelSubnet, cidr: Cidr, pools: readonly { start: string; end: string }[], taken: ReadonlySet<string>): string | null {
  if (cidr.prefixLength > 30) return null;
  const ranges = pools.map((p) => [parseIp(p.start)?.value ?? 0n, parseIp(p.end)?.value ?? -1n] as const);
  const last = cidr.network + (1n << BigInt(32 - cidr.prefixLength)) - 2n;
  for (let a = last; a > cidr.network; a--) {
    const text = formatIp(4, a);
    if (text === v4(subnet.gatewayIp) || taken.has(text) || ranges.some(([s, e]) => a >= s && a <= e)) continue;
    return text;
  }
  return null;
}

/**
 * The home's outside world, compiled by the first L3 host only; null elsewhere and when no
 * external network lives on a segment of the sandboxed physical network. Adds the fabric
 * bridges its legs join to fabricBridges.
 */
export function compileOutside(model: Model, ctx: Pick<CompileContext, 'host' | 'homeHash' | 'physicalMtu' | 'hostAccess'>,
  fabricBridges: Set<string>): OutsidePlan | null {
  const l3 = l3Of(model);
  if (l3.l3Hosts[0] !== ctx.host) return null;
  const legs = new Map<string, { key: string; addresses: string[]; subnets: { subnet: ModelSubnet; cidr: Cidr }[] }>();
  for (const network of model.networks.filter((n) => l3.externalNetworks.has(n.id))) {
    const key = segmentOf(network);
    if (!key) continue;
    const leg = legs.get(key) ?? { key, addresses: [], subnets: [] };
    legs.set(key, leg);
    for (const subnet of model.subnets.filter((s) => s.networkId === network.id)) {
      const cidr = v4Cidr(subnet.cidr);
      const gw = v4(subnet.gatewayIp);
      if (!cidr) continue;
      leg.subnets.push({ subnet, cidr });
      if (gw && cidrContains(cidr, 4, parseIp(gw)?.value ?? -1n)) leg.addresses.push(`${gw}/${cidr.prefixLength}`);
    }
  }
  if (legs.size === 0) return null;
  const all = model.subnets.map((s) => v4Cidr(s.cidr)).filter((c): c is Cidr => c !== null);
  const range = OUTSIDE_RANGES.map((r) => parseCidr(r) as Cidr).find((r) => !all.some((c) => cidrsOverlap(c, r))) ?? (parseCidr(OUTSIDE_RANGES[0]) as Cidr);
  const upstreamIp = formatIp(4, range.network + OUTSIDE_UPSTREAM_HOST);
  const outsideIp = formatIp(4, range.network + OUTSIDE_HOST);

  const planned: UpstreamLegPlan[] = [...legs.values()].sort((a, b) => a.key.localeCompare(b.key)).map((l) => {
    fabricBridges.add(segmentBridge(l.key));
    return {
      key: l.key, dev: upstreamLegDev(l.key), fabricDev: fabricUpstreamDev(l.key), fabricBridge: segmentBridge(l.key), mtu: ctx.physicalMtu,
      addresses: [...new Set(l.addresses)].sort(),
    };
  });

  let hostAccess: HostAccessPlan | null = null;
  const firstExternal = model.networks.find((n) => l3.externalNetworks.has(n.id) && segmentOf(n) !== null);
  if (ctx.hostAccess && firstExternal) {
    const leg = legs.get(segmentOf(firstExternal) as string);
    const taken = new Set(model.ports.flatMap((p) => p.fixedIps.map((a) => a.ip)));
    const addresses = (leg?.subnets ?? []).flatMap(({ subnet, cidr }) => {
      const ip = hostAccessAddress(subnet, cidr, l3.pools.get(subnet.id) ?? [], taken);
      return ip ? [`${ip}/${cidr.prefixLength}`] : [];
    });
    hostAccess = {
      dev: hostAccessDev(ctx.homeHash), fabricDev: FABRIC_HOST_ACCESS_DEV, fabricBridge: segmentBridge(segmentOf(firstExternal) as string),
      mtu: ctx.physicalMtu, addresses: [...new Set(addresses)].sort(),
    };
  }
  return {
    upstreamNs: upstreamNamespace(ctx.homeHash), outsideNs: outsideNamespace(ctx.homeHash), legs: planned,
    upstreamDev: UPSTREAM_OUTSIDE_DEV, upstreamCidr: `${upstreamIp}/${range.prefixLength}`,
    outsideDev: OUTSIDE_DEV, outsideCidr: `${outsideIp}/${range.prefixLength}`, outsideIp, outsideGateway: upstreamIp,
    mtu: ctx.physicalMtu, hostAccessDev: hostAccessDev(ctx.homeHash), hostAccess,
  };
}
