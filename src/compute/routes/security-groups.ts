/**
 * /os-security-groups and /os-security-group-rules: Nova's proxy to Neutron's security groups,
 * for clients below microversion 2.36 (404 from it, as in Nova). See security-groups/proxy.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import { isAdmin } from '../../policy/context.js';
import { ensureDefaultSecurityGroup } from '../../network/security-groups/defaults.js';
import { boolFromString } from '../catalog/validate.js';
import { param, queryOf } from '../catalog/query.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { requireMember, requireReader } from '../servers/access.js';
import { novaGroups, novaRule } from '../servers/security-group-view.js';
import { createGroup, createRule, deleteGroup, deleteRule, groupBody, ownGroup } from '../security-groups/proxy.js';
import { nowIso } from '../../util/ids.js';

type IdParams = { Params: { id: string } };

function deprecated(request: FastifyRequest): void {
  if (atLeast(request, '2.36')) throw notFound('The resource could not be found.');
}

export async function securityGroupProxyRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-security-groups', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-security-groups:get');
    const query = queryOf(request);
    const all = isAdmin(ctx) && boolFromString(param(query, 'all_tenants') ?? 'false') === true;
    if (ctx.projectId) await service.store.transaction((tx) => ensureDefaultSecurityGroup(tx, ctx.projectId as string));
    let q = service.db.selectFrom('security_groups').selectAll().orderBy('created_at').orderBy('id');
    if (!all) q = q.where('project_id', '=', ctx.projectId ?? '');
    return { security_groups: await novaGroups(service.db, await q.execute()) };
  });

  app.get<IdParams>('/os-security-groups/:id', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-security-groups:show');
    const row = await service.store.transaction((tx) => ownGroup(tx, ctx, request.params.id));
    return { security_group: (await novaGroups(service.db, [row]))[0] };
  });

  app.post('/os-security-groups', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-security-groups:create');
    const { name, description } = groupBody(request.body);
    const row = await service.store.transaction((tx) => createGroup(tx, ctx.projectId ?? '', name, description));
    return { security_group: (await novaGroups(service.db, [row]))[0] };
  });

  app.put<IdParams>('/os-security-groups/:id', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-security-groups:update');
    const { name, description } = groupBody(request.body);
    const row = await service.store.transaction(async (tx) => {
      const current = await ownGroup(tx, ctx, request.params.id);
      await tx.updateTable('security_groups').set({ name, description, updated_at: nowIso(), revision_number: current.revision_number + 1 }).where('id', '=', current.id).execute();
      return ownGroup(tx, ctx, current.id);
    });
    return { security_group: (await novaGroups(service.db, [row]))[0] };
  });

  app.delete<IdParams>('/os-security-groups/:id', async (request, reply) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-security-groups:delete');
    await service.store.transaction(async (tx) => deleteGroup(tx, await ownGroup(tx, ctx, request.params.id)));
    return reply.code(202).send();
  });

  app.post('/os-security-group-rules', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-security-groups:rule:create');
    const rule = await service.store.transaction((tx) => createRule(tx, ctx, request.body));
    const remote = rule.remote_group_id ? await service.db.selectFrom('security_groups').select(['id', 'name', 'project_id']).where('id', '=', rule.remote_group_id).execute() : [];
    return { security_group_rule: novaRule(rule, new Map(remote.map((g) => [g.id, { name: g.name, project_id: g.project_id }]))) };
  });

  app.delete<IdParams>('/os-security-group-rules/:id', async (request, reply) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-security-groups:rule:delete');
    await service.store.transaction((tx) => deleteRule(tx, ctx, request.params.id));
    return reply.code(202).send();
  });
}
