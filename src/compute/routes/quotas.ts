/**
 * /os-quota-sets/{project}: show (a project's or, with user_id, a user's limits), detail (with
 * what is in use), defaults, update (admin; a limit below current use needs force) and delete
 * (back to defaults); /os-quota-class-sets/{class}: show and update (admin), where the
 * `default` class sets every project's defaults. Which resources appear depends on the
 * microversion (network quotas go at 2.36 — 2.50 for classes —, file quotas at 2.57).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import type { Db, Tx } from '../../store/store.js';
import { requireAdmin, requireProjectReader } from '../catalog/policy.js';
import { param, queryOf, rejectUnknown } from '../catalog/query.js';
import {
  FILE_QUOTAS, NETWORK_QUOTAS, QUOTA_RESOURCES, classQuotas, defaultQuotas, projectQuotas, userQuotas, type Limits,
} from '../catalog/quotas.js';
import { usageOf } from '../catalog/usage.js';
import { booleanParam, integerParam, invalid, onlyKeys, wrapped, type Body } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

/** The resources a quota-set response shows at this microversion. */
function shownResources(request: FastifyRequest, networkSince = '2.36'): string[] {
  return QUOTA_RESOURCES.filter((r) => !(NETWORK_QUOTAS.includes(r) && atLeast(request, networkSince)) && !(FILE_QUOTAS.includes(r) && atLeast(request, '2.57')));
}

function pick(limits: Limits, resources: readonly string[]): Record<string, number> {
  return Object.fromEntries(resources.map((r) => [r, limits[r] as number]));
}

async function verifyProject(db: Db | Tx, ctx: AuthContext, projectId: string): Promise<void> {
  // Nova asks Keystone with the caller's token: only a definite "no such project" is a 400.
  if (ctx.projectId === projectId || ctx.roles.has('admin')) {
    const row = await db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
    if (!row) throw badRequest(`Project ID ${projectId} is not a valid project.`);
  }
}

/** quota values: integers or digit strings from -1 (unlimited) to 2^31-1. */
function quotaValues(body: Body, allowed: readonly string[], field: string): Record<string, number> {
  onlyKeys(body, allowed, field);
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'force') continue;
    if (typeof value === 'string' && !/^-?[0-9]+$/.test(value)) throw invalid(key, value, `'${value}' does not match '^-?[0-9]+$'`);
    const n = integerParam(value, key, -1, 0x7fffffff, /^-?[0-9]+$/);
    out[key] = n;
  }
  return out;
}

