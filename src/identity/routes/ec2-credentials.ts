/**
 * /v3/users/{user_id}/credentials/OS-EC2: EC2-style access/secret key pairs, kept as
 * credentials of type ec2 (id = sha256 of the access key) and shown in the OS-EC2 shape.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { CredentialRow } from '../../store/schema.js';
import { hexId } from '../../util/ids.js';
import { isPlainObject, parseJsonObject } from '../../util/json.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, selfLink } from '../views.js';
import { found, unique } from './common.js';

const createSchema = {
  type: 'object',
  properties: { tenant_id: { type: ['string', 'null'] } },
} as const;

/** sha256(access) in hex: the id of an ec2 credential. */
export function ec2CredentialId(access: string): string {
  return createHash('sha256').update(access, 'utf8').digest('hex');
}

/** The access key an ec2 blob must carry; Keystone's 400s when it does not. */
export function ec2Access(blob: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw badRequest('Invalid blob in credential.');
  }
  if (!isPlainObject(parsed) || Object.keys(parsed).length === 0) throw badRequest("Invalid input for field 'blob': the credential's blob must be a JSON object.");
  if (parsed.access === undefined || parsed.access === null) throw badRequest("Invalid input for field 'access': 'access' is a required property of an ec2 blob.");
  return String(parsed.access);
}

function ec2View(request: FastifyRequest, row: CredentialRow): Record<string, unknown> {
  const blob = parseJsonObject(row.blob);
  const access = blob.access ?? null;
  return {
    user_id: row.user_id,
    tenant_id: row.project_id,
    access,
    secret: blob.secret ?? null,
    trust_id: blob.trust_id ?? null,
    links: selfLink(request, `users/${row.user_id}/credentials/OS-EC2/${String(access)}`),
  };
}

export async function ec2CredentialRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;
  const userExists = (id: string) => found(db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst(), 'user', id);
  /** The ec2 credential with this access key, 404 as Keystone words it when there is none. */
  const byAccess = async (access: string) => {
    const id = ec2CredentialId(access);
    return found(db.selectFrom('credentials').selectAll().where('id', '=', id).where('type', '=', 'ec2').executeTakeFirst(), 'credential', id);
  };

  app.post('/v3/users/:user_id/credentials/OS-EC2', { schema: { body: createSchema } }, async (request, reply) => {
    const ctx = caller(request);
    const { user_id: userId } = request.params as { user_id: string };
    enforce(identityPolicy.ownCredential, ctx, { userId });
    await userExists(userId);
    const tenantId = (request.body as { tenant_id?: string | null } | undefined)?.tenant_id;
    if (!tenantId) throw badRequest("Invalid input for field 'tenant_id': 'tenant_id' is a required property.");
    await found(db.selectFrom('projects').select('id').where('id', '=', tenantId).executeTakeFirst(), 'project', tenantId);
    const access = hexId();
    const blob = { access, secret: hexId(), trust_id: ctx.trustId };
    const row: CredentialRow = { id: ec2CredentialId(access), user_id: userId, project_id: tenantId, type: 'ec2', blob: JSON.stringify(blob), extra: '{}' };
    await unique(db.insertInto('credentials').values(row).execute(), 'credential');
    reply.code(201);
    return { credential: ec2View(request, row) };
  });

  app.get('/v3/users/:user_id/credentials/OS-EC2', async (request) => {
    const { user_id: userId } = request.params as { user_id: string };
    enforce(identityPolicy.ownCredential, caller(request), { userId });
    await userExists(userId);
    const rows = await db.selectFrom('credentials').selectAll().where('user_id', '=', userId).where('type', '=', 'ec2').orderBy('id').execute();
    return { credentials: rows.map((r) => ec2View(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/users/:user_id/credentials/OS-EC2/:access', async (request) => {
    const { user_id: userId, access } = request.params as { user_id: string; access: string };
    const row = await byAccess(access);
    enforce(identityPolicy.ownCredential, caller(request), { userId: row.user_id });
    await userExists(userId);
    return { credential: ec2View(request, row) };
  });

  app.delete('/v3/users/:user_id/credentials/OS-EC2/:access', async (request, reply) => {
    const { user_id: userId, access } = request.params as { user_id: string; access: string };
    const row = await byAccess(access);
    enforce(identityPolicy.ownCredential, caller(request), { userId: row.user_id });
    await userExists(userId);
    await db.deleteFrom('credentials').where('id', '=', row.id).execute();
    reply.code(204).send();
  });
}
