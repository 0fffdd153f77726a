/**
 * OS-OAUTH1 consumers: the registry of OAuth 1.0a clients (only the CRUD, not the delegation
 * flow). The secret is generated here, shown once in the create answer, and stored hashed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { ConsumerRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { hexId, randomSecret } from '../../util/ids.js';
import { parseJsonObject } from '../../util/json.js';
import { identityPolicy as policy } from '../policy.js';
import { hashSecret } from '../secrets.js';
import type { IdentityService } from '../service.js';
import { baseUrl, collectionLinks } from '../views.js';
import { extraOf, found, mergeExtra } from './common.js';

const KNOWN = ['id', 'description', 'secret', 'links'] as const;

const consumerProperties = { description: { type: ['string', 'null'] } };

const createSchema = {
  type: 'object',
  properties: { consumer: { type: 'object', properties: consumerProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['consumer'],
  properties: { consumer: { type: 'object', properties: consumerProperties } },
};

interface ConsumerBody {
  readonly id?: unknown;
  readonly description?: string | null;
  readonly secret?: unknown;
  readonly [key: string]: unknown;
}

function consumerBody(request: FastifyRequest): ConsumerBody {
  return (request.body as { consumer?: ConsumerBody }).consumer ?? {};
}

function consumerView(request: FastifyRequest, row: ConsumerRow): Record<string, unknown> {
  return {
    ...parseJsonObject(row.extra),
    id: row.id,
    description: row.description,
    links: { self: `${baseUrl(request)}/v3/OS-OAUTH1/consumers/${row.id}` },
  };
}

function getConsumer(db: Db | Tx, id: string): Promise<ConsumerRow> {
  return found(db.selectFrom('consumers').selectAll().where('id', '=', id).executeTakeFirst(), 'consumer', id);
}

export async function oauthConsumerRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;
  const base = '/v3/OS-OAUTH1/consumers';

  app.get(base, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const rows = await db.selectFrom('consumers').selectAll().orderBy('id').execute();
    return { consumers: rows.map((r) => consumerView(request, r)), links: collectionLinks(request) };
  });

  app.get(`${base}/:consumer_id`, async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { consumer_id } = request.params as { consumer_id: string };
    return { consumer: consumerView(request, await getConsumer(db, consumer_id)) };
  });

  app.post(base, { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const body = consumerBody(request);
    const secret = randomSecret();
    const row: ConsumerRow = {
      id: hexId(),
      description: body.description ?? '',
      secret_hash: hashSecret(secret),
      extra: extraOf(body, KNOWN),
    };
    await db.insertInto('consumers').values(row).execute();
    reply.code(201);
    return { consumer: { ...consumerView(request, row), secret } };
  });

  app.patch(`${base}/:consumer_id`, { schema: { body: updateSchema } }, async (request) => {
    enforce(policy.adminOnly, caller(request));
    const { consumer_id } = request.params as { consumer_id: string };
    const body = consumerBody(request);
    if (body.secret !== undefined) throw badRequest('Cannot change consumer secret.');
    if (body.id !== undefined && body.id !== consumer_id) throw badRequest('The consumer ID in the body does not match the one in the URL.');
    const row = await identity.store.transaction(async (tx) => {
      const current = await getConsumer(tx, consumer_id);
      const next: ConsumerRow = {
        ...current,
        description: body.description === undefined ? current.description : body.description ?? '',
        extra: mergeExtra(current.extra, body, KNOWN),
      };
      await tx.updateTable('consumers').set({ description: next.description, extra: next.extra }).where('id', '=', consumer_id).execute();
      return next;
    });
    return { consumer: consumerView(request, row) };
  });

  app.delete(`${base}/:consumer_id`, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { consumer_id } = request.params as { consumer_id: string };
    await getConsumer(db, consumer_id);
    await db.deleteFrom('consumers').where('id', '=', consumer_id).execute();
    reply.code(204).send();
  });
}
