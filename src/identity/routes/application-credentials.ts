/**
 * /v3/users/{user_id}/application_credentials: a user delegates (a subset of) the roles of
 * the token's project to a named secret, optionally limited to some API calls (access rules,
 * see access-rules.ts). The secret is shown once, at creation, and stored hashed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, forbidden, notFound } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { AuthContext } from '../../policy/context.js';
import type { ApplicationCredentialRow } from '../../store/schema.js';
import type { Db } from '../../store/store.js';
import { hexId, nowIso, randomSecret } from '../../util/ids.js';
import { parseJsonArray } from '../../util/json.js';
import { appCredTime, parseExpiration } from '../expiration.js';
import { identityPolicy } from '../policy.js';
import { hashSecret } from '../secrets.js';
import type { IdentityService } from '../service.js';
import type { ValidatedToken } from '../tokens/provider.js';
import { collectionLinks, selfLink } from '../views.js';
import { accessRuleRoutes, accessRuleView, resolveAccessRules, type AccessRuleInput } from './access-rules.js';
import { query, schemaParts, unique } from './common.js';

interface AppCredBody {
  application_credential: {
    name: string;
    description?: string | null;
    secret?: string | null;
    expires_at?: string | null;
    roles?: { id?: string; name?: string }[];
    unrestricted?: boolean;
    access_rules?: AccessRuleInput[];
  };
}

const accessRuleSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', maxLength: 225, pattern: '^/' },
    method: { type: 'string', pattern: '^(POST|GET|HEAD|PATCH|PUT|DELETE)$' },
    service: schemaParts.id64,
    id: schemaParts.id64,
  },
  additionalProperties: false,
} as const;

const createSchema = {
  type: 'object',
  required: ['application_credential'],
  properties: {
    application_credential: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' },
        description: schemaParts.description,
        secret: { type: ['string', 'null'] },
        expires_at: { type: ['string', 'null'] },
        roles: { type: 'array', items: schemaParts.roleRef },
        unrestricted: { type: 'boolean' },
        access_rules: { type: 'array', items: accessRuleSchema },
      },
    },
  },
} as const;

const notFoundAppCred = (id: string) => notFound(`Could not find Application Credential: ${id}.`);

/** Keystone refuses to let a restricted application credential mint or remove others. */
export function assertNotRestrictedAppCred(request: FastifyRequest, what: string): void {
  const appCred = request.validatedToken?.appCred;
  if (appCred?.restricted) throw forbidden(`Using method 'application_credential' is not allowed for managing ${what}.`);
}

async function roleRows(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('roles').select(['id', 'name', 'domain_id']).where('id', 'in', [...ids]).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  // Keep the stored order; a role deleted since is simply no longer listed.
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ id: r.id, name: r.name, domain_id: r.domain_id === '' ? null : r.domain_id }] : [];
  });
}

async function appCredView(request: FastifyRequest, db: Db, row: ApplicationCredentialRow, secret?: string): Promise<Record<string, unknown>> {
  const roleIds = parseJsonArray<{ id: string }>(row.roles).map((r) => r.id);
  const ruleIds = parseJsonArray<string>(row.access_rules);
  const view: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    description: row.description === '' ? null : row.description,
    expires_at: appCredTime(row.expires_at),
    project_id: row.project_id,
    roles: await roleRows(db, roleIds),
    unrestricted: row.unrestricted === 1,
    links: selfLink(request, `users/${row.user_id}/application_credentials/${row.id}`),
  };
  if (ruleIds.length > 0) {
    const rules = await db.selectFrom('access_rules').selectAll().where('id', 'in', ruleIds).execute();
    const byId = new Map(rules.map((r) => [r.id, r]));
    view.access_rules = ruleIds.flatMap((id) => {
      const r = byId.get(id);
      return r ? [accessRuleView(r)] : [];
    });
  }
  if (secret !== undefined) view.secret = secret;
  return view;
}

/**
 * The roles the credential gets: those asked for (by id, or by name among global roles), each
 * of which must be in the caller's token so nobody escalates through an application
 * credential; by default every role of the token.
 */
