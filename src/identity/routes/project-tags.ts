/**
 * /v3/projects/{id}/tags: list, replace, clear; /tags/{tag}: check (204/404), add (201 with
 * Location), remove. Reading needs what reading the project needs; writing, managing it.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { enforce, type Rule } from '../../policy/enforce.js';
import type { ProjectRow } from '../../store/schema.js';
import { tagsOf } from '../hierarchy.js';
import { identityPolicy as policy } from '../policy.js';
import { setProjectTags } from '../project-ops.js';
import type { IdentityService } from '../service.js';
import { baseUrl } from '../views.js';
import { missing } from './common.js';
import { tagListSchema, tagProblem } from './project-schemas.js';

const MAX_TAGS = 80;

interface TagsParams {
  project_id: string;
}

interface TagParams extends TagsParams {
  value: string;
}

const replaceSchema = { type: 'object', required: ['tags'], properties: { tags: tagListSchema } };

export async function projectTagRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  async function load(projectId: string, rule: Rule, ctx: AuthContext): Promise<{ row: ProjectRow; tags: string[] }> {
    const row = await db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirst();
    enforce(rule, ctx, { projectId, domainId: row?.domain_id ?? null });
    if (!row) throw missing('project', projectId);
    return { row, tags: (await tagsOf(db, [projectId])).get(projectId) ?? [] };
  }

  const tagsBody = (url: string, tags: readonly string[]) => ({ tags: [...tags], links: { self: url } });

  app.get<{ Params: TagsParams }>('/v3/projects/:project_id/tags', async (request) => {
    const { tags } = await load(request.params.project_id, policy.getProject, caller(request));
    return tagsBody(`${baseUrl(request)}${request.url}`, tags);
  });

  app.put<{ Params: TagsParams }>('/v3/projects/:project_id/tags', { schema: { body: replaceSchema } }, async (request) => {
    await load(request.params.project_id, policy.manageProject, caller(request));
    const tags = (request.body as { tags: string[] }).tags;
    await setProjectTags(identity, request.params.project_id, tags);
    return tagsBody(`${baseUrl(request)}${request.url}`, [...tags].sort());
  });

  app.delete<{ Params: TagsParams }>('/v3/projects/:project_id/tags', async (request, reply) => {
    await load(request.params.project_id, policy.manageProject, caller(request));
    await setProjectTags(identity, request.params.project_id, []);
    reply.code(204).send();
  });

  app.get<{ Params: TagParams }>('/v3/projects/:project_id/tags/:value', async (request, reply) => {
    const { tags } = await load(request.params.project_id, policy.getProject, caller(request));
    if (!tags.includes(request.params.value)) throw notFound(`Could not find project tag: ${request.params.value}.`);
    reply.code(204).send();
  });

  app.put<{ Params: TagParams }>('/v3/projects/:project_id/tags/:value', async (request, reply) => {
    const { project_id: projectId, value } = request.params;
    const { tags } = await load(projectId, policy.manageProject, caller(request));
    const problem = tagProblem(value);
    if (problem) throw badRequest(problem);
    const tag = value.trim();
    if (tags.includes(tag)) throw badRequest(`Invalid input for field 'tags': the tag '${tag}' is already on the project (tags must be unique).`);
    if (tags.length >= MAX_TAGS) throw badRequest(`Invalid input for field 'tags': a project has at most ${MAX_TAGS} tags.`);
    await setProjectTags(identity, projectId, [...tags, tag]);
    reply.code(201).header('location', `${baseUrl(request)}/v3/projects/${projectId}/tags/${encodeURIComponent(tag)}`).send();
  });

  app.delete<{ Params: TagParams }>('/v3/projects/:project_id/tags/:value', async (request, reply) => {
    const { project_id: projectId, value } = request.params;
    const { tags } = await load(projectId, policy.manageProject, caller(request));
    if (!tags.includes(value)) throw notFound(`Could not find project tag: ${value}.`);
    await setProjectTags(identity, projectId, tags.filter((t) => t !== value));
    reply.code(204).send();
  });
}
