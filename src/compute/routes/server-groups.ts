/**
 * /os-server-groups: a project's groups of servers with an (anti-)affinity policy — `policies`
 * (one item) before 2.64, `policy` and `rules` (max_server_per_host, anti-affinity only) from
 * it; soft policies from 2.15; project_id and user_id shown from 2.13. Members are the group's
 * servers that still exist (server create adds them). The server_groups quota counts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, notFound } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { ServerGroupRow } from '../../store/schema-compute.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { requireProjectMember, requireProjectReader } from '../catalog/policy.js';
import { nonNegativeParam, param, queryOf, rejectUnknown, MAX_LIMIT } from '../catalog/query.js';
import { checkServerGroupQuota } from '../catalog/quotas.js';
import { integerParam, invalid, isObject, nameString, onlyKeys, pyRepr, requireKeys, wrapped } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

const groupNotFound = (id: string) => notFound(`Instance group ${id} could not be found.`);

/** Current members of each group: servers not deleted. */
async function membersOf(db: Db, groupIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db.selectFrom('server_group_members')
    .innerJoin('instances', 'instances.uuid', 'server_group_members.server_id')
    .select(['server_group_members.group_id', 'server_group_members.server_id'])
    .where('server_group_members.group_id', 'in', groupIds as string[]).where('instances.deleted', '=', 0)
    .orderBy('instances.id').execute();
  for (const r of rows) out.get(r.group_id)?.push(r.server_id);
  return out;
}

function view(request: FastifyRequest, g: ServerGroupRow, members: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: g.id, name: g.name };
  if (atLeast(request, '2.64')) {
    out.policy = g.policy;
    out.rules = JSON.parse(g.rules) as Record<string, number>;
  } else {
    out.policies = [g.policy];
    out.metadata = {};
  }
  out.members = members;
  if (atLeast(request, '2.13')) {
    out.project_id = g.project_id;
    out.user_id = g.user_id;
  }
  return out;
}

function policyAndRules(request: FastifyRequest, body: unknown): { name: string; policy: string; rules: Record<string, number> } {
  const g = wrapped(body, 'server_group');
  const policies = ['anti-affinity', 'affinity', ...(atLeast(request, '2.15') ? ['soft-anti-affinity', 'soft-affinity'] : [])];
  if (atLeast(request, '2.64')) {
    onlyKeys(g, ['name', 'policy', 'rules'], 'server_group');
    requireKeys(g, ['name', 'policy'], 'server_group');
    const name = nameString(g.name, 'name');
    if (typeof g.policy !== 'string' || !policies.includes(g.policy)) throw invalid('policy', g.policy, `${pyRepr(g.policy)} is not one of ${pyRepr(policies)}`);
    const rules: Record<string, number> = {};
    if (g.rules !== undefined) {
      if (!isObject(g.rules)) throw invalid('rules', g.rules, `${pyRepr(g.rules)} is not of type 'object'`);
      onlyKeys(g.rules, ['max_server_per_host'], 'rules');
      if (g.rules.max_server_per_host !== undefined) rules.max_server_per_host = integerParam(g.rules.max_server_per_host, 'max_server_per_host', 1, Number.MAX_SAFE_INTEGER, /^[0-9]*$/);
    }
    if (g.policy !== 'anti-affinity' && Object.keys(rules).length > 0) throw badRequest('Only anti-affinity policy supports rules.');
    return { name, policy: g.policy, rules };
  }
  onlyKeys(g, ['name', 'policies'], 'server_group');
  requireKeys(g, ['name', 'policies'], 'server_group');
  const name = nameString(g.name, 'name');
  const list = g.policies;
  if (!Array.isArray(list)) throw invalid('policies', list, `${pyRepr(list)} is not of type 'array'`);
  if (list.length < 1) throw invalid('policies', list, '[] is too short');
  if (list.length > 1) throw invalid('policies', list, `${pyRepr(list)} is too long`);
  const policy = list[0];
  if (typeof policy !== 'string' || !policies.includes(policy)) throw invalid('policies', list, `${pyRepr(policy)} is not one of ${pyRepr(policies)}`);
  return { name, policy, rules: {} };
}

async function visibleGroup(db: Db | Tx, ctx: AuthContext, id: string, rule: 'show' | 'delete'): Promise<ServerGroupRow> {
  const g = await db.selectFrom('server_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) throw groupNotFound(id);
  if (rule === 'show') requireProjectReader(ctx, g.project_id, 'os_compute_api:os-server-groups:show');
  else requireProjectMember(ctx, g.project_id, 'os_compute_api:os-server-groups:delete');
  return g;
}

export async function serverGroupRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;

  app.get('/os-server-groups', async (request) => {
    const ctx = caller(request);
    const query = queryOf(request);
    rejectUnknown(request, query, ['all_projects', 'limit', 'offset']);
    requireProjectReader(ctx, ctx.projectId ?? '', 'os_compute_api:os-server-groups:index');
    const offset = nonNegativeParam(query, 'offset') ?? 0;
    const limit = Math.min(MAX_LIMIT, nonNegativeParam(query, 'limit') || MAX_LIMIT);
    let q = db.selectFrom('server_groups').selectAll().orderBy('created_at').orderBy('id');
    // Non-admins asking for all projects silently get their own, as in Nova.
    if (!(param(query, 'all_projects') !== undefined && isAdmin(ctx))) q = q.where('project_id', '=', ctx.projectId ?? '');
    const groups = (await q.execute()).slice(offset, offset + limit);
    const members = await membersOf(db, groups.map((g) => g.id));
    return { server_groups: groups.map((g) => view(request, g, members.get(g.id) ?? [])) };
  });

  app.get('/os-server-groups/:id', async (request) => {
    const ctx = caller(request);
    rejectUnknown(request, queryOf(request), [], '2.102');
    const { id } = request.params as { id: string };
    const g = await visibleGroup(db, ctx, id, 'show');
    return { server_group: view(request, g, (await membersOf(db, [g.id])).get(g.id) ?? []) };
  });

  app.post('/os-server-groups', async (request) => {
    const ctx = caller(request);
    const projectId = ctx.projectId ?? '';
    const { name, policy, rules } = policyAndRules(request, request.body);
    requireProjectMember(ctx, projectId, 'os_compute_api:os-server-groups:create');
    const row: ServerGroupRow = {
      id: uuid(), name, project_id: projectId, user_id: ctx.userId, policy, rules: JSON.stringify(rules), created_at: nowIso(),
    };
    await service.store.transaction(async (tx) => {
      await checkServerGroupQuota(tx, projectId, ctx.userId);
      await tx.insertInto('server_groups').values(row).execute();
    });
    return { server_group: view(request, row, []) };
  });

  app.delete('/os-server-groups/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      await visibleGroup(tx, ctx, id, 'delete');
      await tx.deleteFrom('server_group_members').where('group_id', '=', id).execute();
      await tx.deleteFrom('server_groups').where('id', '=', id).execute();
    });
    reply.code(204).send();
  });
}
