/**
 * diff(plan, observed) → actions: the only place that decides what to change. Pure and
 * deterministic, so it is tested without root; when observed already matches the plan it
 * returns [] (the second pass of the reconcile loop changes nothing). Order: stop what must go,
 * make namespaces, the fabric, the underlay, bridges and uplinks, DHCP ports, instance taps,
 * routers and the outside world (diff-router.ts), nftables tables, the VXLAN FDB, then dnsmasq
 * and the metadata proxies (once 169.254.169.254 is on their device).
 */
import type { Action } from './actions.js';
import { metadataProxy, stopUnplannedProxies } from './diff-metadata.js';
import { l3Namespaces, natConntrack, outsideDiff, plannedRouterNamespaces, routersDiff } from './diff-router.js';
import { isOwnedTable, nftKey } from './nft-table.js';
import { FIREWALL_TABLE_NAME } from './plan-firewall.js';
import type { ObservedHost, ObservedLink } from './observed.js';
import type { BridgePlan, DhcpPlan, HostPlan, SegmentUplink, VxlanUplink } from './plan.js';

type Links = ReadonlyMap<string, ObservedLink>;
const NO_LINKS: Links = new Map();

/** Host-namespace links the agent owns by name; anything else there (instance taps) it leaves alone. */
const OWNED_PREFIXES = ['brq', 'vxlan-', 'phy-'];

export function linksOf(obs: ObservedHost, ns: string): Links {
  return obs.links.get(ns) ?? NO_LINKS;
}

/** Brings an existing link's master, MTU, MAC and state in line; nothing when they match. */
export function fix(out: Action[], ns: string, link: ObservedLink, want: { master?: string | null; mtu?: number; mac?: string; up?: boolean }): void {
  const change: { master?: string | null; mtu?: number; mac?: string; up?: boolean } = {};
  if (want.master !== undefined && link.master !== want.master) change.master = want.master;
  if (want.mtu !== undefined && link.mtu !== want.mtu) change.mtu = want.mtu;
  if (want.mac !== undefined && link.mac !== want.mac) change.mac = want.mac;
  if (want.up !== undefined && link.up !== want.up) change.up = want.up;
  if (Object.keys(change).length > 0) out.push({ op: 'link.set', ns, name: link.name, ...change });
}

export function addresses(out: Action[], ns: string, dev: string, link: ObservedLink | undefined, wanted: readonly string[]): void {
  const have = new Set(link?.addresses ?? []);
  for (const cidr of link?.addresses ?? []) if (!wanted.includes(cidr)) out.push({ op: 'addr.delete', ns, dev, cidr });
  for (const cidr of wanted) if (!have.has(cidr)) out.push({ op: 'addr.add', ns, dev, cidr });
}

function vxlanMatches(link: ObservedLink, up: VxlanUplink): boolean {
  const v = link.vxlan;
  return link.kind === 'vxlan' && v !== undefined && v.id === up.vni && v.local === up.local && v.dev === up.dev
    && v.port === 4789 && !v.learning && v.proxy;
}

function bridge(out: Action[], plan: HostPlan, obs: ObservedHost, b: BridgePlan): void {
  const ns = plan.hostNs;
  const links = linksOf(obs, ns);
  const br = links.get(b.name);
  if (br && br.kind !== 'bridge') out.push({ op: 'link.delete', ns, name: b.name });
  if (!br || br.kind !== 'bridge') out.push({ op: 'link.add.bridge', ns, name: b.name, mtu: b.mtu });
  else fix(out, ns, br, { mtu: b.mtu, up: true });
  if (b.uplink?.kind === 'vxlan') vxlan(out, ns, links, b, b.uplink);
  if (b.uplink?.kind === 'segment') segment(out, plan, obs, b, b.uplink);
}

function vxlan(out: Action[], ns: string, links: Links, b: BridgePlan, up: VxlanUplink): void {
  const dev = links.get(up.device);
  if (dev && !vxlanMatches(dev, up)) out.push({ op: 'link.delete', ns, name: up.device });
  if (!dev || !vxlanMatches(dev, up)) {
    out.push({ op: 'link.add.vxlan', ns, name: up.device, vni: up.vni, local: up.local, dev: up.dev, mtu: up.mtu, master: b.name });
  } else {
    fix(out, ns, dev, { master: b.name, mtu: up.mtu, up: true });
  }
}

