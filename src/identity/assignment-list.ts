/**
 * The role assignment list behind GET /v3/role_assignments, as Keystone computes it. Direct
 * mode lists stored grants matching the filters. Effective mode lists what actually reaches
 * users: group grants become one assignment per member, inherited grants land on the
 * projects below their target, implied roles are added, domain-specific roles dropped.
 * Each result remembers where it came from (`indirect`) so the view can link to the grant.
 */
import type { AssignmentRow, AssignmentType } from '../store/schema.js';
import type { Db } from '../store/store.js';
import { groupIdsOf, projectAncestors } from './roles.js';
import { groupMembers } from './grant-revocation.js';

export interface AssignmentFilter {
  readonly userId?: string;
  readonly groupId?: string;
  readonly roleId?: string;
  readonly projectId?: string;
  /** Descendants of projectId to include too (include_subtree). */
  readonly subtreeIds?: readonly string[];
  readonly domainId?: string;
  /** scope.system=all: only system assignments. */
  readonly system: boolean;
  /** true: only inherited grants; false: only non-inherited; undefined: both. */
  readonly inherited?: boolean;
}

export interface Indirect {
  readonly groupId?: string;
  readonly projectId?: string;
  readonly domainId?: string;
  readonly roleId?: string;
}

export interface AssignmentRef {
  readonly roleId: string;
  readonly userId?: string;
  readonly groupId?: string;
  readonly projectId?: string;
  readonly domainId?: string;
  readonly system?: true;
  /** The stored grant is an OS-INHERIT one (only in direct mode; effective mode expands it). */
  readonly inheritedToProjects: boolean;
  readonly indirect: Indirect;
}

type TargetKind = 'Project' | 'Domain' | 'System';

interface RowQuery {
  /** Actor ids to match (users and groups alike); undefined = any actor. */
  readonly actorIds?: readonly string[];
  readonly actorKinds: readonly ('User' | 'Group')[];
  readonly targetKinds: readonly TargetKind[];
  readonly targetIds?: readonly string[];
  readonly roleId?: string;
  readonly inherited?: 0 | 1;
}

async function rows(db: Db, q: RowQuery): Promise<AssignmentRow[]> {
  if (q.actorIds?.length === 0 || q.targetIds?.length === 0) return [];
  const types = q.actorKinds.flatMap((a) => q.targetKinds.map((t) => `${a}${t}` as AssignmentType));
  let sel = db.selectFrom('assignments').selectAll().where('type', 'in', types);
  if (q.actorIds) sel = sel.where('actor_id', 'in', [...q.actorIds]);
  if (q.targetIds) sel = sel.where('target_id', 'in', [...q.targetIds]);
  if (q.roleId !== undefined) sel = sel.where('role_id', '=', q.roleId);
  if (q.inherited !== undefined) sel = sel.where('inherited', '=', q.inherited);
  return sel.execute();
}

function toRef(row: AssignmentRow): AssignmentRef {
  const actor = row.type.startsWith('User') ? { userId: row.actor_id } : { groupId: row.actor_id };
  const target = row.type.endsWith('Project') ? { projectId: row.target_id }
    : row.type.endsWith('Domain') ? { domainId: row.target_id } : { system: true as const };
  return { roleId: row.role_id, ...actor, ...target, inheritedToProjects: row.inherited === 1, indirect: {} };
}

/** Every project below the given one (children, grandchildren, ...), not itself. */
export async function projectSubtree(db: Db, projectId: string): Promise<string[]> {
  const result: string[] = [];
  let frontier = [projectId];
  const seen = new Set(frontier);
  while (frontier.length) {
    const children = await db.selectFrom('projects').select('id').where('parent_id', 'in', frontier).execute();
    frontier = children.map((c) => c.id).filter((id) => !seen.has(id));
    for (const id of frontier) seen.add(id);
    result.push(...frontier);
  }
  return result;
}

async function projectsInDomain(db: Db, domainId: string): Promise<string[]> {
  return (await db.selectFrom('projects').select('id').where('domain_id', '=', domainId).execute()).map((r) => r.id);
}

function actorKindsOf(f: AssignmentFilter): ('User' | 'Group')[] {
  if (f.userId) return ['User'];
  if (f.groupId) return ['Group'];
  return ['User', 'Group'];
}

export async function listDirect(db: Db, f: AssignmentFilter): Promise<AssignmentRef[]> {
  const actorIds = f.userId ? [f.userId] : f.groupId ? [f.groupId] : undefined;
  const actorKinds = actorKindsOf(f);
  const inherited = f.inherited === undefined ? undefined : f.inherited ? 1 : 0;
  const found: AssignmentRow[] = [];
  if (!f.system) {
    const targetKinds: TargetKind[] = f.projectId ? ['Project'] : f.domainId ? ['Domain'] : ['Project', 'Domain'];
    const targetIds = f.projectId ? [f.projectId, ...(f.subtreeIds ?? [])] : f.domainId ? [f.domainId] : undefined;
    found.push(...await rows(db, { actorIds, actorKinds, targetKinds, targetIds, roleId: f.roleId, inherited }));
  }
  // System grants are listed when asked for, or when no project/domain narrows the list;
  // they are never inherited.
  if ((f.system || (!f.projectId && !f.domainId)) && f.inherited !== true) {
    found.push(...await rows(db, { actorIds, actorKinds, targetKinds: ['System'], roleId: f.roleId }));
  }
  return found.map(toRef);
}

