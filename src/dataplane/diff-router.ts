/**
 * The L3 part of diff(plan, observed): routers (qrouter- namespaces, their qr-/qg- veths,
 * addresses, routes, forwarding) and the home's outside world (upstream router legs, the outside
 * host, opt-in host access). Pure, like diff.ts, which calls these in its order: namespaces
 * first, then links and addresses after the bridges exist, then routes and forwarding.
 */
import type { Action } from './actions.js';
import { addresses, fix, linksOf } from './diff.js';
import type { ObservedHost } from './observed.js';
import type { HostPlan } from './plan.js';
import type { OutsidePlan, RouteEntry, RouterPlan, RouterPortPlan } from './plan-router.js';

export function plannedRouterNamespaces(plan: HostPlan): Set<string> {
  return new Set((plan.routers ?? []).map((r) => r.ns));
}

/** Namespaces the L3 plan needs that do not exist yet. */
export function l3Namespaces(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  for (const r of plan.routers ?? []) if (!obs.namespaces.has(r.ns)) out.push({ op: 'netns.add', ns: r.ns, host: plan.host, kind: 'router' });
  const o = plan.outside;
  if (!o) return;
  if (!obs.namespaces.has(o.upstreamNs)) out.push({ op: 'netns.add', ns: o.upstreamNs, host: null, kind: 'upstream' });
  if (!obs.namespaces.has(o.outsideNs)) out.push({ op: 'netns.add', ns: o.outsideNs, host: null, kind: 'outside' });
}

const routeKey = (r: RouteEntry) => `${r.dst}|${r.via}`;

/**
 * Routes the plan does not have go first: before a link goes down or loses an address, which
 * takes its routes with it in the kernel (deleting one that is gone would fail the batch).
 */
function staleRoutes(out: Action[], ns: string, obs: ObservedHost, wanted: readonly RouteEntry[]): void {
  const want = new Set(wanted.map(routeKey));
  for (const r of obs.routes?.get(ns) ?? []) if (!want.has(routeKey(r))) out.push({ op: 'route.delete', ns, dst: r.dst, via: r.via });
}

/** Missing routes come last, once their gateway is on-link. */
function newRoutes(out: Action[], ns: string, obs: ObservedHost, wanted: readonly RouteEntry[]): void {
  const present = new Set((obs.routes?.get(ns) ?? []).map(routeKey));
  for (const r of wanted) if (!present.has(routeKey(r))) out.push({ op: 'route.replace', ns, dst: r.dst, via: r.via });
}

function forwarding(out: Action[], ns: string, obs: ObservedHost, on: boolean): void {
  if (obs.forwarding?.get(ns) !== on) out.push({ op: 'sysctl.set', ns, key: 'net.ipv4.ip_forward', value: on ? 1 : 0 });
}

/** Links in a namespace the plan does not name (lo aside) go: a removed interface, a stale leg. */
function extraLinks(out: Action[], ns: string, obs: ObservedHost, keep: ReadonlySet<string>): void {
  for (const name of [...linksOf(obs, ns).keys()].sort()) if (name !== 'lo' && !keep.has(name)) out.push({ op: 'link.delete', ns, name });
}

/** A veth whose two ends must both exist: fixed in place, else made again from scratch. */
function veth(out: Action[], obs: ObservedHost,
  a: { ns: string; name: string; mac?: string; mtu: number; master?: string; up: boolean },
  b: { ns: string; name: string; mac?: string; mtu: number; master?: string; up: boolean }, addrs: readonly string[]): void {
  const endA = linksOf(obs, a.ns).get(a.name);
  const endB = linksOf(obs, b.ns).get(b.name);
  if (endA?.kind === 'veth' && endB?.kind === 'veth') {
    fix(out, a.ns, endA, { ...(a.master ? { master: a.master } : {}), mtu: a.mtu, ...(a.mac ? { mac: a.mac } : {}), up: a.up });
    fix(out, b.ns, endB, { ...(b.master ? { master: b.master } : {}), mtu: b.mtu, ...(b.mac ? { mac: b.mac } : {}), up: b.up });
    addresses(out, b.ns, b.name, endB, addrs);
    return;
  }
  if (endA) out.push({ op: 'link.delete', ns: a.ns, name: a.name });
  if (endB) out.push({ op: 'link.delete', ns: b.ns, name: b.name });
  const end = (e: typeof a) => ({ ns: e.ns, name: e.name, mtu: e.mtu, ...(e.mac ? { mac: e.mac } : {}), ...(e.master ? { master: e.master } : {}) });
  out.push({ op: 'link.add.veth', a: end(a), b: end(b) });
  if (!a.up) out.push({ op: 'link.set', ns: a.ns, name: a.name, up: false });
  if (!b.up) out.push({ op: 'link.set', ns: b.ns, name: b.name, up: false });
  addresses(out, b.ns, b.name, undefined, addrs);
}

function routerPort(out: Action[], plan: HostPlan, obs: ObservedHost, r: RouterPlan, p: RouterPortPlan): void {
  veth(out, obs,
    { ns: plan.hostNs, name: p.tap, mac: p.tapMac, mtu: p.mtu, master: p.bridge, up: true },
    { ns: r.ns, name: p.device, mac: p.mac, mtu: p.mtu, up: r.up }, p.addresses);
}

/** Addresses the gateway port is getting now (all of them when its veth is made anew). */
function announce(out: Action[], r: RouterPlan, obs: ObservedHost): void {
  const gw = r.ports.find((p) => p.kind === 'gateway');
  if (!gw) return;
  const made = out.some((a) => a.op === 'link.add.veth' && a.b.ns === r.ns && a.b.name === gw.device);
  const have = made ? [] : linksOf(obs, r.ns).get(gw.device)?.addresses ?? [];
  for (const cidr of gw.addresses) {
    if (!have.includes(cidr)) out.push({ op: 'arp.announce', ns: r.ns, dev: gw.device, ip: cidr.split('/')[0] as string });
  }
}

