/**
 * compileFirewall(model, host) → FirewallPlan: security groups and port security of the
 * instance ports bound to one host, as data and as two nftables tables for the host namespace.
 * Pure. Where each part runs (DESIGN.md, data plane):
 * - bridge family, prerouting: frames from an instance port must come from its MAC and
 *   addresses (or allowed address pairs), ARP likewise, never DHCP server replies or router
 *   advertisements; the port's number goes into the packet mark (low 16 bits).
 * - bridge family, forward (before br_netfilter hands the packet to the IP hooks): the out
 *   port's number goes into the high 16 bits of the mark.
 * - inet family, reached through br_netfilter: a conntrack zone per network (by bridge, since
 *   the IP hooks see the bridge as the input device), then egress rules of the in-port in
 *   prerouting and ingress rules of the out-port in forward, each dispatched by one verdict map
 *   on the mark. Rules only accept; a port chain ends in drop.
 */
import { createHash } from 'node:crypto';
import { formatCidr, parseCidr, type IpVersion } from '../network/ipam/ip.js';
import { hasPorts, protocolNumber } from '../network/security-groups/protocols.js';
import { bridgeName } from '../dataplane/names.js';
import { nftTable } from '../dataplane/nft-table.js';
import { FIREWALL_TABLE_NAME } from '../dataplane/plan-firewall.js';
import type { CompiledRule, FirewallPlan, FirewallPortPlan, FirewallSet, RuleSpec, SpoofAllowance } from '../dataplane/plan-firewall.js';
import type { TapPlan } from '../dataplane/plan.js';
import type { FirewallModel, ModelRule } from './model-firewall.js';
import type { Model, ModelPort } from './model.js';

export const FIREWALL_TABLE = FIREWALL_TABLE_NAME;

/** ICMPv6 that IPv6 needs whatever the rules say (Neutron allows these too). */
const ICMPV6_IN = 'mld-listener-query, mld-listener-report, mld-listener-done, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report';
const ICMPV6_OUT = 'mld-listener-report, mld-listener-done, nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report';

/** The IPv6 link-local address (EUI-64) of a MAC. */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const eui = [(b[0] ?? 0) ^ 2, b[1] ?? 0, b[2] ?? 0, 0xff, 0xfe, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0];
  const groups = [0, 2, 4, 6].map((i) => (((eui[i] ?? 0) << 8) | (eui[i + 1] ?? 0)).toString(16));
  return `fe80::${groups.join(':')}`;
}

/** An address or CIDR in the form nft prints (host routes as plain addresses), or null if invalid. */
function canonical(text: string): { version: IpVersion; text: string } | null {
  const c = parseCidr(text);
  if (!c) return null;
  const f = formatCidr(c);
  return { version: c.version, text: c.prefixLength === c.bits ? f.slice(0, f.indexOf('/')) : f };
}

/**
 * A conntrack zone per network, from its id (stable across passes and restarts); a collision on
 * this host moves the later network (in id order) to the next free zone.
 */
function zonesFor(networkIds: readonly string[]): Map<string, number> {
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const id of [...networkIds].sort()) {
    let z = (parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16) % 65535) + 1;
    while (used.has(z)) z = (z % 65535) + 1;
    used.add(z);
    out.set(id, z);
  }
  return out;
}

function spoofAllowances(port: ModelPort, fw: FirewallModel): SpoofAllowance[] {
  const byMac = new Map<string, { ipv4: Set<string>; ipv6: Set<string> }>();
  const add = (mac: string, address: string | null) => {
    const entry = byMac.get(mac) ?? { ipv4: new Set([]), ipv6: new Set([linkLocal(mac)]) };
    byMac.set(mac, entry);
    const c = address === null ? null : canonical(address);
    if (c) (c.version === 4 ? entry.ipv4 : entry.ipv6).add(c.text);
  };
  add(port.mac, null);
  for (const a of port.fixedIps) add(port.mac, a.ip);
  for (const p of fw.ports.get(port.id)?.allowedAddressPairs ?? []) add(p.macAddress ?? port.mac, p.ipAddress);
  return [...byMac].sort(([a], [b]) => a.localeCompare(b)).map(([mac, e]) => ({ mac, ipv4: [...e.ipv4].sort(), ipv6: [...e.ipv6].sort() }));
}

