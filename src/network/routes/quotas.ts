/**
 * /v2.0/quotas (the quotas and quota_details extensions): the admin list of projects with
 * non-default limits, a project's limits, defaults and details (limit, used, reserved), update
 * (integers from -1, not below what is already used unless forced) and reset. Members may read
 * their own project's quotas; everything else is admin-only, as in Neutron's default policy.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import { policyForbidden } from '../errors.js';
import { DEFAULT_QUOTAS, quotaLimits, usage, type CountedResource, COUNTED_RESOURCES } from '../quotas.js';
import type { NetworkService } from '../service.js';
import { bad, toBool, updateBody } from '../validate.js';

const MAX_LIMIT = 2147483647;

function requireQuotaAdmin(ctx: AuthContext, action: string, projectId?: string): void {
  if (projectId !== undefined && projectId === ctx.projectId) return;
  if (!isAdmin(ctx)) throw policyForbidden(action);
}

/** The quota body's values as Neutron's convert_to_int and range validator take them. */
function parseLimits(item: Record<string, unknown>): Record<string, number> {
  const unknown = Object.keys(item).filter((k) => !(k in DEFAULT_QUOTAS));
  if (unknown.length) throw bad(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const limits: Record<string, number> = {};
  for (const [resource, value] of Object.entries(item)) {
    let n: number | null = null;
    if (typeof value === 'number' && Number.isFinite(value)) n = Math.trunc(value);
    else if (typeof value === 'boolean') n = value ? 1 : 0;
    else if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) n = Number(value);
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    if (n === null) throw new ApiError('badRequest', `Invalid input for operation: '${shown}' is not an integer.`, { type: 'InvalidInput' });
    if (n < -1) throw bad(`Invalid input for ${resource}. Reason: '${n}' is too small - must be at least '-1'.`);
    if (n > MAX_LIMIT) throw bad(`Invalid input for ${resource}. Reason: '${n}' is too large - must be no larger than '${MAX_LIMIT}'.`);
    limits[resource] = n;
  }
  return limits;
}

export async function quotaRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/quotas', async (request) => {
    const ctx = caller(request);
    requireQuotaAdmin(ctx, 'get_quota');
    const rows = await db.selectFrom('quotas').select(['project_id', 'resource', 'hard_limit']).where('service', '=', 'network').orderBy('project_id').execute();
    const byProject = new Map<string, Record<string, unknown>>();
    for (const r of rows) {
      let entry = byProject.get(r.project_id);
      if (!entry) {
        entry = { ...DEFAULT_QUOTAS, project_id: r.project_id, tenant_id: r.project_id };
        byProject.set(r.project_id, entry);
      }
      entry[r.resource] = r.hard_limit;
    }
    return { quotas: [...byProject.values()] };
  });

  // Neutron answers 501 here; a client's mistake must not look like a server fault, so 405.
  app.post('/v2.0/quotas', async () => {
    throw new ApiError('methodNotAllowed', 'POST requests are not supported on this resource.', { type: 'HTTPMethodNotAllowed' });
  });

  // The caller's own project id, for clients that do not know it.
  for (const key of ['project', 'tenant'] as const) {
    app.get(`/v2.0/quotas/${key}`, async (request) => {
      const ctx = caller(request);
      if (!ctx.projectId) throw new ApiError('badRequest', 'Tenant-id was missing from quota request.', { type: 'QuotaMissingTenant' });
      return { [key]: { [`${key}_id`]: ctx.projectId } };
    });
  }

  app.get('/v2.0/quotas/:project_id', async (request) => {
    const ctx = caller(request);
    const { project_id: projectId } = request.params as { project_id: string };
    requireQuotaAdmin(ctx, 'get_quota', projectId);
    return { quota: await quotaLimits(db, projectId) };
  });

  app.get('/v2.0/quotas/:project_id/default', async (request) => {
    const ctx = caller(request);
    const { project_id: projectId } = request.params as { project_id: string };
    requireQuotaAdmin(ctx, 'get_quota', projectId);
    return { quota: { ...DEFAULT_QUOTAS } };
  });

  const details = async (request: Parameters<typeof caller>[0]) => {
    const ctx = caller(request);
    const { project_id: projectId } = request.params as { project_id: string };
    if (projectId !== ctx.projectId && !isAdmin(ctx)) {
      throw new ApiError('forbidden', 'User does not have admin privileges: Only admin is authorized to access quotas for another project.', { type: 'AdminRequired' });
    }
    const limits = await quotaLimits(db, projectId);
    const quota: Record<string, { limit: number; used: number; reserved: number }> = {};
    for (const resource of Object.keys(DEFAULT_QUOTAS)) {
      const used = (COUNTED_RESOURCES as readonly string[]).includes(resource) ? await usage(db, projectId, resource as CountedResource) : 0;
      quota[resource] = { limit: limits[resource] ?? -1, used, reserved: 0 };
    }
    return { quota };
  };
  app.get('/v2.0/quotas/:project_id/details', details);
  app.get('/v2.0/quotas/:project_id/details.json', details);

  app.put('/v2.0/quotas/:project_id', async (request) => {
    const ctx = caller(request);
    const { project_id: projectId } = request.params as { project_id: string };
    requireQuotaAdmin(ctx, 'update_quota');
    const item = { ...updateBody(request.body, 'quota') };
    const force = item.force === undefined ? false : toBool(item.force, 'force');
    delete item.force;
    delete item.check_limit;
    const limits = parseLimits(item);
    return service.store.transaction(async (tx) => {
      for (const [resource, limit] of Object.entries(limits)) {
        if (!force && limit !== -1 && (COUNTED_RESOURCES as readonly string[]).includes(resource)) {
          const used = await usage(tx, projectId, resource as CountedResource);
          if (used > limit) {
            throw bad(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`);
          }
        }
        await tx.insertInto('quotas').values({ project_id: projectId, service: 'network', resource, hard_limit: limit })
          .onConflict((oc) => oc.columns(['project_id', 'service', 'resource']).doUpdateSet({ hard_limit: limit })).execute();
      }
      return { quota: await quotaLimits(tx, projectId) };
    });
  });

  app.delete('/v2.0/quotas/:project_id', async (request, reply: FastifyReply) => {
    const ctx = caller(request);
    const { project_id: projectId } = request.params as { project_id: string };
    requireQuotaAdmin(ctx, 'delete_quota');
    const result = await db.deleteFrom('quotas').where('project_id', '=', projectId).where('service', '=', 'network').executeTakeFirst();
    if (Number(result.numDeletedRows) < 1) {
      throw new ApiError('notFound', `Quota for project ${projectId} could not be found.`, { type: 'TenantQuotaNotFound' });
    }
    reply.code(204).send();
  });
}
