/** /v3/policies: opaque policy blobs stored for other services (Keystone's policy API). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { PolicyRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { hexId } from '../../util/ids.js';
import { parseJsonObject } from '../../util/json.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, selfLink } from '../views.js';
import { extraOf, found, mergeExtra, query } from './common.js';

const KNOWN = ['id', 'type', 'blob', 'links'] as const;

const policyProperties = {
  blob: { type: 'string' },
  type: { type: 'string', maxLength: 255 },
};

const createSchema = {
  type: 'object',
  required: ['policy'],
  properties: { policy: { type: 'object', required: ['blob', 'type'], properties: policyProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['policy'],
  properties: { policy: { type: 'object', minProperties: 1, properties: policyProperties } },
};

interface PolicyBody {
  readonly id?: unknown;
  readonly blob?: string;
  readonly type?: string;
  readonly [key: string]: unknown;
}

function policyBody(request: FastifyRequest): PolicyBody {
  return (request.body as { policy: PolicyBody }).policy;
}

function policyView(request: FastifyRequest, row: PolicyRow): Record<string, unknown> {
  return {
    ...parseJsonObject(row.extra),
    id: row.id,
    type: row.type,
    blob: row.blob,
    links: selfLink(request, `policies/${row.id}`),
  };
}

function getPolicy(db: Db | Tx, id: string): Promise<PolicyRow> {
  return found(db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst(), 'policy', id);
}

export async function policyRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/policies', async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const q = query(request);
    let select = db.selectFrom('policies').selectAll().orderBy('id');
    if (q.type !== undefined) select = select.where('type', '=', q.type);
    const rows = await select.execute();
    return { policies: rows.map((r) => policyView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/policies/:policy_id', async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { policy_id } = request.params as { policy_id: string };
    return { policy: policyView(request, await getPolicy(db, policy_id)) };
  });

  app.post('/v3/policies', { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const body = policyBody(request);
    const row: PolicyRow = { id: hexId(), type: body.type as string, blob: body.blob as string, extra: extraOf(body, KNOWN) };
    await db.insertInto('policies').values(row).execute();
    reply.code(201);
    return { policy: policyView(request, row) };
  });

  app.patch('/v3/policies/:policy_id', { schema: { body: updateSchema } }, async (request) => {
    enforce(policy.adminOnly, caller(request));
    const { policy_id } = request.params as { policy_id: string };
    const body = policyBody(request);
    if (body.id !== undefined && body.id !== policy_id) throw badRequest('The policy ID in the body does not match the one in the URL.');
    const row = await identity.store.transaction(async (tx) => {
      const current = await getPolicy(tx, policy_id);
      const next: PolicyRow = {
        ...current,
        type: body.type ?? current.type,
        blob: body.blob ?? current.blob,
        extra: mergeExtra(current.extra, body, KNOWN),
      };
      await tx.updateTable('policies').set({ type: next.type, blob: next.blob, extra: next.extra }).where('id', '=', policy_id).execute();
      return next;
    });
    return { policy: policyView(request, row) };
  });

  app.delete('/v3/policies/:policy_id', async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { policy_id } = request.params as { policy_id: string };
    await getPolicy(db, policy_id);
    await db.deleteFrom('policies').where('id', '=', policy_id).execute();
    reply.code(204).send();
  });
}
