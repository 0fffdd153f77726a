/**
 * Creating, updating and deleting projects with Keystone's hierarchy rules: the parent is in
 * the same domain and the whole branch above is enabled, at most MAX_PROJECT_DEPTH levels,
 * no re-parenting, a project is disabled only once its subtree is, deleted only as a leaf.
 */
import { badRequest, conflict, forbidden } from '../api/errors.js';
import type { AuthContext } from '../policy/context.js';
import { enforce } from '../policy/enforce.js';
import { isUniqueViolation, type Db } from '../store/store.js';
import type { ProjectRow } from '../store/schema.js';
import { hexId, nowIso } from '../util/ids.js';
import { applyRevocations, deleteProjectRows, noRevocations } from './cascade.js';
import { DEFAULT_DOMAIN_ID } from './domain-ops.js';
import { MAX_PROJECT_DEPTH, ancestorsOf, hasChildren, subtreeOf, tagsOf } from './hierarchy.js';
import { identityPolicy as policy } from './policy.js';
import type { IdentityService } from './service.js';
import { extraOf, mergeExtra } from './routes/common.js';

const PROJECT_FIELDS = ['id', 'name', 'description', 'domain_id', 'parent_id', 'enabled', 'is_domain', 'tags', 'options', 'links'] as const;

export interface ProjectWithTags {
  readonly row: ProjectRow;
  readonly tags: readonly string[];
}

/**
 * Where a project or user created without domain_id goes: the domain of a domain-scoped token,
 * else the default domain (Keystone's rule; a project-scoped token does not choose).
 */
export function defaultDomainFor(ctx: AuthContext): string {
  return ctx.domainId ?? DEFAULT_DOMAIN_ID;
}

function nameConflict(name: string, id: string) {
  return conflict(`Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id ${id}.`);
}

async function writeTags(db: Db, projectId: string, tags: readonly string[]): Promise<void> {
  await db.deleteFrom('project_tags').where('project_id', '=', projectId).execute();
  if (tags.length) await db.insertInto('project_tags').values(tags.map((tag) => ({ project_id: projectId, tag }))).execute();
}

