/**
 * Deleting users, groups, projects and domains together with everything that hangs off them,
 * as Keystone's delete callbacks do. Each function runs inside the caller's transaction and
 * reports whose tokens must be revoked once it commits (revocation writes outside it).
 */
import type { Db } from '../store/store.js';
import { nowIso } from '../util/ids.js';

export interface Revocations {
  readonly userIds: string[];
  readonly projectIds: string[];
  readonly domainIds: string[];
}

export function noRevocations(): Revocations {
  return { userIds: [], projectIds: [], domainIds: [] };
}

/** A user and its grants, memberships, application credentials, credentials and trusts. */
export async function deleteUserRows(db: Db, userId: string, out: Revocations): Promise<void> {
  await db.deleteFrom('assignments').where('actor_id', '=', userId).where('type', 'in', ['UserProject', 'UserDomain', 'UserSystem']).execute();
  await db.deleteFrom('memberships').where('user_id', '=', userId).execute();
  await db.deleteFrom('application_credentials').where('user_id', '=', userId).execute();
  await db.deleteFrom('access_rules').where('user_id', '=', userId).execute();
  await db.deleteFrom('credentials').where('user_id', '=', userId).execute();
  // Trusts are soft-deleted (deleted_at), like Keystone's; one with a vanished party is void.
  await db.updateTable('trusts').set({ deleted_at: nowIso() }).where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('trustor_user_id', '=', userId), eb('trustee_user_id', '=', userId)])).execute();
  await db.deleteFrom('users').where('id', '=', userId).execute();
  out.userIds.push(userId);
}

/**
 * A group, its grants and memberships. Its members lose whatever the group's grants gave them,
 * so their tokens are revoked when the group had any grant.
 */
export async function deleteGroupRows(db: Db, groupId: string, out: Revocations): Promise<void> {
  const grants = await db.selectFrom('assignments').select('role_id').where('actor_id', '=', groupId)
    .where('type', 'in', ['GroupProject', 'GroupDomain', 'GroupSystem']).limit(1).execute();
  if (grants.length) {
    const members = await db.selectFrom('memberships').select('user_id').where('group_id', '=', groupId).execute();
    out.userIds.push(...members.map((m) => m.user_id));
  }
  await db.deleteFrom('assignments').where('actor_id', '=', groupId).where('type', 'in', ['GroupProject', 'GroupDomain', 'GroupSystem']).execute();
  await db.deleteFrom('memberships').where('group_id', '=', groupId).execute();
  await db.deleteFrom('groups').where('id', '=', groupId).execute();
}

/** One project (the caller made sure it has no children): grants, tags, credentials, trusts. */
export async function deleteProjectRows(db: Db, projectId: string, out: Revocations): Promise<void> {
  await db.deleteFrom('assignments').where('target_id', '=', projectId).where('type', 'in', ['UserProject', 'GroupProject']).execute();
  await db.deleteFrom('project_tags').where('project_id', '=', projectId).execute();
  await db.deleteFrom('project_endpoints').where('project_id', '=', projectId).execute();
  await db.deleteFrom('project_endpoint_groups').where('project_id', '=', projectId).execute();
  await db.deleteFrom('application_credentials').where('project_id', '=', projectId).execute();
  await db.deleteFrom('credentials').where('project_id', '=', projectId).execute();
  await db.updateTable('trusts').set({ deleted_at: nowIso() }).where('deleted_at', 'is', null).where('project_id', '=', projectId).execute();
  // Keystone clears a deleted project out of users' default_project_id.
  await db.updateTable('users').set({ default_project_id: null }).where('default_project_id', '=', projectId).execute();
  await db.deleteFrom('projects').where('id', '=', projectId).execute();
  out.projectIds.push(projectId);
}

/**
 * A (disabled) domain and its whole content: projects leaves first, groups, users,
 * domain-specific roles, grants on the domain, its configuration.
 */
export async function deleteDomainRows(db: Db, domainId: string, out: Revocations): Promise<void> {
  const projects = await db.selectFrom('projects').select(['id', 'parent_id']).where('domain_id', '=', domainId).execute();
  for (const id of leavesFirst(projects)) await deleteProjectRows(db, id, out);
  const groups = await db.selectFrom('groups').select('id').where('domain_id', '=', domainId).execute();
  for (const g of groups) await deleteGroupRows(db, g.id, out);
  const users = await db.selectFrom('users').select('id').where('domain_id', '=', domainId).execute();
  for (const u of users) await deleteUserRows(db, u.id, out);
  const roles = (await db.selectFrom('roles').select('id').where('domain_id', '=', domainId).execute()).map((r) => r.id);
  if (roles.length) {
    await db.deleteFrom('assignments').where('role_id', 'in', roles).execute();
    await db.deleteFrom('implied_roles').where((eb) => eb.or([eb('prior_role_id', 'in', roles), eb('implied_role_id', 'in', roles)])).execute();
    await db.deleteFrom('roles').where('id', 'in', roles).execute();
  }
  await db.deleteFrom('assignments').where('target_id', '=', domainId).where('type', 'in', ['UserDomain', 'GroupDomain']).execute();
  await db.deleteFrom('domain_configs').where('domain_id', '=', domainId).execute();
  await db.deleteFrom('domains').where('id', '=', domainId).execute();
  out.domainIds.push(domainId);
}

/** Orders a domain's projects so every child comes before its parent. */
function leavesFirst(projects: readonly { id: string; parent_id: string | null }[]): string[] {
  const byParent = new Map<string | null, string[]>();
  for (const p of projects) byParent.set(p.parent_id, [...(byParent.get(p.parent_id) ?? []), p.id]);
  const ids = new Set(projects.map((p) => p.id));
  const ordered: string[] = [];
  const visited = new Set<string>();
  const visit = (id: string) => {
    if (visited.has(id)) return;
    visited.add(id);
    for (const child of byParent.get(id) ?? []) visit(child);
    ordered.push(id);
  };
  // Roots are projects whose parent is not a project of this domain (normally null).
  for (const p of projects) if (p.parent_id === null || !ids.has(p.parent_id)) visit(p.id);
  for (const p of projects) visit(p.id);
  return ordered;
}

/** Records the revocation events a committed delete or disable calls for. */
export async function applyRevocations(revoke: (m: { userId?: string; projectId?: string; domainId?: string }) => Promise<void>, out: Revocations): Promise<void> {
  for (const domainId of new Set(out.domainIds)) await revoke({ domainId });
  for (const projectId of new Set(out.projectIds)) await revoke({ projectId });
  for (const userId of new Set(out.userIds)) await revoke({ userId });
}
