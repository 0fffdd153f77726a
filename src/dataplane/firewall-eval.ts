/**
 * The firewall plan as a decision procedure: would a (new) IPv4 flow in a network's zone be
 * let through by the egress rules of the port it comes from and the ingress rules of the port
 * it goes to? Used after a rule change to find the tracked flows that only a removed rule let
 * in: Neutron deletes those conntrack entries, and so does the driver (flows still allowed by
 * another rule keep their entries). Pure; reads the rules as data (RuleSpec), not nft text.
 */
import { cidrContains, parseCidr, parseIp } from '../network/ipam/ip.js';
import type { FirewallPlan, FirewallPortPlan, RuleSpec } from './plan-firewall.js';

export interface TrackedFlow {
  readonly zone: number;
  readonly protocol: number;
  /** The original direction's source and destination. */
  readonly src: string;
  readonly dst: string;
  readonly sport: number | null;
  readonly dport: number | null;
  readonly icmpType: number | null;
  readonly icmpCode: number | null;
  readonly icmpId: number | null;
}

/** `conntrack -L -f ipv4` lines (the first tuple is the original direction). */
export function parseConntrackFlows(text: string): TrackedFlow[] {
  const out: TrackedFlow[] = [];
  for (const row of text.split('\n')) {
    const fields = row.trim().split(/\s+/);
    const protocol = Number(fields[1]);
    if (!Number.isInteger(protocol)) continue;
    const first = (key: string): string | null => fields.find((f) => f.startsWith(`${key}=`))?.slice(key.length + 1) ?? null;
    const num = (key: string): number | null => {
      const v = first(key);
      return v === null ? null : Number(v);
    };
    const src = first('src');
    const dst = first('dst');
    if (!src || !dst) continue;
    out.push({ zone: num('zone') ?? 0, protocol, src, dst, sport: num('sport'), dport: num('dport'), icmpType: num('type'), icmpCode: num('code'), icmpId: num('id') });
  }
  return out;
}

function contains(list: readonly string[], address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  return list.some((entry) => {
    const c = parseCidr(entry);
    return c !== null && cidrContains(c, ip.version, ip.value);
  });
}

function specAllows(spec: RuleSpec, flow: TrackedFlow, remote: string, plan: FirewallPlan): boolean {
  if (spec.version !== 4) return false;
  if (spec.protocol !== null && spec.protocol !== flow.protocol) return false;
  if (spec.ports !== null && (flow.dport === null || flow.dport < spec.ports[0] || flow.dport > spec.ports[1])) return false;
  if (spec.icmpType !== null && spec.icmpType !== flow.icmpType) return false;
  if (spec.icmpCode !== null && spec.icmpCode !== flow.icmpCode) return false;
  if (spec.remote === null) return true;
  if ('prefix' in spec.remote) return contains([spec.remote.prefix], remote);
  const name = spec.remote.set;
  return contains(plan.sets.find((s) => s.name === name)?.elements ?? [], remote);
}

const isDhcp = (flow: TrackedFlow) => flow.protocol === 17 && (flow.dport === 67 || flow.dport === 68);

function sideAllows(plan: FirewallPlan, port: FirewallPortPlan | undefined, direction: 'egress' | 'ingress', flow: TrackedFlow, remote: string): boolean {
  // Not a filtered port here, or a stateless one (its packets are judged one by one anyway).
  if (!port || !port.stateful || isDhcp(flow)) return true;
  return (direction === 'egress' ? port.egress : port.ingress).some((r) => specAllows(r.spec, flow, remote, plan));
}

/** True when the plan's rules would admit this flow if it started now. */
export function flowAllowed(plan: FirewallPlan, flow: TrackedFlow): boolean {
  const networkId = plan.zones.find((z) => z.zone === flow.zone)?.networkId;
  if (networkId === undefined) return true;
  const on = plan.ports.filter((p) => p.networkId === networkId);
  const owner = (address: string) => on.find((p) => p.spoof.some((s) => contains(s.ipv4, address)));
  return sideAllows(plan, owner(flow.src), 'egress', flow, flow.dst) && sideAllows(plan, owner(flow.dst), 'ingress', flow, flow.src);
}

/** The tracked flows the plan no longer admits (what a rule's removal should end). */
export function staleFlows(plan: FirewallPlan, flows: readonly TrackedFlow[]): TrackedFlow[] {
  return flows.filter((f) => !flowAllowed(plan, f));
}
