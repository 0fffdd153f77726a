/**
 * Each project's `default` security group, created on first need (first network, port or
 * security group call of the project), with Neutron's default rules: all egress over IPv4 and
 * IPv6, ingress only from members of the same group. The default_security_groups primary key
 * makes concurrent first needs create exactly one.
 */
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
  const rules = [
    { direction: 'egress', ethertype: 'IPv4', remote_group_id: null },
    { direction: 'egress', ethertype: 'IPv6', remote_group_id: null },
    { direction: 'ingress', ethertype: 'IPv4', remote_group_id: id },
    { direction: 'ingress', ethertype: 'IPv6', remote_group_id: id },
  ];
  await db.insertInto('security_group_rules').values(rules.map((r) => ({
    id: uuid(), project_id: projectId, security_group_id: id, direction: r.direction, ethertype: r.ethertype, protocol: null,
    port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: r.remote_group_id, remote_address_group_id: null,
    description: '', created_at: now, updated_at: now, revision_number: 0,
  }))).execute();
  return id;
}
