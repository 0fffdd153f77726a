/**
 * Effective roles, as Keystone computes them for a token or for `effective` assignment lists:
 * direct and group grants on the target, grants inherited from the project's domain and its
 * ancestors, then implied roles expanded transitively. Domain-specific roles never appear in a
 * token themselves; only the global roles they imply do.
 */
import type { Db } from '../store/store.js';
import type { AssignmentType } from '../store/schema.js';

export interface RoleRef {
  readonly id: string;
  readonly name: string;
  readonly domainId: string | null;
}

export type RoleTarget =
  | { readonly type: 'project'; readonly id: string }
  | { readonly type: 'domain'; readonly id: string }
  | { readonly type: 'system' };

export async function groupIdsOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('memberships').select('group_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.group_id);
}

/** The project's ancestors, nearest first (not including the project itself). */
export async function projectAncestors(db: Db, projectId: string): Promise<{ ids: string[]; domainId: string | null }> {
  const ids: string[] = [];
  let domainId: string | null = null;
  let current: string | null = projectId;
  const seen = new Set<string>();
  while (current && !seen.has(current)) {
    seen.add(current);
    const row: { parent_id: string | null; domain_id: string } | undefined = await db
      .selectFrom('projects').select(['parent_id', 'domain_id']).where('id', '=', current).executeTakeFirst();
    if (!row) break;
    domainId = row.domain_id;
    if (current !== projectId && row) ids.push(current);
    current = row.parent_id;
  }
  return { ids, domainId };
}

/** Role ids granted to the user (directly or through groups) on the target, before implications. */
export async function grantedRoleIds(db: Db, userId: string, target: RoleTarget): Promise<Set<string>> {
  const groupIds = await groupIdsOf(db, userId);
  const actors = [userId, ...groupIds];
  const userType = (kind: 'Project' | 'Domain' | 'System') => `User${kind}` as AssignmentType;
  const groupType = (kind: 'Project' | 'Domain' | 'System') => `Group${kind}` as AssignmentType;
  const clauses: { types: AssignmentType[]; targets: string[]; inherited: 0 | 1 | null }[] = [];
  if (target.type === 'system') {
    clauses.push({ types: [userType('System'), groupType('System')], targets: ['system'], inherited: 0 });
  } else if (target.type === 'domain') {
    clauses.push({ types: [userType('Domain'), groupType('Domain')], targets: [target.id], inherited: 0 });
  } else {
    const { ids: ancestors, domainId } = await projectAncestors(db, target.id);
    clauses.push({ types: [userType('Project'), groupType('Project')], targets: [target.id], inherited: null });
    if (ancestors.length) clauses.push({ types: [userType('Project'), groupType('Project')], targets: ancestors, inherited: 1 });
    if (domainId) clauses.push({ types: [userType('Domain'), groupType('Domain')], targets: [domainId], inherited: 1 });
  }
  const result = new Set<string>();
  for (const clause of clauses) {
    let q = db.selectFrom('assignments').select(['role_id', 'inherited', 'target_id'])
      .where('type', 'in', clause.types).where('actor_id', 'in', actors).where('target_id', 'in', clause.targets);
    if (clause.inherited !== null) q = q.where('inherited', '=', clause.inherited);
    for (const row of await q.execute()) {
      // An inherited grant on the project itself applies to its children, not to the project.
      if (clause.inherited === null && row.inherited === 1) continue;
      result.add(row.role_id);
    }
  }
  return result;
}

/** Adds every role implied (transitively) by the given ones. */
export async function expandImplied(db: Db, roleIds: Iterable<string>): Promise<Set<string>> {
  const result = new Set(roleIds);
  let frontier = [...result];
  while (frontier.length) {
    const rows = await db.selectFrom('implied_roles').select('implied_role_id').where('prior_role_id', 'in', frontier).execute();
    frontier = [];
    for (const r of rows) {
      if (!result.has(r.implied_role_id)) {
        result.add(r.implied_role_id);
        frontier.push(r.implied_role_id);
      }
    }
  }
  return result;
}

/** The roles a token for this user and target carries: granted, implied, minus domain-specific ones. */
export async function effectiveRoles(db: Db, userId: string, target: RoleTarget): Promise<RoleRef[]> {
  const granted = await grantedRoleIds(db, userId, target);
  if (granted.size === 0) return [];
  const all = await expandImplied(db, granted);
  const rows = await db.selectFrom('roles').select(['id', 'name', 'domain_id']).where('id', 'in', [...all]).execute();
  return rows
    .filter((r) => r.domain_id === '')
    .map((r) => ({ id: r.id, name: r.name, domainId: null }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
