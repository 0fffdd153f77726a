/**
 * The project tree: a project's ancestors and subtree, as Keystone walks them. A project row
 * with parent_id null hangs directly under its domain; Keystone counts that domain as the
 * topmost parent (it is a project acting as a domain there), so callers add it where the API
 * shows it.
 */
import type { Db } from '../store/store.js';
import type { ProjectRow } from '../store/schema.js';

/** Keystone's default max_project_tree_depth: projects nested at most this deep under a domain. */
export const MAX_PROJECT_DEPTH = 5;

/** The project's ancestor projects, nearest first (the domain is not included). */
export async function ancestorsOf(db: Db, project: ProjectRow): Promise<ProjectRow[]> {
  const result: ProjectRow[] = [];
  const seen = new Set<string>([project.id]);
  let parentId = project.parent_id;
  while (parentId && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = await db.selectFrom('projects').selectAll().where('id', '=', parentId).executeTakeFirst();
    if (!parent) break;
    result.push(parent);
    parentId = parent.parent_id;
  }
  return result;
}

/**
 * Every project below the given node, parents before children. The node is a project id, or a
 * domain id (then the whole domain's tree).
 */
export async function subtreeOf(db: Db, nodeId: string, isDomain = false): Promise<ProjectRow[]> {
  const result: ProjectRow[] = [];
  const seen = new Set<string>([nodeId]);
  let frontier = isDomain
    ? await db.selectFrom('projects').selectAll().where('domain_id', '=', nodeId).where('parent_id', 'is', null).orderBy('name').execute()
    : await db.selectFrom('projects').selectAll().where('parent_id', '=', nodeId).orderBy('name').execute();
  while (frontier.length) {
    const fresh = frontier.filter((p) => !seen.has(p.id));
    for (const p of fresh) seen.add(p.id);
    result.push(...fresh);
    if (!fresh.length) break;
    frontier = await db.selectFrom('projects').selectAll().where('parent_id', 'in', fresh.map((p) => p.id)).orderBy('name').execute();
  }
  return result;
}

export async function hasChildren(db: Db, projectId: string): Promise<boolean> {
  const child = await db.selectFrom('projects').select('id').where('parent_id', '=', projectId).limit(1).executeTakeFirst();
  return child !== undefined;
}

/** Tags of many projects in one query, keyed by project id. */
export async function tagsOf(db: Db, projectIds: readonly string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (!projectIds.length) return map;
  const rows = await db.selectFrom('project_tags').selectAll().where('project_id', 'in', [...projectIds]).orderBy('tag').execute();
  for (const row of rows) {
    const list = map.get(row.project_id) ?? [];
    list.push(row.tag);
    map.set(row.project_id, list);
  }
  return map;
}
