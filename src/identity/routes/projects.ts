/**
 * /v3/projects: create, list (name, domain_id, enabled, parent_id, is_domain, tag filters),
 * show (with parents/subtree expansions), update, delete. A domain answers here too, in
 * project form (is_domain=true), as Keystone stores domains as projects acting as domains.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, forbidden } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { enforce, type PolicyTarget } from '../../policy/enforce.js';
import type { DomainRow, ProjectRow } from '../../store/schema.js';
import { createDomain, deleteDomain, updateDomain } from '../domain-ops.js';
import { ancestorsOf, subtreeOf, tagsOf } from '../hierarchy.js';
import { identityPolicy as policy } from '../policy.js';
import { createProject, deleteProject, updateProject } from '../project-ops.js';
import type { IdentityService } from '../service.js';
import { projectIdsOfUser } from '../user-projects.js';
import { collectionLinks, domainAsProjectView, projectView } from '../views.js';
import { missing, query, queryBool } from './common.js';
import { enabledFilter, flagSet, inCallerDomain, inexactFilter } from './listing.js';
import { projectTagRoutes } from './project-tags.js';
import { nullableIdSchema, resourceNameSchema, resourceOptionsSchema, tagListSchema } from './project-schemas.js';

const projectProperties = {
  name: resourceNameSchema,
  description: { type: ['string', 'null'] },
  domain_id: nullableIdSchema,
  parent_id: nullableIdSchema,
  enabled: { type: 'boolean' },
  is_domain: { type: 'boolean' },
  tags: tagListSchema,
  options: resourceOptionsSchema,
};

const createSchema = {
  type: 'object',
  required: ['project'],
  properties: { project: { type: 'object', required: ['name'], properties: projectProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['project'],
  properties: { project: { type: 'object', minProperties: 1, properties: projectProperties } },
};

interface ProjectParams {
  project_id: string;
}

type Found = { kind: 'project'; row: ProjectRow } | { kind: 'domain'; row: DomainRow };

const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;

/** Keystone's tag filters: all of / any of / not all of / none of the comma-separated tags. */
function tagFilter(q: Readonly<Record<string, string>>): ((tags: readonly string[]) => boolean) | null {
  const lists = TAG_FILTERS.map((name) => (q[name] === undefined ? null : q[name].split(',').filter((t) => t !== '')));
  const [all, any, notAll, notAny] = lists;
  if (lists.every((l) => l === null)) return null;
  return (tags) =>
    (!all || all.every((t) => tags.includes(t))) &&
    (!any || any.some((t) => tags.includes(t))) &&
    (!notAll || !notAll.every((t) => tags.includes(t))) &&
    (!notAny || !notAny.some((t) => tags.includes(t)));
}