const setName = (kind: 'group' | 'address-group', id: string, version: IpVersion) => `${kind === 'group' ? 'rg' : 'ag'}${version}-${id}`;

/** The match of one Neutron rule for one direction, or null when it can never match (an unusable prefix). */
export function ruleMatch(rule: ModelRule): { match: string; spec: RuleSpec; set: { kind: 'group' | 'address-group'; id: string; version: IpVersion } | null } | null {
  const v6 = rule.ethertype === 'IPv6';
  const version: IpVersion = v6 ? 6 : 4;
  const parts = [v6 ? 'meta nfproto ipv6' : 'meta nfproto ipv4'];
  let spec: RuleSpec = { version, protocol: null, ports: null, icmpType: null, icmpCode: null, remote: null };
  let n = protocolNumber(rule.protocol);
  if (n !== null && Number.isNaN(n)) return null;
  if (v6 && n === 1) n = 58;
  // 0 (ip, hopopt) is "any protocol" here as it is in Neutron's drivers.
  if (n !== null && n !== 0) {
    spec = { ...spec, protocol: n };
    if (n === 1 || n === 58) {
      spec = { ...spec, icmpType: rule.portRangeMin, icmpCode: rule.portRangeMin !== null ? rule.portRangeMax : null };
      const icmp = n === 1 ? 'icmp' : 'icmpv6';
      parts.push(`meta l4proto ${n === 1 ? 'icmp' : 'ipv6-icmp'}`);
      // For ICMP rules port_range_min is the type and port_range_max the code.
      if (rule.portRangeMin !== null) parts.push(`${icmp} type ${rule.portRangeMin}`);
      if (rule.portRangeMin !== null && rule.portRangeMax !== null) parts.push(`${icmp} code ${rule.portRangeMax}`);
    } else {
      parts.push(`meta l4proto ${n}`);
      if (hasPorts(n, rule.protocol) && (rule.portRangeMin !== null || rule.portRangeMax !== null)) {
        const min = rule.portRangeMin ?? 1;
        const max = rule.portRangeMax ?? 65535;
        parts.push(`th dport ${min === max ? min : `${min}-${max}`}`);
        spec = { ...spec, ports: [min, max] };
      }
    }
  }
  const field = `${v6 ? 'ip6' : 'ip'} ${rule.direction === 'ingress' ? 'saddr' : 'daddr'}`;
  let set: { kind: 'group' | 'address-group'; id: string; version: IpVersion } | null = null;
  if (rule.remoteIpPrefix !== null) {
    const c = parseCidr(rule.remoteIpPrefix);
    if (!c || c.version !== version) return null;
    if (c.prefixLength > 0) {
      parts.push(`${field} ${canonical(rule.remoteIpPrefix)?.text}`);
      spec = { ...spec, remote: { prefix: formatCidr(c) } };
    }
  } else if (rule.remoteGroupId !== null) {
    set = { kind: 'group', id: rule.remoteGroupId, version };
  } else if (rule.remoteAddressGroupId !== null) {
    set = { kind: 'address-group', id: rule.remoteAddressGroupId, version };
  }
  if (set) {
    parts.push(`${field} @${setName(set.kind, set.id, set.version)}`);
    spec = { ...spec, remote: { set: setName(set.kind, set.id, set.version) } };
  }
  return { match: parts.join(' '), spec, set };
}

/** Addresses of a security group's members: every port in it, anywhere, fixed IPs and pairs. */
function groupMembers(model: Model, fw: FirewallModel, groupId: string, version: IpVersion): string[] {
  const out = new Set<string>();
  for (const p of model.ports) {
    const sec = fw.ports.get(p.id);
    if (!sec?.groups.includes(groupId)) continue;
    for (const a of [...p.fixedIps.map((f) => f.ip), ...sec.allowedAddressPairs.map((x) => x.ipAddress)]) {
      const c = canonical(a);
      if (c?.version === version) out.add(c.text);
    }
  }
  return [...out].sort();
}

