/**
 * OS-EP-FILTER project ⇄ endpoint associations: which endpoints a project's token catalog
 * shows (the directly associated ones plus those matched by its endpoint groups).
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { conflict, notFound } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { EndpointRow } from '../../store/schema.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, endpointView } from '../views.js';
import { getEndpoint } from './catalog-endpoints.js';
import { unique } from './common.js';
import { endpointGroupView, endpointsOfGroup, getProject, projectViews } from './ep-filter-common.js';

function notInProject(endpointId: string, projectId: string) {
  return notFound(`Could not find endpoint ${endpointId} associated with project ${projectId}.`);
}

export async function epFilterRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;
  const base = '/v3/OS-EP-FILTER';

  const association = (projectId: string, endpointId: string) =>
    db.selectFrom('project_endpoints').selectAll().where('project_id', '=', projectId).where('endpoint_id', '=', endpointId).executeTakeFirst();

  // GET (and HEAD) answer 204 when the endpoint is associated with the project.
  app.get(`${base}/projects/:project_id/endpoints/:endpoint_id`, async (request, reply) => {
    enforce(policy.readAdminExtension, caller(request));
    const { project_id, endpoint_id } = request.params as { project_id: string; endpoint_id: string };
    await getEndpoint(db, endpoint_id);
    await getProject(db, project_id);
    if (!(await association(project_id, endpoint_id))) throw notInProject(endpoint_id, project_id);
    reply.code(204).send();
  });

  app.put(`${base}/projects/:project_id/endpoints/:endpoint_id`, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { project_id, endpoint_id } = request.params as { project_id: string; endpoint_id: string };
    await getEndpoint(db, endpoint_id);
    await getProject(db, project_id);
    if (await association(project_id, endpoint_id)) throw conflict('Conflict occurred attempting to store project_endpoint: the association already exists.');
    await unique(db.insertInto('project_endpoints').values({ project_id, endpoint_id }).execute(), 'project_endpoint');
    reply.code(204).send();
  });

  app.delete(`${base}/projects/:project_id/endpoints/:endpoint_id`, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { project_id, endpoint_id } = request.params as { project_id: string; endpoint_id: string };
    if (!(await association(project_id, endpoint_id))) throw notInProject(endpoint_id, project_id);
    await db.deleteFrom('project_endpoints').where('project_id', '=', project_id).where('endpoint_id', '=', endpoint_id).execute();
    reply.code(204).send();
  });

  // What the project's catalog is restricted to: direct associations, then endpoint groups.
  app.get(`${base}/projects/:project_id/endpoints`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { project_id } = request.params as { project_id: string };
    await getProject(db, project_id);
    const direct = await db.selectFrom('project_endpoints').innerJoin('endpoints', 'endpoints.id', 'project_endpoints.endpoint_id')
      .selectAll('endpoints').where('project_endpoints.project_id', '=', project_id).orderBy('endpoints.id').execute();
    const byId = new Map<string, EndpointRow>(direct.map((e) => [e.id, e]));
    const groups = await db.selectFrom('project_endpoint_groups').innerJoin('endpoint_groups', 'endpoint_groups.id', 'project_endpoint_groups.endpoint_group_id')
      .selectAll('endpoint_groups').where('project_endpoint_groups.project_id', '=', project_id).execute();
    for (const group of groups) {
      for (const e of await endpointsOfGroup(db, group)) if (!byId.has(e.id)) byId.set(e.id, e);
    }
    return { endpoints: [...byId.values()].map((e) => endpointView(request, e)), links: collectionLinks(request) };
  });

  app.get(`${base}/projects/:project_id/endpoint_groups`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { project_id } = request.params as { project_id: string };
    const groups = await db.selectFrom('project_endpoint_groups').innerJoin('endpoint_groups', 'endpoint_groups.id', 'project_endpoint_groups.endpoint_group_id')
      .selectAll('endpoint_groups').where('project_endpoint_groups.project_id', '=', project_id).orderBy('endpoint_groups.name').execute();
    return { endpoint_groups: groups.map((g) => endpointGroupView(request, g)), links: collectionLinks(request) };
  });

  app.get(`${base}/endpoints/:endpoint_id/projects`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { endpoint_id } = request.params as { endpoint_id: string };
    await getEndpoint(db, endpoint_id);
    const rows = await db.selectFrom('project_endpoints').select('project_id').where('endpoint_id', '=', endpoint_id).execute();
    return { projects: await projectViews(request, db, rows.map((r) => r.project_id)), links: collectionLinks(request) };
  });
}