export async function projectRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  async function lookup(id: string): Promise<Found | null> {
    const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    if (row) return { kind: 'project', row };
    const domain = await db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
    return domain ? { kind: 'domain', row: domain } : null;
  }

  function targetOf(id: string, found: Found | null): PolicyTarget {
    if (!found) return { projectId: id };
    return { projectId: id, domainId: found.kind === 'project' ? found.row.domain_id : found.row.id };
  }

  /** Policy first, with what is known of the target; then 404 if there is none. */
  async function load(id: string, rule: typeof policy.getProject, ctx: AuthContext): Promise<Found> {
    const found = await lookup(id);
    enforce(rule, ctx, targetOf(id, found));
    if (!found) throw missing('project', id);
    return found;
  }

  async function viewOf(request: FastifyRequest, found: Found): Promise<Record<string, unknown>> {
    if (found.kind === 'domain') return domainAsProjectView(request, found.row);
    return projectView(request, found.row, (await tagsOf(db, [found.row.id])).get(found.row.id) ?? []);
  }

  async function views(request: FastifyRequest, rows: readonly ProjectRow[]): Promise<Record<string, unknown>[]> {
    const tags = await tagsOf(db, rows.map((r) => r.id));
    return rows.map((r) => projectView(request, r, tags.get(r.id) ?? []));
  }

  /** parents_as_list / parents_as_ids / subtree_as_list / subtree_as_ids on GET. */
  async function expand(request: FastifyRequest, ctx: AuthContext, found: Found, view: Record<string, unknown>): Promise<void> {
    const q = query(request);
    if (flagSet(q, 'parents_as_list') && flagSet(q, 'parents_as_ids')) throw badRequest('Cannot use parents_as_list and parents_as_ids query params at the same time.');
    if (flagSet(q, 'subtree_as_list') && flagSet(q, 'subtree_as_ids')) throw badRequest('Cannot use subtree_as_list and subtree_as_ids query params at the same time.');
    const isDomain = found.kind === 'domain';
    const parents = isDomain ? [] : await ancestorsOf(db, found.row);
    const subtree = flagSet(q, 'subtree_as_list') || flagSet(q, 'subtree_as_ids') ? await subtreeOf(db, found.row.id, isDomain) : [];
    // The list forms show only projects the caller has a role on.
    const mine = flagSet(q, 'parents_as_list') || flagSet(q, 'subtree_as_list') ? await projectIdsOfUser(db, ctx.userId) : new Set<string>();
    if (flagSet(q, 'parents_as_list')) {
      view.parents = (await views(request, parents.filter((p) => mine.has(p.id)))).map((project) => ({ project }));
    } else if (flagSet(q, 'parents_as_ids')) {
      // Nearest parent outermost; the domain is the top of every chain.
      let nested: Record<string, unknown> | null = isDomain ? null : { [(found.row as ProjectRow).domain_id]: null };
      for (const p of [...parents].reverse()) nested = { [p.id]: nested };
      view.parents = nested;
    }
    if (flagSet(q, 'subtree_as_list')) {
      view.subtree = (await views(request, subtree.filter((p) => mine.has(p.id)))).map((project) => ({ project }));
    } else if (flagSet(q, 'subtree_as_ids')) {
      const build = (parentId: string | null, domainChildren: boolean): Record<string, unknown> | null => {
        const children = subtree.filter((p) => (domainChildren ? p.parent_id === null : p.parent_id === parentId));
        if (!children.length) return null;
        return Object.fromEntries(children.map((c) => [c.id, build(c.id, false)]));
      };
      view.subtree = build(found.row.id, isDomain);
    }
  }

  app.post('/v3/projects', { schema: { body: createSchema } }, async (request, reply) => {
    const ctx = caller(request);
    const body = (request.body as { project: Record<string, unknown> }).project;
    reply.code(201);
    if (body.is_domain === true) {
      if (body.parent_id || body.domain_id) throw badRequest('only root projects are allowed to act as domains.');
      enforce(policy.manageDomain, ctx);
      return { project: domainAsProjectView(request, await createDomain(identity, body)) };
    }
    const created = await createProject(identity, ctx, body);
    return { project: projectView(request, created.row, created.tags) };
  });

  app.get('/v3/projects', async (request) => {
    const ctx = caller(request);
    enforce(policy.listProjects, ctx, { domainId: ctx.domainId });
    const q = query(request);
    const enabled = enabledFilter(q);
    const byTags = tagFilter(q);
    let result: Record<string, unknown>[];
    if (queryBool(q.is_domain, 'is_domain') === true) {
      let sql = db.selectFrom('domains').selectAll().orderBy('name');
      if (q.name !== undefined) sql = sql.where('name', '=', q.name);
      if (enabled !== undefined) sql = sql.where('enabled', '=', enabled);
      if (ctx.domainId) sql = sql.where('id', '=', ctx.domainId);
      // Domains have no domain, no parent and (here) no tags.
      const impossible = (q.domain_id ?? q.parent_id) !== undefined || (byTags !== null && !byTags([]));
      result = impossible ? [] : (await sql.execute()).map((d) => domainAsProjectView(request, d));
    } else {
      let sql = db.selectFrom('projects').selectAll().orderBy('name');
      if (q.name !== undefined) sql = sql.where('name', '=', q.name);
      if (q.domain_id !== undefined) sql = sql.where('domain_id', '=', q.domain_id);
      if (enabled !== undefined) sql = sql.where('enabled', '=', enabled);
      if (q.parent_id !== undefined) {
        const parentIsDomain = await db.selectFrom('domains').select('id').where('id', '=', q.parent_id).executeTakeFirst();
        sql = parentIsDomain ? sql.where('parent_id', 'is', null).where('domain_id', '=', q.parent_id) : sql.where('parent_id', '=', q.parent_id);
      }
      const rows = inCallerDomain(ctx, await sql.execute());
      result = await views(request, rows);
      if (byTags) result = result.filter((v) => byTags(v.tags as string[]));
    }
    return { projects: inexactFilter(result, q, ['name', 'description']), links: collectionLinks(request) };
  });

  app.get<{ Params: ProjectParams }>('/v3/projects/:project_id', async (request) => {
    const ctx = caller(request);
    const found = await load(request.params.project_id, policy.getProject, ctx);
    const view = await viewOf(request, found);
    await expand(request, ctx, found, view);
    return { project: view };
  });

  app.patch<{ Params: ProjectParams }>('/v3/projects/:project_id', { schema: { body: updateSchema } }, async (request) => {
    const ctx = caller(request);
    const body = (request.body as { project: Record<string, unknown> }).project;
    const found = await load(request.params.project_id, policy.manageProject, ctx);
    if (found.kind === 'domain') {
      enforce(policy.manageDomain, ctx);
      if ('is_domain' in body && body.is_domain !== true) throw badRequest('Update of `is_domain` is not allowed.');
      if ('domain_id' in body && body.domain_id !== null) throw badRequest('Cannot change Domain ID');
      if ('parent_id' in body && body.parent_id !== null) throw forbidden('Update of `parent_id` is not allowed.');
      return { project: domainAsProjectView(request, await updateDomain(identity, found.row, body)) };
    }
    const updated = await updateProject(identity, found.row, body);
    return { project: projectView(request, updated.row, updated.tags) };
  });

  app.delete<{ Params: ProjectParams }>('/v3/projects/:project_id', async (request, reply) => {
    const ctx = caller(request);
    const found = await load(request.params.project_id, policy.manageProject, ctx);
    if (found.kind === 'domain') {
      enforce(policy.manageDomain, ctx);
      await deleteDomain(identity, found.row);
    } else {
      await deleteProject(identity, found.row);
    }
    reply.code(204).send();
  });

  await projectTagRoutes(app, identity);
}
