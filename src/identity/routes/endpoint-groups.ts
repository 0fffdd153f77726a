/**
 * OS-EP-FILTER endpoint groups: named endpoint filters, and their association with projects
 * (a project associated with groups sees only the matching endpoints in its token catalog).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, conflict } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { EndpointGroupRow } from '../../store/schema.js';
import { hexId } from '../../util/ids.js';
import { isPlainObject } from '../../util/json.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, endpointView } from '../views.js';
import { missing, query, unique } from './common.js';
import {
  FILTER_KEYS, endpointGroupView, endpointsOfGroup, extensionLink, getEndpointGroup, getProject, projectViews,
} from './ep-filter-common.js';

const groupProperties = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  description: { type: ['string', 'null'] },
  filters: {
    type: 'object',
    properties: {
      interface: { type: 'string', enum: ['admin', 'internal', 'public'] },
      service_id: { type: 'string' },
      region_id: { type: ['string', 'null'] },
    },
  },
};

const createSchema = {
  type: 'object',
  required: ['endpoint_group'],
  properties: {
    endpoint_group: { type: 'object', required: ['name', 'filters'], additionalProperties: false, properties: groupProperties },
  },
};

const updateSchema = {
  type: 'object',
  required: ['endpoint_group'],
  properties: {
    endpoint_group: { type: 'object', minProperties: 1, additionalProperties: false, properties: groupProperties },
  },
};

interface GroupBody {
  readonly name?: string;
  readonly description?: string | null;
  readonly filters?: Record<string, unknown>;
}

function groupBody(request: FastifyRequest): GroupBody {
  return (request.body as { endpoint_group: GroupBody }).endpoint_group;
}

/** Filters must be non-empty and use only the attributes Keystone filters on. */
function checkFilters(filters: unknown): void {
  if (!isPlainObject(filters) || Object.keys(filters).length === 0) throw badRequest('filters field is required and cannot be empty.');
  for (const key of Object.keys(filters)) {
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw badRequest(`Invalid filter '${key}' in endpoint_group: filters may use only ${FILTER_KEYS.join(', ')}.`);
    }
  }
}

function associationView(request: FastifyRequest, groupId: string, projectId: string): Record<string, unknown> {
  return {
    endpoint_group_id: groupId,
    project_id: projectId,
    links: extensionLink(request, `endpoint_groups/${groupId}/projects/${projectId}`),
  };
}

export async function endpointGroupRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;
  const base = '/v3/OS-EP-FILTER/endpoint_groups';

  app.get(base, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const q = query(request);
    let select = db.selectFrom('endpoint_groups').selectAll().orderBy('name').orderBy('id');
    if (q.name !== undefined) select = select.where('name', '=', q.name);
    const rows = await select.execute();
    return { endpoint_groups: rows.map((r) => endpointGroupView(request, r)), links: collectionLinks(request) };
  });

  app.get(`${base}/:group_id`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { group_id } = request.params as { group_id: string };
    return { endpoint_group: endpointGroupView(request, await getEndpointGroup(db, group_id)) };
  });

  app.post(base, { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const body = groupBody(request);
    checkFilters(body.filters);
    const row: EndpointGroupRow = {
      id: hexId(),
      name: body.name as string,
      description: body.description ?? '',
      filters: JSON.stringify(body.filters),
    };
    await db.insertInto('endpoint_groups').values(row).execute();
    reply.code(201);
    return { endpoint_group: endpointGroupView(request, row) };
  });

  app.patch(`${base}/:group_id`, { schema: { body: updateSchema } }, async (request) => {
    enforce(policy.adminOnly, caller(request));
    const { group_id } = request.params as { group_id: string };
    const body = groupBody(request);
    if (body.filters !== undefined) checkFilters(body.filters);
    const row = await identity.store.transaction(async (tx) => {
      const current = await getEndpointGroup(tx, group_id);
      const next: EndpointGroupRow = {
        ...current,
        name: body.name ?? current.name,
        description: body.description === undefined ? current.description : body.description ?? '',
        filters: body.filters === undefined ? current.filters : JSON.stringify(body.filters),
      };
      await tx.updateTable('endpoint_groups').set({ name: next.name, description: next.description, filters: next.filters })
        .where('id', '=', group_id).execute();
      return next;
    });
    return { endpoint_group: endpointGroupView(request, row) };
  });

  app.delete(`${base}/:group_id`, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { group_id } = request.params as { group_id: string };
    await getEndpointGroup(db, group_id);
    // Project associations go with it through the foreign key's cascade.
    await db.deleteFrom('endpoint_groups').where('id', '=', group_id).execute();
    reply.code(204).send();
  });

  app.get(`${base}/:group_id/endpoints`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { group_id } = request.params as { group_id: string };
    const endpoints = await endpointsOfGroup(db, await getEndpointGroup(db, group_id));
    return { endpoints: endpoints.map((e) => endpointView(request, e)), links: collectionLinks(request) };
  });

  app.get(`${base}/:group_id/projects`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { group_id } = request.params as { group_id: string };
    // Like Keystone, an unknown group simply has no projects.
    const rows = await db.selectFrom('project_endpoint_groups').select('project_id').where('endpoint_group_id', '=', group_id).execute();
    return { projects: await projectViews(request, db, rows.map((r) => r.project_id)), links: collectionLinks(request) };
  });

  const association = (groupId: string, projectId: string) =>
    db.selectFrom('project_endpoint_groups').selectAll().where('endpoint_group_id', '=', groupId).where('project_id', '=', projectId).executeTakeFirst();
  const notAssociated = (groupId: string, projectId: string) =>
    missing('endpoint group associated with project', `${groupId} (project ${projectId})`);

  app.get(`${base}/:group_id/projects/:project_id`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { group_id, project_id } = request.params as { group_id: string; project_id: string };
    await getProject(db, project_id);
    await getEndpointGroup(db, group_id);
    if (!(await association(group_id, project_id))) throw notAssociated(group_id, project_id);
    return { project_endpoint_group: associationView(request, group_id, project_id) };
  });

  app.put(`${base}/:group_id/projects/:project_id`, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { group_id, project_id } = request.params as { group_id: string; project_id: string };
    await getProject(db, project_id);
    await getEndpointGroup(db, group_id);
    if (await association(group_id, project_id)) throw conflict('Conflict occurred attempting to store project_endpoint_group: the association already exists.');
    await unique(db.insertInto('project_endpoint_groups').values({ endpoint_group_id: group_id, project_id }).execute(), 'project_endpoint_group');
    reply.code(204).send();
  });

  app.delete(`${base}/:group_id/projects/:project_id`, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { group_id, project_id } = request.params as { group_id: string; project_id: string };
    await getProject(db, project_id);
    await getEndpointGroup(db, group_id);
    if (!(await association(group_id, project_id))) throw notAssociated(group_id, project_id);
    await db.deleteFrom('project_endpoint_groups').where('endpoint_group_id', '=', group_id).where('project_id', '=', project_id).execute();
    reply.code(204).send();
  });
}