function segment(out: Action[], plan: HostPlan, obs: ObservedHost, b: BridgePlan, up: SegmentUplink): void {
  const hostLinks = linksOf(obs, plan.hostNs);
  const fabricLinks = linksOf(obs, plan.fabric.ns);
  const hostEnd = hostLinks.get(up.hostDev);
  const fabricEnd = fabricLinks.get(up.fabricDev);
  if (hostEnd?.kind === 'veth' && fabricEnd) {
    fix(out, plan.hostNs, hostEnd, { master: b.name, mtu: up.mtu, up: true });
    fix(out, plan.fabric.ns, fabricEnd, { master: up.fabricBridge, mtu: up.mtu, up: true });
    return;
  }
  if (hostEnd) out.push({ op: 'link.delete', ns: plan.hostNs, name: up.hostDev });
  if (fabricEnd) out.push({ op: 'link.delete', ns: plan.fabric.ns, name: up.fabricDev });
  out.push({
    op: 'link.add.veth',
    a: { ns: plan.hostNs, name: up.hostDev, mtu: up.mtu, master: b.name },
    b: { ns: plan.fabric.ns, name: up.fabricDev, mtu: up.mtu, master: up.fabricBridge },
  });
}

function underlay(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  const u = plan.underlay;
  if (!u) return;
  const hostEnd = linksOf(obs, plan.hostNs).get(u.hostDev);
  const fabricEnd = linksOf(obs, plan.fabric.ns).get(u.fabricDev);
  if (hostEnd?.kind === 'veth' && fabricEnd) {
    fix(out, plan.hostNs, hostEnd, { mtu: u.mtu, up: true });
    fix(out, plan.fabric.ns, fabricEnd, { master: u.fabricBridge, mtu: u.mtu, up: true });
    addresses(out, plan.hostNs, u.hostDev, hostEnd, [u.cidr]);
    return;
  }
  if (hostEnd) out.push({ op: 'link.delete', ns: plan.hostNs, name: u.hostDev });
  if (fabricEnd) out.push({ op: 'link.delete', ns: plan.fabric.ns, name: u.fabricDev });
  out.push({
    op: 'link.add.veth',
    a: { ns: plan.hostNs, name: u.hostDev, mtu: u.mtu },
    b: { ns: plan.fabric.ns, name: u.fabricDev, mtu: u.mtu, master: u.fabricBridge },
  });
  out.push({ op: 'addr.add', ns: plan.hostNs, dev: u.hostDev, cidr: u.cidr });
}

function dhcpPort(out: Action[], plan: HostPlan, obs: ObservedHost, d: DhcpPlan): void {
  const hostLinks = linksOf(obs, plan.hostNs);
  const nsLinks = linksOf(obs, d.ns);
  const lo = nsLinks.get('lo');
  if (lo && !lo.up) out.push({ op: 'link.set', ns: d.ns, name: 'lo', up: true });
  const tap = hostLinks.get(d.tap);
  const dev = nsLinks.get(d.device);
  if (tap?.kind === 'veth' && dev) {
    fix(out, plan.hostNs, tap, { master: d.bridge, mtu: d.mtu, mac: d.tapMac, up: true });
    fix(out, d.ns, dev, { mtu: d.mtu, mac: d.mac, up: true });
    addresses(out, d.ns, d.device, dev, d.addresses);
    return;
  }
  if (tap) out.push({ op: 'link.delete', ns: plan.hostNs, name: d.tap });
  if (dev) out.push({ op: 'link.delete', ns: d.ns, name: d.device });
  out.push({
    op: 'link.add.veth',
    a: { ns: plan.hostNs, name: d.tap, mac: d.tapMac, mtu: d.mtu, master: d.bridge },
    b: { ns: d.ns, name: d.device, mac: d.mac, mtu: d.mtu },
  });
  addresses(out, d.ns, d.device, undefined, d.addresses);
}

