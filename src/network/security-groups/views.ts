/** Neutron JSON documents for security groups (with their rules embedded) and security group rules. */
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import type { View } from '../listing.js';
import type { NetworkService } from '../service.js';
import { neutronTime } from '../time.js';
import { standardAttributes } from '../views.js';
import { normalizedCidr } from './rules.js';

/** Attributes a rule list may be filtered on even when no rule in the answer has them. */
export const RULE_ATTRIBUTES = ['id', 'tenant_id', 'project_id', 'security_group_id', 'ethertype', 'direction', 'protocol', 'port_range_min',
  'port_range_max', 'remote_ip_prefix', 'normalized_cidr', 'remote_group_id', 'remote_address_group_id', 'description', 'created_at', 'updated_at', 'revision_number'];

export const GROUP_ATTRIBUTES = ['id', 'name', 'description', 'stateful', 'tenant_id', 'project_id', 'security_group_rules', 'tags',
  'created_at', 'updated_at', 'revision_number'];

export function ruleView(r: SecurityGroupRuleRow): View {
  return {
    id: r.id,
    tenant_id: r.project_id,
    project_id: r.project_id,
    security_group_id: r.security_group_id,
    ethertype: r.ethertype,
    direction: r.direction,
    protocol: r.protocol,
    port_range_min: r.port_range_min,
    port_range_max: r.port_range_max,
    remote_ip_prefix: r.remote_ip_prefix,
    normalized_cidr: normalizedCidr(r.remote_ip_prefix),
    remote_group_id: r.remote_group_id,
    remote_address_group_id: r.remote_address_group_id,
    description: r.description,
    created_at: neutronTime(r.created_at),
    updated_at: neutronTime(r.updated_at),
    revision_number: r.revision_number,
  };
}

export function groupView(g: SecurityGroupRow, rules: readonly SecurityGroupRuleRow[], tags: readonly string[]): View {
  const { tenant_id, project_id, description, ...standard } = standardAttributes(g, tags);
  return {
    id: g.id,
    name: g.name,
    description,
    stateful: g.stateful === 1,
    tenant_id,
    project_id,
    security_group_rules: rules.map(ruleView),
    ...standard,
  };
}

/** Views for many groups with two queries per 500 groups (rules, tags). */
export async function loadGroupViews(service: NetworkService, groups: readonly SecurityGroupRow[], db: Db | Tx = service.db): Promise<View[]> {
  const ids = groups.map((g) => g.id);
  const rules = new Map<string, SecurityGroupRuleRow[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', chunk).orderBy('created_at').orderBy('id').execute();
    for (const r of rows) {
      const list = rules.get(r.security_group_id) ?? [];
      list.push(r);
      rules.set(r.security_group_id, list);
    }
  }
  const tags = await service.tagsOf(ids, db);
  return groups.map((g) => groupView(g, rules.get(g.id) ?? [], tags.get(g.id) ?? []));
}