/** The grants that can reach the filter's users and targets, before any expansion. */
async function sourcesFor(db: Db, f: AssignmentFilter, actorIds: readonly string[] | undefined, actorKinds: ('User' | 'Group')[], inherited: boolean | undefined): Promise<AssignmentRow[]> {
  if (f.system) return rows(db, { actorIds, actorKinds, targetKinds: ['System'] });
  const interest = f.projectId ? [f.projectId, ...(f.subtreeIds ?? [])] : undefined;
  const found: AssignmentRow[] = [];
  if (inherited !== true) {
    const targetKinds: TargetKind[] = interest ? ['Project'] : f.domainId ? ['Domain'] : ['Project', 'Domain'];
    found.push(...await rows(db, { actorIds, actorKinds, targetKinds, targetIds: interest ?? (f.domainId ? [f.domainId] : undefined), inherited: 0 }));
  }
  if (inherited !== false) {
    if (f.projectId) {
      // Inherited grants reaching these projects sit on their domain or on their ancestors
      // (or, with a subtree, on the projects of the subtree themselves).
      const { ids: ancestors, domainId } = await projectAncestors(db, f.projectId);
      if (domainId) found.push(...await rows(db, { actorIds, actorKinds, targetKinds: ['Domain'], targetIds: [domainId], inherited: 1 }));
      const sources = [...ancestors, ...(f.subtreeIds?.length ? (interest ?? []) : [])];
      found.push(...await rows(db, { actorIds, actorKinds, targetKinds: ['Project'], targetIds: sources, inherited: 1 }));
    } else {
      found.push(...await rows(db, { actorIds, actorKinds, targetKinds: ['Project', 'Domain'], inherited: 1 }));
    }
  }
  return found;
}

/** The projects an inherited grant lands on, narrowed to the filter's projects if any. */
async function landingProjects(db: Db, ref: AssignmentRef, f: AssignmentFilter): Promise<string[]> {
  if (f.projectId) {
    const interest = [f.projectId, ...(f.subtreeIds ?? [])];
    // A project grant inside the subtree reaches only the part of the tree below it.
    if (f.subtreeIds?.length && ref.projectId && interest.includes(ref.projectId)) return projectSubtree(db, ref.projectId);
    return interest;
  }
  if (ref.domainId) return projectsInDomain(db, ref.domainId);
  return projectSubtree(db, ref.projectId as string);
}

async function expand(db: Db, ref: AssignmentRef, f: AssignmentFilter): Promise<AssignmentRef[]> {
  const members = ref.groupId ? (f.userId ? [f.userId] : await groupMembers(db, ref.groupId)) : [ref.userId as string];
  const viaGroup = ref.groupId ? { groupId: ref.groupId } : {};
  if (!ref.inheritedToProjects) {
    return members.map((userId) => ({ roleId: ref.roleId, userId, projectId: ref.projectId, domainId: ref.domainId, system: ref.system, inheritedToProjects: false, indirect: viaGroup }));
  }
  const source = ref.projectId ? { projectId: ref.projectId } : { domainId: ref.domainId as string };
  const projects = await landingProjects(db, ref, f);
  return members.flatMap((userId) => projects.map((projectId) => ({
    roleId: ref.roleId, userId, projectId, inheritedToProjects: false, indirect: { ...viaGroup, ...source },
  })));
}

/** Adds a copy of each assignment for every role its role implies, transitively. */
async function addImplied(db: Db, refs: readonly AssignmentRef[]): Promise<AssignmentRef[]> {
  const rules = await db.selectFrom('implied_roles').select(['prior_role_id', 'implied_role_id']).execute();
  const implies = new Map<string, string[]>();
  for (const r of rules) implies.set(r.prior_role_id, [...(implies.get(r.prior_role_id) ?? []), r.implied_role_id]);
  const result = [...refs];
  const seen = new Set(refs.map((r) => JSON.stringify(r)));
  const todo = [...refs];
  while (todo.length) {
    const ref = todo.pop() as AssignmentRef;
    for (const implied of implies.get(ref.roleId) ?? []) {
      const copy: AssignmentRef = { ...ref, roleId: implied, indirect: { ...ref.indirect, roleId: ref.roleId } };
      const key = JSON.stringify(copy);
      if (seen.has(key)) continue; // a cycle of implications
      seen.add(key);
      result.push(copy);
      todo.push(copy);
    }
  }
  return result;
}

export async function listEffective(db: Db, f: AssignmentFilter): Promise<AssignmentRef[]> {
  // Domains inherit nothing, so on a domain only non-inherited grants count.
  const inherited = f.domainId ? false : f.inherited;
  const sources = await sourcesFor(db, f, f.userId ? [f.userId] : undefined, f.userId ? ['User'] : ['User', 'Group'], inherited);
  if (f.userId) {
    const groupIds = await groupIdsOf(db, f.userId);
    if (groupIds.length) sources.push(...await sourcesFor(db, f, groupIds, ['Group'], inherited));
  }
  const expanded: AssignmentRef[] = [];
  for (const row of sources) expanded.push(...await expand(db, toRef(row), f));
  const withImplied = await addImplied(db, expanded);
  const roleIds = [...new Set(withImplied.map((r) => r.roleId))];
  const globalRoles = new Set(roleIds.length
    ? (await db.selectFrom('roles').select('id').where('id', 'in', roleIds).where('domain_id', '=', '').execute()).map((r) => r.id)
    : []);
  // Domain-specific roles only serve to imply others; they never reach a token.
  return withImplied.filter((r) => globalRoles.has(r.roleId) && (f.roleId === undefined || r.roleId === f.roleId));
}
