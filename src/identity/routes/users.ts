/**
 * /v3/users: create, list (name, domain_id, enabled, password_expires_at), show, update,
 * delete; self-service password change; the projects a user has roles on; its groups.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError, badRequest } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { enforce, type Rule } from '../../policy/enforce.js';
import type { UserRow } from '../../store/schema.js';
import { tagsOf } from '../hierarchy.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { changePassword, createUser, deleteUser, updateUser } from '../user-ops.js';
import { projectIdsOfUser } from '../user-projects.js';
import { collectionLinks, groupView, projectView, userView } from '../views.js';
import { missing, query } from './common.js';
import { enabledFilter, inCallerDomain, inexactFilter } from './listing.js';

const boolOrNull = { type: ['boolean', 'null'] };

const userOptionsSchema = {
  type: 'object',
  properties: {
    ignore_change_password_upon_first_use: boolOrNull,
    ignore_password_expiry: boolOrNull,
    ignore_lockout_failure_attempts: boolOrNull,
    lock_password: boolOrNull,
    ignore_user_inactivity: boolOrNull,
    multi_factor_auth_enabled: boolOrNull,
    multi_factor_auth_rules: {
      type: ['array', 'null'],
      items: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
      uniqueItems: true,
    },
  },
  additionalProperties: false,
};

const userProperties = {
  name: { type: 'string', minLength: 1, maxLength: 255, pattern: '[\\S]+' },
  domain_id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
  default_project_id: { type: ['string', 'null'] },
  description: { type: ['string', 'null'] },
  email: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
  password: { type: ['string', 'null'] },
  options: userOptionsSchema,
  federated: { type: 'array', items: { type: 'object' } },
};

const createSchema = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'object', required: ['name'], properties: userProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'object', minProperties: 1, properties: userProperties } },
};

const passwordSchema = {
  type: 'object',
  required: ['user'],
  properties: {
    user: {
      type: 'object',
      required: ['original_password', 'password'],
      properties: { original_password: { type: 'string' }, password: { type: 'string' } },
      additionalProperties: false,
    },
  },
};

interface UserParams {
  user_id: string;
}

type Comparison = (a: number, b: number) => boolean;
const OPERATORS: Readonly<Record<string, Comparison>> = {
  lt: (a, b) => a < b, lte: (a, b) => a <= b, gt: (a, b) => a > b, gte: (a, b) => a >= b, eq: (a, b) => a === b, neq: (a, b) => a !== b,
};

/** password_expires_at=[op:]timestamp, as Keystone parses it; users whose password never expires never match. */
function passwordExpiryFilter(value: string): (row: UserRow) => boolean {
  const hasOp = value.slice(2, 4).includes(':');
  const op = hasOp ? value.slice(0, value.indexOf(':')) : 'eq';
  const stamp = hasOp ? value.slice(value.indexOf(':') + 1) : value;
  const when = Date.parse(stamp);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(stamp) || Number.isNaN(when)) {
    throw badRequest('Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
  }
  const compare = OPERATORS[op];
  if (!compare) throw badRequest(`The given operator ${op} is not valid. It must be one of the following: 'eq', 'neq', 'lt', 'lte', 'gt', or 'gte'.`);
  return (row) => row.password_expires_at !== null && compare(Date.parse(row.password_expires_at), when);
}

/** GET /v3/users and GET /v3/groups/{id}/users share these filters. */
export function filterUsers(request: FastifyRequest, ctx: AuthContext, rows: readonly UserRow[]): Record<string, unknown>[] {
  const q = query(request);
  const enabled = enabledFilter(q);
  let result = inCallerDomain(ctx, rows).filter((r) =>
    (q.name === undefined || r.name === q.name) &&
    (q.domain_id === undefined || r.domain_id === q.domain_id) &&
    (enabled === undefined || r.enabled === enabled));
  if (q.password_expires_at !== undefined) result = result.filter(passwordExpiryFilter(q.password_expires_at));
  return inexactFilter(result.map((r) => userView(request, r)), q, ['name', 'email', 'description']);
}

