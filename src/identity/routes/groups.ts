/**
 * /v3/groups: create, list (name, domain_id), show, update, delete; membership
 * (PUT/HEAD/GET/DELETE /groups/{gid}/users/{uid}) and the member list. A group may hold users
 * of any domain.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, conflict, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { enforce, type Rule } from '../../policy/enforce.js';
import { isUniqueViolation } from '../../store/store.js';
import type { GroupRow, UserRow } from '../../store/schema.js';
import { hexId } from '../../util/ids.js';
import { applyRevocations, deleteGroupRows, noRevocations } from '../cascade.js';
import { identityPolicy as policy } from '../policy.js';
import { defaultDomainFor } from '../project-ops.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, groupView } from '../views.js';
import { extraOf, mergeExtra, missing, query } from './common.js';
import { inCallerDomain, inexactFilter } from './listing.js';
import { filterUsers } from './users.js';

const GROUP_FIELDS = ['id', 'name', 'domain_id', 'description', 'links'] as const;

const groupProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64, pattern: '[\\S]+' },
  domain_id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
  description: { type: ['string', 'null'] },
};

const createSchema = {
  type: 'object',
  required: ['group'],
  properties: { group: { type: 'object', required: ['name'], properties: groupProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['group'],
  properties: { group: { type: 'object', minProperties: 1, properties: groupProperties } },
};

interface GroupParams {
  group_id: string;
}

interface MemberParams extends GroupParams {
  user_id: string;
}

function nameConflict(name: string, domainId: string) {
  return conflict(`Conflict occurred attempting to store group - Duplicate entry found with name ${name} at domain ID ${domainId}.`);
}

export async function groupRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  /** Policy first (with the group's domain when it exists), then 404. */
  async function load(groupId: string, rule: Rule, ctx: AuthContext): Promise<GroupRow> {
    const row = await db.selectFrom('groups').selectAll().where('id', '=', groupId).executeTakeFirst();
    enforce(rule, ctx, { domainId: row?.domain_id ?? null });
    if (!row) throw missing('group', groupId);
    return row;
  }

  async function member(groupId: string, userId: string, rule: Rule, ctx: AuthContext): Promise<{ group: GroupRow; user: UserRow; isMember: boolean }> {
    const group = await load(groupId, rule, ctx);
    const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!user) throw missing('user', userId);
    const membership = await db.selectFrom('memberships').select('user_id').where('user_id', '=', userId).where('group_id', '=', groupId).executeTakeFirst();
    return { group, user, isMember: membership !== undefined };
  }

  const notMember = (userId: string, groupId: string) => notFound(`User '${userId}' not found in group '${groupId}'`);

  app.post('/v3/groups', { schema: { body: createSchema } }, async (request, reply) => {
    const ctx = caller(request);
    const body = (request.body as { group: Record<string, unknown> }).group;
    const domainId = typeof body.domain_id === 'string' ? body.domain_id : defaultDomainFor(ctx);
    enforce(policy.manageGroup, ctx, { domainId });
    if (!(await db.selectFrom('domains').select('id').where('id', '=', domainId).executeTakeFirst())) throw missing('domain', domainId);
    const row: GroupRow = {
      id: hexId(),
      name: String(body.name).trim(),
      domain_id: domainId,
      description: typeof body.description === 'string' ? body.description : '',
      extra: extraOf(body, GROUP_FIELDS),
    };
    try {
      await db.insertInto('groups').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw nameConflict(row.name, domainId);
      throw err;
    }
    reply.code(201);
    return { group: groupView(request, row) };
  });

  app.get('/v3/groups', async (request) => {
    const ctx = caller(request);
    enforce(policy.listGroups, ctx, { domainId: ctx.domainId });
    const q = query(request);
    let sql = db.selectFrom('groups').selectAll().orderBy('name');
    if (q.name !== undefined) sql = sql.where('name', '=', q.name);
    if (q.domain_id !== undefined) sql = sql.where('domain_id', '=', q.domain_id);
    const rows = inCallerDomain(ctx, await sql.execute());
    return { groups: inexactFilter(rows.map((r) => groupView(request, r)), q, ['name', 'description']), links: collectionLinks(request) };
  });

  app.get<{ Params: GroupParams }>('/v3/groups/:group_id', async (request) => {
    return { group: groupView(request, await load(request.params.group_id, policy.getGroup, caller(request))) };
  });

  app.patch<{ Params: GroupParams }>('/v3/groups/:group_id', { schema: { body: updateSchema } }, async (request) => {
    const current = await load(request.params.group_id, policy.manageGroup, caller(request));
    const body = (request.body as { group: Record<string, unknown> }).group;
    if (body.id !== undefined && body.id !== null && body.id !== current.id) throw badRequest('Cannot change ID');
    if ('domain_id' in body && body.domain_id !== current.domain_id) throw badRequest('Cannot change Domain ID');
    const next: GroupRow = {
      ...current,
      name: typeof body.name === 'string' ? body.name.trim() : current.name,
      description: body.description === undefined ? current.description : typeof body.description === 'string' ? body.description : '',
      extra: mergeExtra(current.extra, body, GROUP_FIELDS),
    };
    try {
      await db.updateTable('groups').set({ name: next.name, description: next.description, extra: next.extra }).where('id', '=', current.id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw nameConflict(next.name, current.domain_id);
      throw err;
    }
    return { group: groupView(request, next) };
  });

  app.delete<{ Params: GroupParams }>('/v3/groups/:group_id', async (request, reply) => {
    const current = await load(request.params.group_id, policy.manageGroup, caller(request));
    const out = noRevocations();
    await identity.store.transaction((tx) => deleteGroupRows(tx, current.id, out));
    await applyRevocations((m) => identity.revocations.revoke(m), out);
    reply.code(204).send();
  });

  app.get<{ Params: GroupParams }>('/v3/groups/:group_id/users', async (request) => {
    const ctx = caller(request);
    const group = await load(request.params.group_id, policy.getGroup, ctx);
    const rows = await db.selectFrom('users').innerJoin('memberships', 'memberships.user_id', 'users.id')
      .selectAll('users').where('memberships.group_id', '=', group.id).orderBy('users.name').execute();
    // The members are listed whatever their domain; filters still apply.
    return { users: filterUsers(request, { ...ctx, domainId: null }, rows), links: collectionLinks(request) };
  });

  app.put<{ Params: MemberParams }>('/v3/groups/:group_id/users/:user_id', async (request, reply) => {
    const ctx = caller(request);
    const { group, user, isMember } = await member(request.params.group_id, request.params.user_id, policy.manageGroup, ctx);
    // A domain manager may only add users of a domain it manages.
    enforce(policy.manageGroup, ctx, { domainId: user.domain_id });
    if (!isMember) await db.insertInto('memberships').values({ user_id: user.id, group_id: group.id }).onConflict((oc) => oc.doNothing()).execute();
    reply.code(204).send();
  });

  app.get<{ Params: MemberParams }>('/v3/groups/:group_id/users/:user_id', async (request, reply) => {
    const { group, user, isMember } = await member(request.params.group_id, request.params.user_id, policy.getGroup, caller(request));
    if (!isMember) throw notMember(user.id, group.id);
    reply.code(204).send();
  });

  app.delete<{ Params: MemberParams }>('/v3/groups/:group_id/users/:user_id', async (request, reply) => {
    const { group, user, isMember } = await member(request.params.group_id, request.params.user_id, policy.manageGroup, caller(request));
    if (!isMember) throw notMember(user.id, group.id);
    await db.deleteFrom('memberships').where('user_id', '=', user.id).where('group_id', '=', group.id).execute();
    // The user may have lost roles the group gave it.
    await identity.revocations.revoke({ userId: user.id });
    reply.code(204).send();
  });
}
