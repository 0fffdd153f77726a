/**
 * The firewall part of a HostPlan: what security groups and port security mean on one host, as
 * data (made by src/agent/compile-firewall.ts) next to the nftables text that enforces it. Each
 * compiled rule keeps the id of the Neutron rule it came from, so `kumo trace` and a reader of
 * `nft list ruleset` (where the id is the rule's comment) can say which rule decided.
 */
import type { NftTablePlan } from './nft-table.js';

/** The name of the firewall's two tables (bridge and inet family) in a host namespace. */
export const FIREWALL_TABLE_NAME = 'kumo-sg';

/** What a port may send from: one MAC and the addresses (or CIDRs) that go with it. */
export interface SpoofAllowance {
  readonly mac: string;
  readonly ipv4: readonly string[];
  /** Including the MAC's IPv6 link-local address. */
  readonly ipv6: readonly string[];
}

/** What a rule matches, as data (firewall-eval.ts decides with it; the nft match says the same). */
export interface RuleSpec {
  readonly version: 4 | 6;
  /** IP protocol number; null for any. */
  readonly protocol: number | null;
  /** Destination port range (TCP, UDP, ...); null for any. */
  readonly ports: readonly [number, number] | null;
  readonly icmpType: number | null;
  readonly icmpCode: number | null;
  /** The far end: a prefix, a named set of member addresses, or anywhere (null). */
  readonly remote: { readonly prefix: string } | { readonly set: string } | null;
}

export interface CompiledRule {
  /** The Neutron security-group rule id. */
  readonly ruleId: string;
  readonly groupId: string;
  /** The nft match that stands for the rule (without its verdict and comment). */
  readonly match: string;
  readonly spec: RuleSpec;
}

export interface FirewallPortPlan {
  readonly portId: string;
  readonly networkId: string;
  readonly tap: string;
  /** The port's number on this host: in-port mark = index, out-port mark = index << 16. */
  readonly index: number;
  /** False when all its groups are stateless: no connection tracking verdicts, rules decide every packet. */
  readonly stateful: boolean;
  readonly groups: readonly string[];
  readonly spoof: readonly SpoofAllowance[];
  readonly egress: readonly CompiledRule[];
  readonly ingress: readonly CompiledRule[];
}

/** A named set of a remote security group's (or address group's) member addresses. */
export interface FirewallSet {
  readonly name: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly kind: 'group' | 'address-group';
  readonly id: string;
  readonly elements: readonly string[];
}

export interface FirewallPlan {
  readonly ns: string;
  /** Conntrack zone of each network with a filtered port here (keyed by its bridge). */
  readonly zones: readonly { readonly networkId: string; readonly bridge: string; readonly zone: number }[];
  /** Filtered ports (instance ports with port security on), by index. */
  readonly ports: readonly FirewallPortPlan[];
  readonly sets: readonly FirewallSet[];
  /** The two tables (bridge: anti-spoofing and port marks; inet: zones and stateful rules). */
  readonly tables: readonly NftTablePlan[];
}