export async function userRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  /** Policy first (a caller who may not see the user gets 403 either way), then 404. */
  async function load(userId: string, rule: Rule, ctx: AuthContext): Promise<UserRow> {
    const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    enforce(rule, ctx, { userId, domainId: row?.domain_id ?? null });
    if (!row) throw missing('user', userId);
    return row;
  }

  app.post('/v3/users', { schema: { body: createSchema } }, async (request, reply) => {
    const body = (request.body as { user: Record<string, unknown> }).user;
    const row = await createUser(identity, caller(request), body);
    reply.code(201);
    return { user: userView(request, row) };
  });

  app.get('/v3/users', async (request) => {
    const ctx = caller(request);
    enforce(policy.listUsers, ctx, { domainId: ctx.domainId });
    const q = query(request);
    let sql = db.selectFrom('users').selectAll().orderBy('name');
    if (q.name !== undefined) sql = sql.where('name', '=', q.name);
    if (q.domain_id !== undefined) sql = sql.where('domain_id', '=', q.domain_id);
    return { users: filterUsers(request, ctx, await sql.execute()), links: collectionLinks(request) };
  });

  app.get<{ Params: UserParams }>('/v3/users/:user_id', async (request) => {
    const row = await load(request.params.user_id, policy.getUser, caller(request));
    return { user: userView(request, row) };
  });

  app.patch<{ Params: UserParams }>('/v3/users/:user_id', { schema: { body: updateSchema } }, async (request) => {
    const row = await load(request.params.user_id, policy.manageUser, caller(request));
    const body = (request.body as { user: Record<string, unknown> }).user;
    return { user: userView(request, await updateUser(identity, row, body)) };
  });

  app.delete<{ Params: UserParams }>('/v3/users/:user_id', async (request, reply) => {
    const row = await load(request.params.user_id, policy.manageUser, caller(request));
    await deleteUser(identity, row);
    reply.code(204).send();
  });

  // Like Keystone, no token is needed: the original password proves who is asking.
  app.post<{ Params: UserParams }>('/v3/users/:user_id/password', { config: { public: true }, schema: { body: passwordSchema } }, async (request, reply) => {
    const { original_password: original, password } = (request.body as { user: { original_password: string; password: string } }).user;
    await changePassword(identity, request.params.user_id, original, password);
    reply.code(204).send();
  });

  app.get<{ Params: UserParams }>('/v3/users/:user_id/password', { config: { public: true } }, async () => {
    throw new ApiError('methodNotAllowed', 'The method you requested is not allowed for this resource.', { headers: { allow: 'POST' } });
  });

  app.get<{ Params: UserParams }>('/v3/users/:user_id/projects', async (request) => {
    const ctx = caller(request);
    const user = await load(request.params.user_id, policy.listUserProjects, ctx);
    const ids = [...(await projectIdsOfUser(db, user.id))];
    const q = query(request);
    const enabled = enabledFilter(q);
    let rows = ids.length ? await db.selectFrom('projects').selectAll().where('id', 'in', ids).orderBy('name').execute() : [];
    rows = rows.filter((r) =>
      (q.name === undefined || r.name === q.name) &&
      (q.domain_id === undefined || r.domain_id === q.domain_id) &&
      (enabled === undefined || r.enabled === enabled));
    const tags = await tagsOf(db, rows.map((r) => r.id));
    return { projects: rows.map((r) => projectView(request, r, tags.get(r.id) ?? [])), links: collectionLinks(request) };
  });

  app.get<{ Params: UserParams }>('/v3/users/:user_id/groups', async (request) => {
    const ctx = caller(request);
    const user = await load(request.params.user_id, policy.listUserGroups, ctx);
    const q = query(request);
    let sql = db.selectFrom('groups').innerJoin('memberships', 'memberships.group_id', 'groups.id')
      .selectAll('groups').where('memberships.user_id', '=', user.id).orderBy('groups.name');
    if (q.name !== undefined) sql = sql.where('groups.name', '=', q.name);
    const rows = inCallerDomain(ctx, await sql.execute());
    // Keystone marks each membership's expiry; local memberships never expire.
    const groups = rows.map((g) => ({ ...groupView(request, g), membership_expires_at: null }));
    return { groups: inexactFilter(groups, q, ['name']), links: collectionLinks(request) };
  });
}