function portPlan(model: Model, fw: FirewallModel, tap: TapPlan, port: ModelPort, index: number, needSets: Map<string, FirewallSet>): FirewallPortPlan {
  const sec = fw.ports.get(port.id);
  const groups = [...(sec?.groups ?? [])].sort();
  const statefulOf = new Map(fw.groups.map((g) => [g.id, g.stateful]));
  const stateful = groups.length === 0 || groups.some((g) => statefulOf.get(g) !== false);
  const egress: CompiledRule[] = [];
  const ingress: CompiledRule[] = [];
  for (const rule of fw.rules) {
    if (!groups.includes(rule.groupId)) continue;
    const m = ruleMatch(rule);
    if (!m) continue;
    if (m.set) {
      const name = setName(m.set.kind, m.set.id, m.set.version);
      if (!needSets.has(name)) {
        const version = m.set.version;
        const elements = m.set.kind === 'group' ? groupMembers(model, fw, m.set.id, version)
          : (fw.addressGroups.get(m.set.id) ?? []).flatMap((a) => { const c = canonical(a); return c && c.version === version ? [c.text] : []; }).sort();
        needSets.set(name, { name, family: m.set.version === 4 ? 'ipv4' : 'ipv6', kind: m.set.kind, id: m.set.id, elements });
      }
    }
    (rule.direction === 'egress' ? egress : ingress).push({ ruleId: rule.id, groupId: rule.groupId, match: m.match, spec: m.spec });
  }
  return { portId: port.id, networkId: port.networkId, tap: tap.tap, index, stateful, groups, spoof: spoofAllowances(port, fw), egress, ingress };
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const list = (items: readonly string[]) => (items.length === 1 ? items[0] as string : `{ ${items.join(', ')} }`);

function bridgeBody(ports: readonly FirewallPortPlan[]): string {
  const out: string[] = [];
  out.push('\tchain prerouting {', '\t\ttype filter hook prerouting priority -200; policy accept;', '\t\tmeta mark set 0');
  out.push(`\t\tiifname vmap { ${ports.map((p) => `"${p.tap}" : jump spoof-${p.portId}`).join(', ')} }`, '\t}');
  // Before br_netfilter (priority 0) runs the IP forward hook, so the inet rules see the out-port.
  out.push('\tchain forward {', '\t\ttype filter hook forward priority -10; policy accept;');
  out.push(`\t\toifname vmap { ${ports.map((p) => `"${p.tap}" : jump out-${p.portId}`).join(', ')} }`, '\t}');
  for (const p of ports) {
    out.push(`\tchain spoof-${p.portId} {`, `\t\tmeta mark set ${hex(p.index)}`);
    out.push('\t\tudp sport 67 udp dport 68 drop', '\t\tudp sport 547 udp dport 546 drop', '\t\ticmpv6 type nd-router-advert drop');
    for (const s of p.spoof) {
      out.push(`\t\tether saddr ${s.mac} arp saddr ether ${s.mac} arp saddr ip ${list(['0.0.0.0', ...s.ipv4])} accept`);
      if (s.ipv4.length > 0) out.push(`\t\tether saddr ${s.mac} ip saddr ${list(s.ipv4)} accept`);
      out.push(`\t\tether saddr ${s.mac} ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept`);
      out.push(`\t\tether saddr ${s.mac} ip6 saddr ${list(s.ipv6)} accept`);
      out.push(`\t\tether saddr ${s.mac} ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept`);
    }
    out.push('\t\tdrop', '\t}');
    out.push(`\tchain out-${p.portId} {`, `\t\tmeta mark set meta mark & 0x0000ffff | ${hex(p.index << 16)}`, '\t}');
  }
  return `${out.join('\n')}\n`;
}

function portChain(p: FirewallPortPlan, direction: 'egress' | 'ingress'): string[] {
  const out = [`\tchain ${direction}-${p.portId} {`];
  if (p.stateful) out.push('\t\tct state vmap { invalid : drop, established : accept, related : accept }');
  if (direction === 'ingress') {
    out.push('\t\tmeta nfproto ipv4 udp sport 67 udp dport 68 accept', '\t\tmeta nfproto ipv6 udp sport 547 udp dport 546 accept');
    out.push(`\t\ticmpv6 type { ${ICMPV6_IN} } accept`);
  } else {
    out.push('\t\tmeta nfproto ipv4 udp sport 68 udp dport 67 accept', '\t\tmeta nfproto ipv6 udp sport 546 udp dport 547 accept');
    out.push(`\t\ticmpv6 type { ${ICMPV6_OUT} } accept`);
  }
  for (const r of direction === 'egress' ? p.egress : p.ingress) out.push(`\t\t${r.match} accept comment "${r.ruleId}"`);
  out.push('\t\tdrop', '\t}');
  return out;
}

function inetBody(zones: FirewallPlan['zones'], ports: readonly FirewallPortPlan[], sets: readonly FirewallSet[]): string {
  const out: string[] = [];
  for (const s of sets) {
    out.push(`\tset ${s.name} {`, `\t\ttype ${s.family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr'}`, '\t\tflags interval', '\t\tauto-merge');
    if (s.elements.length > 0) out.push(`\t\telements = { ${s.elements.join(', ')} }`);
    out.push('\t}');
  }
  // br_netfilter makes the bridge the input device of bridged packets: one zone per network.
  // Traffic of bridges without a filtered port, and the host's own (the VXLAN underlay), is
  // not tracked at all.
  const bridges = zones.map((z) => `"${z.bridge}"`);
  out.push('\tchain zone {', '\t\ttype filter hook prerouting priority raw; policy accept;');
  out.push(`\t\tct zone set iifname map { ${zones.map((z) => `"${z.bridge}" : ${z.zone}`).join(', ')} }`);
  out.push(`\t\tiifname != ${list(bridges)} notrack`, '\t}');
  out.push('\tchain local {', '\t\ttype filter hook output priority raw; policy accept;', '\t\tnotrack', '\t}');
  out.push('\tchain egress {', '\t\ttype filter hook prerouting priority filter; policy accept;');
  out.push(`\t\tmeta mark & 0x0000ffff vmap { ${ports.map((p) => `${hex(p.index)} : jump egress-${p.portId}`).join(', ')} }`, '\t}');
  out.push('\tchain ingress {', '\t\ttype filter hook forward priority filter; policy accept;');
  out.push(`\t\tmeta mark & 0xffff0000 vmap { ${ports.map((p) => `${hex(p.index << 16)} : jump ingress-${p.portId}`).join(', ')} }`, '\t}');
  for (const p of ports) out.push(...portChain(p, 'egress'), ...portChain(p, 'ingress'));
  return `${out.join('\n')}\n`;
}

/** The host's firewall, or null when no instance port here has port security (nothing to filter). */
export function compileFirewall(model: Model, hostNs: string, taps: readonly TapPlan[]): FirewallPlan | null {
  const fw = model.firewall;
  if (!fw) return null;
  const ports = new Map(model.ports.map((p) => [p.id, p]));
  const filtered = taps.filter((t) => ports.has(t.portId) && fw.ports.get(t.portId)?.enabled !== false)
    .sort((a, b) => a.portId.localeCompare(b.portId));
  if (filtered.length === 0) return null;
  if (filtered.length > 0xffff) throw new Error(`firewall: ${filtered.length} filtered ports on one host exceed the 16-bit port mark`);
  const sets = new Map<string, FirewallSet>();
  const portPlans = filtered.map((t, i) => portPlan(model, fw, t, ports.get(t.portId) as ModelPort, i + 1, sets));
  const zoneOf = zonesFor([...new Set(portPlans.map((p) => p.networkId))]);
  const zones = [...zoneOf].map(([networkId, zone]) => ({ networkId, bridge: bridgeName(networkId), zone })).sort((a, b) => a.bridge.localeCompare(b.bridge));
  const setList = [...sets.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    ns: hostNs, zones, ports: portPlans, sets: setList,
    tables: [nftTable(hostNs, 'bridge', FIREWALL_TABLE, bridgeBody(portPlans)), nftTable(hostNs, 'inet', FIREWALL_TABLE, inetBody(zones, portPlans, setList))],
  };
}
