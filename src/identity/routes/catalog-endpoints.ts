/**
 * /v3/endpoints: where each service answers. Endpoints Kumo registered itself (managed = 1)
 * may be edited or deleted like any other, as in Keystone; the next start re-reconciles them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { EndpointRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { hexId } from '../../util/ids.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, endpointView } from '../views.js';
import { extraOf, found, mergeExtra, query } from './common.js';
import { checkEndpointUrl } from './endpoint-url.js';

const KNOWN = ['id', 'interface', 'service_id', 'url', 'region', 'region_id', 'enabled', 'links'] as const;

const endpointProperties = {
  interface: { type: 'string', enum: ['admin', 'internal', 'public'] },
  service_id: { type: 'string' },
  url: { type: 'string', maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' },
  region_id: { type: ['string', 'null'], maxLength: 255 },
  region: { type: ['string', 'null'], maxLength: 255 },
  // A boolean and nothing else: "True" is a 400 (Tempest's test_endpoints_negative).
  enabled: { type: 'boolean' },
};

const createSchema = {
  type: 'object',
  required: ['endpoint'],
  properties: { endpoint: { type: 'object', required: ['interface', 'service_id', 'url'], properties: endpointProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['endpoint'],
  properties: { endpoint: { type: 'object', minProperties: 1, properties: endpointProperties } },
};

interface EndpointBody {
  readonly id?: unknown;
  readonly interface?: string;
  readonly service_id?: string;
  readonly url?: string;
  readonly region_id?: string | null;
  readonly region?: string | null;
  readonly enabled?: boolean;
  readonly [key: string]: unknown;
}

function endpointBody(request: FastifyRequest): EndpointBody {
  return (request.body as { endpoint: EndpointBody }).endpoint;
}

export function getEndpoint(db: Db | Tx, id: string): Promise<EndpointRow> {
  return found(db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst(), 'endpoint', id);
}

async function requireService(tx: Tx, serviceId: string): Promise<void> {
  const row = await tx.selectFrom('services').select('id').where('id', '=', serviceId).executeTakeFirst();
  if (!row) throw badRequest(`Service ${serviceId} does not exist: an endpoint's service_id must name an existing service.`);
}

/**
 * Which region the body asks for: undefined when it says nothing. region_id must name an
 * existing region (400 otherwise); the legacy `region` attribute, used only when region_id is
 * absent or null, creates the region if needed, as Keystone does for v2-style clients.
 */
async function resolveRegion(tx: Tx, body: EndpointBody): Promise<string | null | undefined> {
  if (typeof body.region_id === 'string') {
    const row = await tx.selectFrom('regions').select('id').where('id', '=', body.region_id).executeTakeFirst();
    if (!row) throw badRequest(`Region ${body.region_id} does not exist: an endpoint's region_id must name an existing region.`);
    return body.region_id;
  }
  if (typeof body.region === 'string') {
    await tx.insertInto('regions').values({ id: body.region, description: '', parent_region_id: null, extra: '{}' })
      .onConflict((oc) => oc.column('id').doNothing()).execute();
    return body.region;
  }
  return body.region_id === null ? null : undefined;
}

export async function endpointRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/endpoints', async (request) => {
    enforce(policy.listEndpoints, caller(request));
    const q = query(request);
    let select = db.selectFrom('endpoints').selectAll().orderBy('service_id').orderBy('interface').orderBy('id');
    if (q.interface !== undefined) select = select.where('interface', '=', q.interface);
    if (q.service_id !== undefined) select = select.where('service_id', '=', q.service_id);
    if (q.region_id !== undefined) select = select.where('region_id', '=', q.region_id);
    const rows = await select.execute();
    return { endpoints: rows.map((r) => endpointView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/endpoints/:endpoint_id', async (request) => {
    enforce(policy.listEndpoints, caller(request));
    const { endpoint_id } = request.params as { endpoint_id: string };
    return { endpoint: endpointView(request, await getEndpoint(db, endpoint_id)) };
  });

  app.post('/v3/endpoints', { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.manageEndpoint, caller(request));
    const body = endpointBody(request);
    checkEndpointUrl(body.url as string);
    const row = await identity.store.transaction(async (tx) => {
      await requireService(tx, body.service_id as string);
      const row: EndpointRow = {
        id: hexId(),
        service_id: body.service_id as string,
        interface: body.interface as string,
        url: body.url as string,
        region_id: (await resolveRegion(tx, body)) ?? null,
        enabled: body.enabled === false ? 0 : 1,
        extra: extraOf(body, KNOWN),
        managed: 0,
      };
      await tx.insertInto('endpoints').values(row).execute();
      return row;
    });
    reply.code(201);
    return { endpoint: endpointView(request, row) };
  });

  app.patch('/v3/endpoints/:endpoint_id', { schema: { body: updateSchema } }, async (request) => {
    enforce(policy.manageEndpoint, caller(request));
    const { endpoint_id } = request.params as { endpoint_id: string };
    const body = endpointBody(request);
    if (body.id !== undefined && body.id !== endpoint_id) throw badRequest('The endpoint ID in the body does not match the one in the URL.');
    if (body.url !== undefined) checkEndpointUrl(body.url);
    const row = await identity.store.transaction(async (tx) => {
      const current = await getEndpoint(tx, endpoint_id);
      if (body.service_id !== undefined) await requireService(tx, body.service_id);
      const region = await resolveRegion(tx, body);
      const next: EndpointRow = {
        ...current,
        service_id: body.service_id ?? current.service_id,
        interface: body.interface ?? current.interface,
        url: body.url ?? current.url,
        region_id: region === undefined ? current.region_id : region,
        enabled: body.enabled === undefined ? current.enabled : body.enabled ? 1 : 0,
        extra: mergeExtra(current.extra, body, KNOWN),
      };
      const { id: _id, managed: _managed, ...changes } = next;
      await tx.updateTable('endpoints').set(changes).where('id', '=', endpoint_id).execute();
      return next;
    });
    return { endpoint: endpointView(request, row) };
  });

  app.delete('/v3/endpoints/:endpoint_id', async (request, reply) => {
    enforce(policy.manageEndpoint, caller(request));
    const { endpoint_id } = request.params as { endpoint_id: string };
    await getEndpoint(db, endpoint_id);
    // Project associations (OS-EP-FILTER) go with it through the foreign key's cascade.
    await db.deleteFrom('endpoints').where('id', '=', endpoint_id).execute();
    reply.code(204).send();
  });
}