function fdb(out: Action[], plan: HostPlan, obs: ObservedHost, up: VxlanUplink): void {
  const ns = plan.hostNs;
  const have = obs.fdb.get(up.device) ?? [];
  const key = (e: { mac: string; dst: string }) => `${e.mac}|${e.dst}`;
  const wanted = new Set(up.fdb.map(key));
  const present = new Set(have.map(key));
  for (const e of have) if (!wanted.has(key(e))) out.push({ op: 'fdb.delete', ns, dev: up.device, mac: e.mac, dst: e.dst });
  for (const e of up.fdb) if (!present.has(key(e))) out.push({ op: 'fdb.add', ns, dev: up.device, mac: e.mac, dst: e.dst });
  const neigh = new Map((obs.neighbours.get(up.device) ?? []).map((n) => [n.ip, n.mac]));
  const wantedIps = new Set(up.neighbours.map((n) => n.ip));
  for (const ip of neigh.keys()) if (!wantedIps.has(ip)) out.push({ op: 'neigh.delete', ns, dev: up.device, ip });
  for (const n of up.neighbours) if (neigh.get(n.ip) !== n.mac) out.push({ op: 'neigh.add', ns, dev: up.device, ip: n.ip, mac: n.mac });
}

function sameArgv(a: readonly string[] | null, b: readonly string[]): boolean {
  return a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

function dnsmasq(out: Action[], obs: ObservedHost, d: DhcpPlan): void {
  const o = obs.dhcp.get(d.networkId);
  const filesChanged = !o || o.files.host !== d.files.host || o.files.opts !== d.files.opts || o.files.addn_hosts !== d.files.addn_hosts;
  if (filesChanged) out.push({ op: 'dhcp.files', networkId: d.networkId, dir: d.dir, files: d.files });
  const pid = o?.pid ?? null;
  if (pid !== null && !sameArgv(o?.argv ?? null, d.argv)) {
    out.push({ op: 'dhcp.stop', networkId: d.networkId, dir: d.dir, pid });
    out.push({ op: 'dhcp.start', networkId: d.networkId, ns: d.ns, dir: d.dir, argv: d.argv });
    return;
  }
  if (pid === null) {
    out.push({ op: 'dhcp.start', networkId: d.networkId, ns: d.ns, dir: d.dir, argv: d.argv });
    return;
  }
  // A lease the host file no longer allows (a deleted port, a changed MAC or address) goes now.
  const allowed = new Set(d.allowed.map((h) => `${h.mac}|${h.ip}`));
  for (const l of o?.leases ?? []) {
    if (!allowed.has(`${l.mac}|${l.ip}`)) {
      out.push({ op: 'dhcp.release', networkId: d.networkId, ns: d.ns, dev: d.device, ip: l.ip, mac: l.mac, clientId: l.clientId });
    }
  }
  if (filesChanged) out.push({ op: 'dhcp.reload', networkId: d.networkId, dir: d.dir, pid });
}

/**
 * Tables after the links they name: a table that is missing, carries another content hash, or
 * drifted since Kumo wrote it is replaced whole; a Kumo table the plan no longer has goes.
 */
function nftTables(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  const planned = plan.nftTables ?? [];
  const observed = obs.nft ?? new Map();
  const wanted = new Set(planned.map((t) => `${t.ns}|${nftKey(t.family, t.name)}`));
  const deleted = new Set(out.flatMap((a) => (a.op === 'netns.delete' ? [a.ns] : [])));
  for (const [ns, tables] of [...observed].sort(([a], [b]) => a.localeCompare(b))) {
    if (deleted.has(ns)) continue;
    for (const t of tables.values()) {
      if (isOwnedTable(t.name) && !wanted.has(`${ns}|${nftKey(t.family, t.name)}`)) out.push({ op: 'nft.delete', ns, family: t.family, name: t.name });
    }
  }
  for (const t of planned) {
    const o = observed.get(t.ns)?.get(nftKey(t.family, t.name));
    if (!o || o.hash !== t.hash || o.drifted) out.push({ op: 'nft.table', ns: t.ns, family: t.family, name: t.name, hash: t.hash, body: t.body });
  }
}

export function diff(plan: HostPlan, obs: ObservedHost): Action[] {
  const out: Action[] = [];
  const dhcpNs = new Set(plan.dhcp.map((d) => d.ns));
  const routerNs = plannedRouterNamespaces(plan);
  const plannedNetworks = new Set(plan.dhcp.map((d) => d.networkId));

  // What must go: metadata proxies and dnsmasq of networks no longer served here, then their namespaces.
  stopUnplannedProxies(out, plan, obs);
  for (const [networkId, o] of obs.dhcp) {
    if (!plannedNetworks.has(networkId) && o.pid !== null) out.push({ op: 'dhcp.stop', networkId, dir: o.dir, pid: o.pid });
  }
  for (const ns of [...obs.recorded].sort()) {
    if (ns !== plan.hostNs && ns !== plan.fabric.ns && !dhcpNs.has(ns) && !routerNs.has(ns) && obs.namespaces.has(ns)) out.push({ op: 'netns.delete', ns });
  }

  if (!obs.namespaces.has(plan.fabric.ns)) out.push({ op: 'netns.add', ns: plan.fabric.ns, host: null, kind: 'fabric' });
  if (!obs.namespaces.has(plan.hostNs)) out.push({ op: 'netns.add', ns: plan.hostNs, host: plan.host, kind: 'host' });
  for (const d of plan.dhcp) if (!obs.namespaces.has(d.ns)) out.push({ op: 'netns.add', ns: d.ns, host: plan.host, kind: 'dhcp' });
  l3Namespaces(out, plan, obs);

  const fabricLinks = linksOf(obs, plan.fabric.ns);
  for (const b of plan.fabric.bridges) {
    const link = fabricLinks.get(b.name);
    if (!link) out.push({ op: 'link.add.bridge', ns: plan.fabric.ns, name: b.name, mtu: b.mtu });
    else fix(out, plan.fabric.ns, link, { mtu: b.mtu, up: true });
  }

  // Links the agent owns in the host namespace that the plan no longer has.
  const keep = new Set<string>();
  for (const b of plan.bridges) {
    keep.add(b.name);
    if (b.uplink?.kind === 'vxlan') keep.add(b.uplink.device);
    if (b.uplink?.kind === 'segment') keep.add(b.uplink.hostDev);
  }
  for (const name of [...linksOf(obs, plan.hostNs).keys()].sort()) {
    if (!keep.has(name) && OWNED_PREFIXES.some((p) => name.startsWith(p))) out.push({ op: 'link.delete', ns: plan.hostNs, name });
  }

  underlay(out, plan, obs);
  for (const b of plan.bridges) bridge(out, plan, obs, b);
  for (const d of plan.dhcp) dhcpPort(out, plan, obs, d);

  // Instance NICs: the compute driver makes the veth; the agent plugs it (the Linux bridge
  // agent's job in Neutron). A tap that does not exist yet is not an error.
  const hostLinks = linksOf(obs, plan.hostNs);
  for (const t of plan.taps) {
    const link = hostLinks.get(t.tap);
    if (link) fix(out, plan.hostNs, link, { master: t.up ? t.bridge : null, mtu: t.mtu, up: t.up });
  }

  routersDiff(out, plan, obs);
  outsideDiff(out, plan, obs);
  nftTables(out, plan, obs);
  natConntrack(out, plan, obs);
  // The inet firewall table was rewritten over an older one: end the flows it no longer admits.
  const fw = plan.firewall;
  const oldTable = fw ? obs.nft?.get(fw.ns)?.get(nftKey('inet', FIREWALL_TABLE_NAME)) : undefined;
  if (fw && oldTable && out.some((a) => a.op === 'nft.table' && a.ns === fw.ns && a.family === 'inet' && a.name === FIREWALL_TABLE_NAME)) {
    out.push({ op: 'firewall.conntrack', ns: fw.ns, firewall: fw });
  }
  for (const b of plan.bridges) if (b.uplink?.kind === 'vxlan') fdb(out, plan, obs, b.uplink);
  for (const d of plan.dhcp) dnsmasq(out, obs, d);
  for (const m of plan.metadata ?? []) metadataProxy(out, obs, m);
  return out;
}