/** Each served router: its ports and addresses, then routes and forwarding. */
export function routersDiff(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  for (const r of plan.routers ?? []) {
    const lo = linksOf(obs, r.ns).get('lo');
    if (lo && !lo.up) out.push({ op: 'link.set', ns: r.ns, name: 'lo', up: true });
    staleRoutes(out, r.ns, obs, r.routes);
    extraLinks(out, r.ns, obs, new Set(r.ports.map((p) => p.device)));
    for (const p of r.ports) routerPort(out, plan, obs, r, p);
    if (r.up) announce(out, r, obs);
    newRoutes(out, r.ns, obs, r.routes);
    forwarding(out, r.ns, obs, r.forwarding);
  }
}

function hostAccess(out: Action[], plan: HostPlan, o: OutsidePlan, obs: ObservedHost): void {
  const have = obs.hostAccess ?? null;
  const want = o.hostAccess;
  if (!want) {
    if (have) out.push({ op: 'hostaccess.delete', dev: have.name });
    return;
  }
  const fabricEnd = linksOf(obs, plan.fabric.ns).get(want.fabricDev);
  if (have?.kind === 'veth' && fabricEnd?.kind === 'veth') {
    if (have.forwarding || !have.up || have.mtu !== want.mtu) out.push({ op: 'hostaccess.secure', dev: want.dev });
    fix(out, plan.fabric.ns, fabricEnd, { master: want.fabricBridge, mtu: want.mtu, up: true });
    for (const cidr of have.addresses) if (!want.addresses.includes(cidr)) out.push({ op: 'hostaccess.addr.delete', dev: want.dev, cidr });
    for (const cidr of want.addresses) if (!have.addresses.includes(cidr)) out.push({ op: 'hostaccess.addr.add', dev: want.dev, cidr });
    return;
  }
  if (have) out.push({ op: 'hostaccess.delete', dev: have.name });
  if (fabricEnd) out.push({ op: 'link.delete', ns: plan.fabric.ns, name: want.fabricDev });
  out.push({ op: 'hostaccess.add', dev: want.dev, mtu: want.mtu, peer: { ns: plan.fabric.ns, name: want.fabricDev, mtu: want.mtu, master: want.fabricBridge } });
  for (const cidr of want.addresses) out.push({ op: 'hostaccess.addr.add', dev: want.dev, cidr });
}

/** The upstream router's legs and its link to the outside host, their routes and forwarding. */
export function outsideDiff(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  const o = plan.outside;
  if (!o) return;
  // A dead end: the upstream router has no route beyond what it is connected to.
  const outsideRoutes = [{ dst: '0.0.0.0/0', via: o.outsideGateway }];
  staleRoutes(out, o.upstreamNs, obs, []);
  staleRoutes(out, o.outsideNs, obs, outsideRoutes);
  extraLinks(out, o.upstreamNs, obs, new Set([o.upstreamDev, ...o.legs.map((l) => l.dev)]));
  extraLinks(out, o.outsideNs, obs, new Set([o.outsideDev]));
  for (const leg of o.legs) {
    veth(out, obs,
      { ns: plan.fabric.ns, name: leg.fabricDev, mtu: leg.mtu, master: leg.fabricBridge, up: true },
      { ns: o.upstreamNs, name: leg.dev, mtu: leg.mtu, up: true }, leg.addresses);
  }
  // The outside host's link: its address first, then the upstream router's side.
  const outsideEnd = linksOf(obs, o.outsideNs).get(o.outsideDev);
  veth(out, obs,
    { ns: o.upstreamNs, name: o.upstreamDev, mtu: o.mtu, up: true },
    { ns: o.outsideNs, name: o.outsideDev, mtu: o.mtu, up: true }, [o.outsideCidr]);
  const upstreamEnd = linksOf(obs, o.upstreamNs).get(o.upstreamDev);
  if (upstreamEnd?.kind === 'veth' && outsideEnd?.kind === 'veth') addresses(out, o.upstreamNs, o.upstreamDev, upstreamEnd, [o.upstreamCidr]);
  else addresses(out, o.upstreamNs, o.upstreamDev, undefined, [o.upstreamCidr]);
  newRoutes(out, o.outsideNs, obs, outsideRoutes);
  forwarding(out, o.upstreamNs, obs, true);
  forwarding(out, o.outsideNs, obs, false);
  hostAccess(out, plan, o, obs);
}

/**
 * Once a router's NAT table is replaced (it comes after these steps, in diff.ts), flows
 * translated under the old table would go on until they time out: the conntrack step after it
 * removes those whose floating IP is gone or now maps elsewhere.
 */
export function natConntrack(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  const replaced = new Set(out.flatMap((a) => (a.op === 'nft.table' ? [a.ns] : [])));
  for (const r of plan.routers ?? []) {
    if (!replaced.has(r.ns) || !obs.namespaces.has(r.ns) || !r.nat) continue;
    const gateway = r.ports.find((p) => p.kind === 'gateway');
    const planned = new Set(r.nat.floatingIps.map((f) => f.address));
    const held = (gateway && linksOf(obs, r.ns).get(gateway.device)?.addresses) ?? [];
    const removed = held.filter((c) => c.endsWith('/32')).map((c) => c.slice(0, -3)).filter((ip) => !planned.has(ip));
    out.push({ op: 'nat.conntrack', ns: r.ns, floating: r.nat.floatingIps.map((f) => ({ address: f.address, fixedIp: f.fixedIp })), removed });
  }
}
