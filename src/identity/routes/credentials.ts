/**
 * /v3/credentials: opaque secrets users keep in Keystone (EC2 keys, certificates, TOTP seeds).
 * An ec2 credential's id is the SHA-256 of its access key, so EC2 requests find it by key;
 * the EC2 view of the same rows is in ec2-credentials.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, forbidden } from '../../api/errors.js';
import { allowed, enforce } from '../../policy/enforce.js';
import { isAdmin } from '../../policy/context.js';
import type { CredentialRow } from '../../store/schema.js';
import type { Db } from '../../store/store.js';
import { hexId } from '../../util/ids.js';
import { parseJsonObject } from '../../util/json.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, selfLink } from '../views.js';
import { ec2Access, ec2CredentialId, ec2CredentialRoutes } from './ec2-credentials.js';
import { extraOf, found, mergeExtra, query, unique } from './common.js';

const KNOWN = ['id', 'user_id', 'project_id', 'type', 'blob', 'links'] as const;

const properties = {
  blob: { type: 'string' },
  project_id: { type: ['string', 'null'] },
  type: { type: 'string' },
  user_id: { type: 'string' },
} as const;

const createSchema = {
  type: 'object',
  required: ['credential'],
  properties: {
    credential: { type: 'object', required: ['blob', 'type', 'user_id'], properties: { ...properties, id: { type: 'string' } } },
  },
} as const;

const updateSchema = {
  type: 'object',
  required: ['credential'],
  properties: { credential: { type: 'object', minProperties: 1, properties } },
} as const;

type CredentialBody = { credential: Record<string, unknown> & { blob?: string; type?: string; user_id?: string; project_id?: string | null } };

export function credentialView(request: FastifyRequest, row: CredentialRow): Record<string, unknown> {
  return {
    ...parseJsonObject(row.extra),
    id: row.id,
    user_id: row.user_id,
    project_id: row.project_id,
    type: row.type,
    blob: row.blob,
    links: selfLink(request, `credentials/${row.id}`),
  };
}

async function assertUserExists(db: Db, userId: string): Promise<void> {
  await found(db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst(), 'user', userId);
}

export async function credentialRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;
  const findCredential = (id: string) => found(db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst(), 'credential', id);

  app.post('/v3/credentials', { schema: { body: createSchema } }, async (request, reply) => {
    const ctx = caller(request);
    const body = (request.body as CredentialBody).credential;
    const userId = String(body.user_id);
    enforce(identityPolicy.ownCredential, ctx, { userId });
    let id = hexId();
    let blob = String(body.blob);
    const type = String(body.type);
    if (type.toLowerCase() === 'ec2') {
      if (!body.project_id) throw badRequest("Invalid input for field 'project_id': an ec2 credential requires a project_id.");
      id = ec2CredentialId(ec2Access(blob));
      // Created with a trust-scoped token, the EC2 key later yields trust-scoped tokens too.
      if (ctx.trustId) blob = JSON.stringify({ ...JSON.parse(blob), trust_id: ctx.trustId });
    }
    await assertUserExists(db, userId);
    const row: CredentialRow = { id, user_id: userId, project_id: body.project_id ?? null, type, blob, extra: extraOf(body, KNOWN) };
    await unique(db.insertInto('credentials').values(row).execute(), 'credential');
    reply.code(201);
    return { credential: credentialView(request, row) };
  });

  app.get('/v3/credentials', async (request) => {
    const ctx = caller(request);
    enforce(identityPolicy.listCredentials, ctx);
    const filters = query(request);
    let q = db.selectFrom('credentials').selectAll();
    if (filters.user_id !== undefined) q = q.where('user_id', '=', filters.user_id);
    if (filters.type !== undefined) q = q.where('type', '=', filters.type);
    // Everyone may list, but sees only what they could read one by one.
    if (!allowed(identityPolicy.ownCredential, ctx, {})) q = q.where('user_id', '=', ctx.userId);
    const rows = await q.orderBy('id').execute();
    return { credentials: rows.map((r) => credentialView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/credentials/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await findCredential(id);
    enforce(identityPolicy.ownCredential, ctx, { userId: row.user_id });
    return { credential: credentialView(request, row) };
  });

  app.patch('/v3/credentials/:id', { schema: { body: updateSchema } }, async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const body = (request.body as CredentialBody).credential;
    const row = await findCredential(id);
    enforce(identityPolicy.ownCredential, ctx, { userId: row.user_id });
    if (body.id !== undefined && body.id !== id) throw badRequest('Cannot change ID.');
    const userId = body.user_id ?? row.user_id;
    if (userId !== row.user_id) {
      if (!isAdmin(ctx)) throw forbidden('You are not authorized to perform the requested action: a credential cannot be given to another user.');
      await assertUserExists(db, userId);
    }
    const type = body.type ?? row.type;
    const projectId = body.project_id === undefined ? row.project_id : body.project_id;
    const blob = body.blob ?? row.blob;
    if (type.toLowerCase() === 'ec2') {
      if (!projectId) throw badRequest("Invalid input for field 'project_id': an ec2 credential requires a project_id.");
      ec2Access(blob);
    }
    const updated: CredentialRow = { ...row, user_id: userId, type, project_id: projectId, blob, extra: mergeExtra(row.extra, body, KNOWN) };
    await db.updateTable('credentials').set(updated).where('id', '=', id).execute();
    return { credential: credentialView(request, updated) };
  });

  app.delete('/v3/credentials/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await findCredential(id);
    enforce(identityPolicy.ownCredential, ctx, { userId: row.user_id });
    await db.deleteFrom('credentials').where('id', '=', id).execute();
    reply.code(204).send();
  });

  await ec2CredentialRoutes(app, identity);
}
