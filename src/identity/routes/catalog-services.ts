/** /v3/services: the services of the catalog; deleting one takes its endpoints with it. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { ServiceRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { hexId } from '../../util/ids.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, serviceView } from '../views.js';
import { extraOf, found, mergeExtra, query } from './common.js';

const KNOWN = ['id', 'type', 'name', 'description', 'enabled', 'links'] as const;

const serviceProperties = {
  type: { type: 'string', minLength: 1, maxLength: 255 },
  name: { type: 'string', minLength: 1, maxLength: 255 },
  description: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
};

const createSchema = {
  type: 'object',
  required: ['service'],
  properties: { service: { type: 'object', required: ['type'], properties: serviceProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['service'],
  properties: { service: { type: 'object', minProperties: 1, properties: serviceProperties } },
};

interface ServiceBody {
  readonly id?: unknown;
  readonly type?: string;
  readonly name?: string;
  readonly description?: string | null;
  readonly enabled?: boolean;
  readonly [key: string]: unknown;
}

function serviceBody(request: FastifyRequest): ServiceBody {
  return (request.body as { service: ServiceBody }).service;
}

export function getService(db: Db | Tx, id: string): Promise<ServiceRow> {
  return found(db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst(), 'service', id);
}

export async function serviceRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/services', async (request) => {
    enforce(policy.listServices, caller(request));
    const q = query(request);
    let select = db.selectFrom('services').selectAll().orderBy('type').orderBy('id');
    if (q.type !== undefined) select = select.where('type', '=', q.type);
    if (q.name !== undefined) select = select.where('name', '=', q.name);
    const rows = await select.execute();
    return { services: rows.map((r) => serviceView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/services/:service_id', async (request) => {
    enforce(policy.listServices, caller(request));
    const { service_id } = request.params as { service_id: string };
    return { service: serviceView(request, await getService(db, service_id)) };
  });

  app.post('/v3/services', { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.manageService, caller(request));
    const body = serviceBody(request);
    const row: ServiceRow = {
      id: hexId(),
      type: body.type as string,
      name: body.name ?? '',
      description: body.description ?? '',
      enabled: body.enabled === false ? 0 : 1,
      extra: extraOf(body, KNOWN),
    };
    await db.insertInto('services').values(row).execute();
    reply.code(201);
    return { service: serviceView(request, row) };
  });

  app.patch('/v3/services/:service_id', { schema: { body: updateSchema } }, async (request) => {
    enforce(policy.manageService, caller(request));
    const { service_id } = request.params as { service_id: string };
    const body = serviceBody(request);
    if (body.id !== undefined && body.id !== service_id) throw badRequest('The service ID in the body does not match the one in the URL.');
    const row = await identity.store.transaction(async (tx) => {
      const current = await getService(tx, service_id);
      const next: ServiceRow = {
        ...current,
        type: body.type ?? current.type,
        name: body.name ?? current.name,
        description: body.description === undefined ? current.description : body.description ?? '',
        enabled: body.enabled === undefined ? current.enabled : body.enabled ? 1 : 0,
        extra: mergeExtra(current.extra, body, KNOWN),
      };
      const { id: _id, ...changes } = next;
      await tx.updateTable('services').set(changes).where('id', '=', service_id).execute();
      return next;
    });
    return { service: serviceView(request, row) };
  });

  // Keystone removes the service's endpoints with it (and so their project associations).
  app.delete('/v3/services/:service_id', async (request, reply) => {
    enforce(policy.manageService, caller(request));
    const { service_id } = request.params as { service_id: string };
    await identity.store.transaction(async (tx) => {
      await getService(tx, service_id);
      await tx.deleteFrom('endpoints').where('service_id', '=', service_id).execute();
      await tx.deleteFrom('services').where('id', '=', service_id).execute();
    });
    reply.code(204).send();
  });
}
