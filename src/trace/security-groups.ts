/**
 * Which security-group rule, if any, lets a flow leave or enter a port: Neutron's semantics
 * evaluated on the model (rules only allow; no match means drop; replies of a stateful group
 * pass by connection tracking). Kept independent of the data plane's firewall compiler, so a
 * trace can disagree with the kernel and say so.
 */
import { addressInCidr } from '../network/ipam/ip.js';
import { protocolNumber } from '../network/security-groups/protocols.js';
import { isIcmp, type Flow } from './flow.js';
import type { TraceModel, TracePort, TraceRule } from './model.js';

export type Direction = 'ingress' | 'egress';

export interface RuleVerdict {
  readonly allowed: boolean;
  /** The rule that allowed it (first match in the port's groups' order). */
  readonly rule: TraceRule | null;
  /** Why nothing matched, or a caveat about the match. */
  readonly note: string;
}

/** Addresses a remote group stands for: its member ports' fixed IPs and allowed address pairs. */
export function groupMembers(model: TraceModel, groupId: string): string[] {
  const out: string[] = [];
  for (const p of model.ports) {
    if (!p.securityGroups.includes(groupId)) continue;
    for (const a of p.fixedIps) out.push(a.ip);
    for (const pair of p.allowedAddressPairs) out.push(pair.ip_address);
  }
  return out;
}

function protocolMatches(rule: TraceRule, flow: Flow): boolean {
  let n = protocolNumber(rule.protocol);
  if (n === null || rule.protocol === 'any' || Number.isNaN(n)) return true;
  if (n === 0 && (rule.protocol === 'ip' || rule.protocol === '0' || rule.protocol === 'hopopt')) return true;
  if (flow.ethertype === 'IPv6' && n === 1) n = 58;
  return n === flow.protocol;
}

function portsMatch(rule: TraceRule, flow: Flow): boolean {
  if (isIcmp(flow.protocol)) {
    // For ICMP rules port_range_min is the type and port_range_max the code.
    if (rule.portRangeMin !== null && rule.portRangeMin !== flow.port) return false;
    if (rule.portRangeMax !== null && rule.portRangeMax !== flow.icmpCode) return false;
    return true;
  }
  if (flow.port === null || (rule.portRangeMin === null && rule.portRangeMax === null)) return true;
  const min = rule.portRangeMin ?? 1;
  const max = rule.portRangeMax ?? min;
  return flow.port >= min && flow.port <= max;
}

function remoteMatches(model: TraceModel, rule: TraceRule, remote: string): boolean {
  if (rule.remoteIpPrefix !== null) return addressInCidr(rule.remoteIpPrefix, remote);
  if (rule.remoteGroupId !== null) {
    return groupMembers(model, rule.remoteGroupId).some((m) => (m.includes('/') ? addressInCidr(m, remote) : m === remote));
  }
  if (rule.remoteAddressGroupId !== null) {
    return (model.addressGroups.get(rule.remoteAddressGroupId) ?? []).some((cidr) => addressInCidr(cidr, remote));
  }
  return true;
}

export function ruleMatches(model: TraceModel, rule: TraceRule, direction: Direction, flow: Flow, remote: string): boolean {
  return rule.direction === direction && rule.ethertype === flow.ethertype && protocolMatches(rule, flow)
    && portsMatch(rule, flow) && remoteMatches(model, rule, remote);
}

/**
 * The verdict of a port's groups on a flow in one direction, `remote` being the far end's
 * address as this port sees it (after NAT).
 */
export function securityGroupVerdict(model: TraceModel, port: TracePort, direction: Direction, flow: Flow, remote: string): RuleVerdict {
  if (!port.portSecurity) return { allowed: true, rule: null, note: 'port security is disabled on this port: no filtering' };
  if (port.securityGroups.length === 0) return { allowed: false, rule: null, note: 'the port is in no security group: everything is dropped' };
  for (const groupId of port.securityGroups) {
    for (const rule of model.rules) {
      if (rule.groupId === groupId && ruleMatches(model, rule, direction, flow, remote)) return { allowed: true, rule, note: '' };
    }
  }
  return {
    allowed: false, rule: null,
    note: `no ${direction} rule of ${port.securityGroups.length === 1 ? 'its group' : 'its groups'} matches ${flow.ethertype} from/to ${remote}`,
  };
}

/** One line naming a rule as `openstack security group rule show` would identify it. */
export function describeRule(model: TraceModel, rule: TraceRule): string {
  const group = model.groups.find((g) => g.id === rule.groupId);
  const proto = rule.protocol ?? 'any';
  const ports = rule.portRangeMin === null && rule.portRangeMax === null ? '' : ` ${rule.portRangeMin ?? ''}:${rule.portRangeMax ?? ''}`;
  const remote = rule.remoteIpPrefix ?? (rule.remoteGroupId ? `group ${model.groups.find((g) => g.id === rule.remoteGroupId)?.name ?? rule.remoteGroupId}`
    : rule.remoteAddressGroupId ? `address group ${rule.remoteAddressGroupId}` : 'any');
  return `rule ${rule.id} of group ${group?.name ?? '?'} (${group?.id ?? rule.groupId}): ${rule.direction} ${rule.ethertype} ${proto}${ports} remote ${remote}`;
}