export async function createProject(identity: IdentityService, ctx: AuthContext, body: Record<string, unknown>): Promise<ProjectWithTags> {
  const db = identity.store.db;
  const domainId = typeof body.domain_id === 'string' && body.domain_id ? body.domain_id : defaultDomainFor(ctx);
  const parentId = typeof body.parent_id === 'string' && body.parent_id ? body.parent_id : domainId;
  enforce(policy.manageProject, ctx, { domainId });

  const domain = await db.selectFrom('domains').selectAll().where('id', '=', domainId).executeTakeFirst();
  if (!domain) throw badRequest(`Could not find domain: ${domainId}.`);
  let parent: ProjectRow | undefined;
  if (parentId !== domainId) {
    if (await db.selectFrom('domains').select('id').where('id', '=', parentId).executeTakeFirst()) {
      throw badRequest(`Cannot create project, the parent (${parentId}) is acting as a domain, but this project's domain id (${domainId}) does not match the parent's id.`);
    }
    parent = await db.selectFrom('projects').selectAll().where('id', '=', parentId).executeTakeFirst();
    if (!parent) throw badRequest(`Could not find project: ${parentId}.`);
    if (parent.domain_id !== domainId) {
      throw badRequest(`Cannot create project, since it specifies its domain_id ${domainId}, but specifies a parent in a different domain (${parent.domain_id}).`);
    }
  }
  // The whole branch above must be enabled, the domain included (it is the topmost parent).
  const chain = parent ? [parent, ...(await ancestorsOf(db, parent))] : [];
  const disabled = chain.find((p) => !p.enabled)?.id ?? (domain.enabled ? undefined : domain.id);
  if (disabled) throw badRequest(`cannot create a project in a branch containing a disabled project: ${disabled}`);
  if (chain.length + 1 > MAX_PROJECT_DEPTH) throw forbidden(`Max hierarchy depth reached for ${parentId} branch.`);

  const row: ProjectRow = {
    id: hexId(),
    name: String(body.name).trim(),
    domain_id: domainId,
    parent_id: parent ? parent.id : null,
    description: typeof body.description === 'string' ? body.description : '',
    enabled: body.enabled === false ? 0 : 1,
    extra: extraOf(body, PROJECT_FIELDS),
    created_at: nowIso(),
  };
  const tags = Array.isArray(body.tags) ? (body.tags as string[]) : [];
  try {
    await identity.store.transaction(async (tx) => {
      await tx.insertInto('projects').values(row).execute();
      await writeTags(tx, row.id, tags);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameConflict(row.name, row.id);
    throw err;
  }
  return { row, tags: [...tags].sort() };
}

export async function updateProject(identity: IdentityService, current: ProjectRow, body: Record<string, unknown>): Promise<ProjectWithTags> {
  const db = identity.store.db;
  if (body.id !== undefined && body.id !== null && body.id !== current.id) throw badRequest('Cannot change ID');
  if ('domain_id' in body && body.domain_id !== current.domain_id) throw badRequest('Cannot change Domain ID');
  if ('parent_id' in body && body.parent_id !== (current.parent_id ?? current.domain_id)) throw forbidden('Update of `parent_id` is not allowed.');
  if ('is_domain' in body && body.is_domain !== false) throw badRequest('Update of `is_domain` is not allowed.');

  const enabled = body.enabled === undefined ? current.enabled : body.enabled ? 1 : 0;
  if (!current.enabled && enabled) {
    const above = await ancestorsOf(db, current);
    const domain = await db.selectFrom('domains').select('enabled').where('id', '=', current.domain_id).executeTakeFirst();
    if (above.some((p) => !p.enabled) || !domain?.enabled) throw forbidden(`Cannot enable project ${current.id} since it has disabled parents`);
  }
  if (current.enabled && !enabled && (await subtreeOf(db, current.id)).some((p) => p.enabled)) {
    throw forbidden(`Cannot disable project ${current.id} since its subtree contains enabled projects.`);
  }
  const next: ProjectRow = {
    ...current,
    name: typeof body.name === 'string' ? body.name.trim() : current.name,
    description: body.description === undefined ? current.description : typeof body.description === 'string' ? body.description : '',
    enabled,
    extra: mergeExtra(current.extra, body, PROJECT_FIELDS),
  };
  try {
    await identity.store.transaction(async (tx) => {
      await tx.updateTable('projects').set({ name: next.name, description: next.description, enabled: next.enabled, extra: next.extra })
        .where('id', '=', current.id).execute();
      if (Array.isArray(body.tags)) await writeTags(tx, current.id, body.tags as string[]);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameConflict(next.name, next.id);
    throw err;
  }
  if (current.enabled && !enabled) await identity.revocations.revoke({ projectId: current.id });
  const tags = (await tagsOf(db, [current.id])).get(current.id) ?? [];
  return { row: next, tags };
}

/** Deletes a leaf project and what hangs off it; its tokens stop working. */
export async function deleteProject(identity: IdentityService, current: ProjectRow): Promise<void> {
  const out = noRevocations();
  await identity.store.transaction(async (tx) => {
    // Checked inside the transaction so a child created meanwhile cannot be orphaned.
    if (await hasChildren(tx, current.id)) {
      throw forbidden(`Cannot delete the project ${current.id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`);
    }
    await deleteProjectRows(tx, current.id, out);
  });
  await applyRevocations((m) => identity.revocations.revoke(m), out);
}

/** Replaces a project's tags (PUT /tags, DELETE /tags, single-tag add/remove). */
export async function setProjectTags(identity: IdentityService, projectId: string, tags: readonly string[]): Promise<void> {
  await identity.store.transaction((tx) => writeTags(tx, projectId, tags));
}
