/**
 * Neutron security groups in Nova's old format (the os-security-groups proxy): ingress rules
 * only, ports as from_port/to_port with -1 for "any", the remote prefix as ip_range and a
 * remote group as {name, tenant_id}.
 */
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';

export function novaRule(rule: SecurityGroupRuleRow, groupNames: ReadonlyMap<string, { name: string; project_id: string }>): Record<string, unknown> {
  const remote = rule.remote_group_id ? groupNames.get(rule.remote_group_id) : undefined;
  return {
    id: rule.id, parent_group_id: rule.security_group_id, ip_protocol: rule.protocol,
    from_port: rule.port_range_min ?? -1, to_port: rule.port_range_max ?? -1,
    ip_range: rule.remote_ip_prefix ? { cidr: rule.remote_ip_prefix } : {},
    group: remote ? { name: remote.name, tenant_id: remote.project_id } : {},
  };
}

export async function novaGroups(db: Db | Tx, groups: readonly SecurityGroupRow[]): Promise<Record<string, unknown>[]> {
  if (groups.length === 0) return [];
  const ids = groups.map((g) => g.id);
  const rules = await db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', ids).where('direction', '=', 'ingress').orderBy('created_at').execute();
  const remoteIds = [...new Set(rules.map((r) => r.remote_group_id).filter((x): x is string => x !== null))];
  const remotes = remoteIds.length ? await db.selectFrom('security_groups').select(['id', 'name', 'project_id']).where('id', 'in', remoteIds).execute() : [];
  const names = new Map(remotes.map((r) => [r.id, { name: r.name, project_id: r.project_id }]));
  return groups.map((g) => ({
    id: g.id, name: g.name, description: g.description, tenant_id: g.project_id,
    rules: rules.filter((r) => r.security_group_id === g.id).map((r) => novaRule(r, names)),
  }));
}

/** The groups on a server's ports. */
export async function serverSecurityGroups(db: Db | Tx, uuid: string): Promise<Record<string, unknown>[]> {
  const groups = await db.selectFrom('instance_interfaces')
    .innerJoin('port_security_groups', 'port_security_groups.port_id', 'instance_interfaces.port_id')
    .innerJoin('security_groups', 'security_groups.id', 'port_security_groups.security_group_id')
    .selectAll('security_groups').where('instance_interfaces.instance_uuid', '=', uuid).distinct().execute();
  return novaGroups(db, groups);
}
