/**
 * The security-group part of the agent's model: each port's port security flag, allowed
 * address pairs and groups, the groups (stateful or not), their rules, and the addresses of the
 * address groups those rules name. Read in one round of queries; plain immutable data that
 * compile-firewall.ts turns into nftables tables.
 */
import type { Db } from '../store/store.js';
import { selectAllPacked } from '../store/packed.js';

/** A security-group rule as the agent compiles it and `kumo trace` evaluates it. */
export interface ModelRule {
  readonly id: string;
  readonly groupId: string;
  readonly direction: 'ingress' | 'egress';
  readonly ethertype: 'IPv4' | 'IPv6';
  /** As stored: null (any), a name ('tcp', 'ipv6-icmp') or a number as text ('6'). */
  readonly protocol: string | null;
  readonly portRangeMin: number | null;
  readonly portRangeMax: number | null;
  readonly remoteIpPrefix: string | null;
  readonly remoteGroupId: string | null;
  readonly remoteAddressGroupId: string | null;
}

export interface ModelGroup {
  readonly id: string;
  readonly stateful: boolean;
}

export interface ModelAddressPair {
  readonly ipAddress: string;
  /** null: the port's own MAC. */
  readonly macAddress: string | null;
}

export interface ModelPortSecurity {
  readonly enabled: boolean;
  readonly groups: readonly string[];
  readonly allowedAddressPairs: readonly ModelAddressPair[];
}

export interface FirewallModel {
  readonly groups: readonly ModelGroup[];
  /** In creation order, so a port's chain lists them as `openstack security group rule list` does. */
  readonly rules: readonly ModelRule[];
  /** Port id → its port security, groups and pairs (every port of the cloud). */
  readonly ports: ReadonlyMap<string, ModelPortSecurity>;
  /** Address group id → its addresses (CIDRs), for every group a rule names. */
  readonly addressGroups: ReadonlyMap<string, readonly string[]>;
}

function pairs(text: string): ModelAddressPair[] {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return [];
    return v.flatMap((p: { ip_address?: unknown; mac_address?: unknown }) => (typeof p?.ip_address === 'string'
      ? [{ ipAddress: p.ip_address, macAddress: typeof p.mac_address === 'string' && p.mac_address !== '' ? p.mac_address.toLowerCase() : null }] : []));
  } catch {
    return [];
  }
}

/** Every security-group rule, in creation order. */
export async function loadRules(db: Db): Promise<ModelRule[]> {
  const rules = await db.selectFrom('security_group_rules').select(['id', 'security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min',
    'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'remote_address_group_id']).orderBy('created_at').orderBy('id').execute();
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  return rules.map((r) => ({
    id: r.id, groupId: r.security_group_id, direction: r.direction === 'egress' ? 'egress' : 'ingress', ethertype: r.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
    protocol: r.protocol, portRangeMin: num(r.port_range_min), portRangeMax: num(r.port_range_max),
    remoteIpPrefix: r.remote_ip_prefix, remoteGroupId: r.remote_group_id, remoteAddressGroupId: r.remote_address_group_id,
  }));
}

/**
 * Address group id → its addresses, for every group some rule names (a group no rule names
 * changes nothing anywhere); a named group without addresses maps to an empty list.
 */
export async function loadAddressGroups(db: Db): Promise<Map<string, string[]>> {
  const named = db.selectFrom('security_group_rules').select('remote_address_group_id').where('remote_address_group_id', 'is not', null);
  const [groups, addresses] = await Promise.all([
    db.selectFrom('address_groups').select('id').where('id', 'in', named).execute(),
    db.selectFrom('address_group_addresses').select(['address_group_id', 'address']).where('address_group_id', 'in', named)
      .orderBy('address_group_id').orderBy('address').execute(),
  ]);
  const out = new Map<string, string[]>(groups.map((g) => [g.id, []]));
  for (const a of addresses) out.get(a.address_group_id)?.push(a.address);
  return out;
}

export async function loadFirewallModel(db: Db): Promise<FirewallModel> {
  const [groups, rules, ports, bindings, addressGroups] = await Promise.all([
    db.selectFrom('security_groups').select(['id', 'stateful']).orderBy('id').execute(),
    loadRules(db),
    selectAllPacked(db, 'ports', ['id', 'port_security_enabled', 'allowed_address_pairs']),
    selectAllPacked(db, 'port_security_groups', ['port_id', 'security_group_id'], ['security_group_id']),
    loadAddressGroups(db),
  ]);
  const groupsOf = new Map<string, string[]>();
  for (const b of bindings) groupsOf.set(b.port_id, [...(groupsOf.get(b.port_id) ?? []), b.security_group_id]);
  return {
    groups: groups.map((g) => ({ id: g.id, stateful: Number(g.stateful) === 1 || (g.stateful as unknown) === true })),
    rules,
    ports: new Map(ports.map((p) => [p.id, {
      enabled: Number(p.port_security_enabled) === 1 || (p.port_security_enabled as unknown) === true,
      groups: groupsOf.get(p.id) ?? [],
      allowedAddressPairs: pairs(p.allowed_address_pairs),
    }])),
    addressGroups,
  };
}