async function chooseRoles(db: Db, token: ValidatedToken, asked: AppCredBody['application_credential']['roles']): Promise<string[]> {
  const inToken = new Set(token.roles.map((r) => r.id));
  if (!asked || asked.length === 0) return [...inToken];
  const ids: string[] = [];
  for (const ref of asked) {
    let id = ref.id;
    if (id === undefined) {
      const row = await db.selectFrom('roles').select('id').where('name', '=', String(ref.name)).where('domain_id', '=', '').executeTakeFirst();
      if (!row) throw notFound(`Could not find role: ${ref.name}.`);
      id = row.id;
    }
    if (!inToken.has(id)) {
      throw badRequest('Invalid application credential: Cannot create an application credential with unassigned role.');
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

async function findAppCred(db: Db, ctx: AuthContext, id: string): Promise<ApplicationCredentialRow> {
  const row = await db.selectFrom('application_credentials').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFoundAppCred(id);
  // The owner comes from the credential itself, never from the path, so a user cannot reach
  // another user's credential by putting their own id in the URL.
  enforce(identityPolicy.ownCredential, ctx, { userId: row.user_id });
  return row;
}

export async function applicationCredentialRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.post('/v3/users/:user_id/application_credentials', { schema: { body: createSchema } }, async (request, reply) => {
    const ctx = caller(request);
    const { user_id: userId } = request.params as { user_id: string };
    const body = (request.body as AppCredBody).application_credential;
    assertNotRestrictedAppCred(request, 'additional application credentials');
    if (ctx.userId !== userId) throw forbidden('You are not authorized to perform the requested action: Cannot create an application credential for another user.');
    if (!ctx.projectId) throw badRequest('Invalid application credential: an application credential is created with a project-scoped token.');
    const expiry = parseExpiration(body.expires_at);
    const roleIds = await chooseRoles(db, request.validatedToken as ValidatedToken, body.roles);
    const secret = body.secret ? body.secret : randomSecret(64);
    const id = hexId();
    const row: ApplicationCredentialRow = {
      id,
      name: body.name,
      user_id: userId,
      project_id: ctx.projectId,
      description: body.description ?? '',
      secret_hash: hashSecret(secret),
      expires_at: expiry?.stored ?? null,
      unrestricted: body.unrestricted ? 1 : 0,
      roles: JSON.stringify(roleIds.map((r) => ({ id: r }))),
      access_rules: '[]',
      created_at: nowIso(),
    };
    const created = await unique(identity.store.transaction(async (tx) => {
      const ruleIds = await resolveAccessRules(tx, userId, body.access_rules ?? []);
      const full = { ...row, access_rules: JSON.stringify(ruleIds) };
      await tx.insertInto('application_credentials').values(full).execute();
      return full;
    }), 'application_credential');
    reply.code(201);
    return { application_credential: await appCredView(request, db, created, secret) };
  });

  app.get('/v3/users/:user_id/application_credentials', async (request) => {
    const ctx = caller(request);
    const { user_id: userId } = request.params as { user_id: string };
    enforce(identityPolicy.ownCredential, ctx, { userId });
    const filters = query(request);
    let q = db.selectFrom('application_credentials').selectAll().where('user_id', '=', userId);
    if (filters.name !== undefined) q = q.where('name', '=', filters.name);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    const views = [];
    for (const row of rows) views.push(await appCredView(request, db, row));
    return { application_credentials: views, links: collectionLinks(request) };
  });

  app.get('/v3/users/:user_id/application_credentials/:id', async (request) => {
    const { id } = request.params as { id: string };
    const row = await findAppCred(db, caller(request), id);
    return { application_credential: await appCredView(request, db, row) };
  });

  app.delete('/v3/users/:user_id/application_credentials/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    await findAppCred(db, caller(request), id);
    assertNotRestrictedAppCred(request, 'additional application credentials');
    await db.deleteFrom('application_credentials').where('id', '=', id).execute();
    await identity.revocations.revoke({ appCredId: id });
    reply.code(204).send();
  });

  await accessRuleRoutes(app, identity);
}