export async function quotaRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;

  app.get('/os-quota-sets/:project/defaults', async (request) => {
    const ctx = caller(request);
    const { project } = request.params as { project: string };
    await verifyProject(db, ctx, project);
    return { quota_set: { id: project, ...pick(await defaultQuotas(db), shownResources(request)) } };
  });

  app.get('/os-quota-sets/:project', async (request) => {
    const ctx = caller(request);
    const { project } = request.params as { project: string };
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id']);
    requireProjectReader(ctx, project, 'os_compute_api:os-quota-sets:show');
    await verifyProject(db, ctx, project);
    const userId = param(query, 'user_id');
    const limits = userId ? await userQuotas(db, project, userId) : await projectQuotas(db, project);
    return { quota_set: { id: project, ...pick(limits, shownResources(request)) } };
  });

  app.get('/os-quota-sets/:project/detail', async (request) => {
    const ctx = caller(request);
    const { project } = request.params as { project: string };
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id']);
    requireProjectReader(ctx, project, 'os_compute_api:os-quota-sets:detail');
    await verifyProject(db, ctx, project);
    const userId = param(query, 'user_id');
    const [limits, used] = await Promise.all([userId ? userQuotas(db, project, userId) : projectQuotas(db, project), usageOf(db, project, userId)]);
    const inUse: Record<string, number> = { instances: used.instances, cores: used.cores, ram: used.ram, server_groups: used.server_groups };
    const detail = Object.fromEntries(shownResources(request).map((r) => [r, { limit: limits[r], in_use: inUse[r] ?? 0, reserved: 0 }]));
    return { quota_set: { id: project, ...detail } };
  });

  app.put('/os-quota-sets/:project', async (request) => {
    const ctx = caller(request);
    const { project } = request.params as { project: string };
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id']);
    requireAdmin(ctx, 'os_compute_api:os-quota-sets:update');
    const body = wrapped(request.body, 'quota_set');
    const force = body.force === undefined ? false : booleanParam(body.force, 'force');
    const values = quotaValues(body, [...shownResources(request), 'force'], 'quota_set');
    const userId = param(query, 'user_id');
    const limits = await service.store.transaction(async (tx) => {
      await verifyProject(tx, ctx, project);
      if (!force) {
        const used = await usageOf(tx, project, userId);
        const inUse: Record<string, number> = { instances: used.instances, cores: used.cores, ram: used.ram, server_groups: used.server_groups };
        const projectLimits = userId ? await projectQuotas(tx, project) : undefined;
        for (const [resource, limit] of Object.entries(values)) {
          const minimum = inUse[resource] ?? 0;
          if (limit !== -1 && limit < minimum) {
            throw badRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${minimum}.`);
          }
          // A user's limit cannot exceed the project's.
          const maximum = projectLimits?.[resource] ?? -1;
          if (maximum !== -1 && (limit === -1 || limit > maximum)) {
            throw badRequest(`Quota limit ${limit} for ${resource} must be less than or equal to ${maximum}.`);
          }
        }
      }
      for (const [resource, limit] of Object.entries(values)) {
        if (userId) {
          await tx.insertInto('compute_user_quotas').values({ project_id: project, user_id: userId, resource, hard_limit: limit })
            .onConflict((oc) => oc.columns(['project_id', 'user_id', 'resource']).doUpdateSet({ hard_limit: limit })).execute();
        } else {
          await tx.insertInto('quotas').values({ project_id: project, service: 'compute', resource, hard_limit: limit })
            .onConflict((oc) => oc.columns(['project_id', 'service', 'resource']).doUpdateSet({ hard_limit: limit })).execute();
        }
      }
      return userId ? userQuotas(tx, project, userId) : projectQuotas(tx, project);
    });
    return { quota_set: pick(limits, shownResources(request)) };
  });

  app.delete('/os-quota-sets/:project', async (request, reply) => {
    const ctx = caller(request);
    const { project } = request.params as { project: string };
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id']);
    requireAdmin(ctx, 'os_compute_api:os-quota-sets:delete');
    const userId = param(query, 'user_id');
    await service.store.transaction(async (tx) => {
      if (userId) await tx.deleteFrom('compute_user_quotas').where('project_id', '=', project).where('user_id', '=', userId).execute();
      else {
        await tx.deleteFrom('quotas').where('project_id', '=', project).where('service', '=', 'compute').execute();
        await tx.deleteFrom('compute_user_quotas').where('project_id', '=', project).execute();
      }
    });
    reply.code(202).send();
  });

  /** Quota classes show server group quotas only from 2.50, network ones only before it. */
  const classResources = (request: FastifyRequest) =>
    shownResources(request, '2.50').filter((r) => atLeast(request, '2.50') || !['server_groups', 'server_group_members'].includes(r));

  app.get('/os-quota-class-sets/:id', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-quota-class-sets:show');
    rejectUnknown(request, queryOf(request), [], '2.102');
    const { id } = request.params as { id: string };
    return { quota_class_set: { id, ...pick(await classQuotas(db, id), classResources(request)) } };
  });

  app.put('/os-quota-class-sets/:id', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-quota-class-sets:update');
    const { id } = request.params as { id: string };
    if (id.length < 1 || id.length > 255) throw badRequest('Invalid input received: quota_class_name has a length outside 1 to 255.');
    const body = wrapped(request.body, 'quota_class_set');
    const values = quotaValues(body, classResources(request), 'quota_class_set');
    const limits = await service.store.transaction(async (tx) => {
      for (const [resource, limit] of Object.entries(values)) {
        await tx.insertInto('compute_quota_classes').values({ class_name: id, resource, hard_limit: limit })
          .onConflict((oc) => oc.columns(['class_name', 'resource']).doUpdateSet({ hard_limit: limit })).execute();
      }
      return classQuotas(tx, id);
    });
    return { quota_class_set: pick(limits, classResources(request)) };
  });
}
