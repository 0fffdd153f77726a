/**
 * Each project's `default` security group, created on first need (first network, port or
 * security group call of the project), with Neutron's default rules: all egress over IPv4 and
 * IPv6, ingress only from members of the same group. The default_security_groups primary key
 * makes concurrent first needs create exactly one.
 */
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';

export async function ensureDefaultSecurityGroup(db: Db | Tx, projectId: string): Promise<string> {
  const existing = await db.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst();
  if (existing) return existing.security_group_id;
  const id = uuid();
  const now = nowIso();
  await db.insertInto('security_groups').values({ id, project_id: projectId, name: 'default', description: 'Default security group', stateful: 1, shared: 0, created_at: now, updated_at: now, revision_number: 1 }).execute();
  // ON CONFLICT rather than catching the error: inside a PostgreSQL transaction a failed
  // statement would abort the caller's whole transaction.
  const claimed = await db.insertInto('default_security_groups').values({ project_id: projectId, security_group_id: id })
    .onConflict((oc) => oc.column('project_id').doNothing()).executeTakeFirst();
  if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 0) {
    await db.deleteFrom('security_groups').where('id', '=', id).execute();
    const winner = await db.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    return winner.security_group_id;
  }
  await db.insertInto('security_group_rules').values([
    anyTrafficRule(projectId, id, 'egress', 'IPv4', null, now),
    anyTrafficRule(projectId, id, 'egress', 'IPv6', null, now),
    anyTrafficRule(projectId, id, 'ingress', 'IPv4', id, now),
    anyTrafficRule(projectId, id, 'ingress', 'IPv6', id, now),
  ]).execute();
  return id;
}

/** A rule for any protocol and port, with the members of `remoteGroupId` (null: anyone). */
function anyTrafficRule(projectId: string, groupId: string, direction: string, ethertype: string, remoteGroupId: string | null, now: string): SecurityGroupRuleRow {
  return {
    id: uuid(), project_id: projectId, security_group_id: groupId, direction, ethertype, protocol: null,
    port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: remoteGroupId, remote_address_group_id: null,
    description: '', created_at: now, updated_at: now, revision_number: 0,
  };
}

/** Inserts a new group with the egress-anywhere rules (IPv4 and IPv6) Neutron gives every group it creates. */
export async function insertGroupWithEgressRules(tx: Tx, projectId: string, name: string, description: string, stateful: boolean): Promise<SecurityGroupRow> {
  const now = nowIso();
  const row: SecurityGroupRow = {
    id: uuid(), project_id: projectId, name, description, stateful: stateful ? 1 : 0, shared: 0, created_at: now, updated_at: now, revision_number: 1,
  };
  await tx.insertInto('security_groups').values(row).execute();
  await tx.insertInto('security_group_rules').values([
    anyTrafficRule(projectId, row.id, 'egress', 'IPv4', null, now),
    anyTrafficRule(projectId, row.id, 'egress', 'IPv6', null, now),
  ]).execute();
  return row;
}
