/**
 * Private flavors' access lists (admin only): GET /flavors/{id}/os-flavor-access (404 for a
 * public flavor, whose list is everyone) and the addTenantAccess / removeTenantAccess actions
 * on POST /flavors/{id}/action (from 2.7, adding to a public flavor is a 409).
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, conflict, notFound } from '../../api/errors.js';
import { isAdmin } from '../../policy/context.js';
import type { Db, Tx } from '../../store/store.js';
import { visibleFlavor } from '../catalog/flavor-access.js';
import { requireAdmin } from '../catalog/policy.js';
import { queryOf, rejectUnknown } from '../catalog/query.js';
import { invalid, isObject, onlyKeys, pyRepr, requireKeys, wrapped } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

async function accessList(db: Db | Tx, flavorId: string): Promise<{ flavor_access: { flavor_id: string; tenant_id: string }[] }> {
  const rows = await db.selectFrom('flavor_projects').select('project_id').where('flavor_id', '=', flavorId).orderBy('project_id').execute();
  return { flavor_access: rows.map((r) => ({ flavor_id: flavorId, tenant_id: r.project_id })) };
}

function tenantOf(body: unknown, action: string): string {
  const inner = wrapped(body, action);
  onlyKeys(inner, ['tenant'], action);
  requireKeys(inner, ['tenant'], action);
  const tenant = inner.tenant;
  if (typeof tenant !== 'string') throw invalid('tenant', tenant, `${pyRepr(tenant)} is not of type 'string'`);
  if (tenant.length < 1) throw invalid('tenant', tenant, `'' is too short`);
  if (tenant.length > 255) throw invalid('tenant', tenant, `'${tenant}' is too long`);
  return tenant;
}

async function projectExists(db: Db | Tx, id: string): Promise<boolean> {
  return (await db.selectFrom('projects').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function flavorAccessRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;

  app.get('/flavors/:id/os-flavor-access', async (request) => {
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-access');
    rejectUnknown(request, queryOf(request), [], '2.102');
    const { id } = request.params as { id: string };
    const flavor = await visibleFlavor(db, ctx, id);
    if (flavor.is_public === 1) throw notFound('Access list not available for public flavors.');
    return accessList(db, flavor.id);
  });

  app.post('/flavors/:id/action', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const body = request.body;
    if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
    const action = Object.keys(body)[0] as string;

    if (action === 'addTenantAccess') {
      requireAdmin(ctx, 'os_compute_api:os-flavor-access:add_tenant_access');
      const tenant = tenantOf(body, action);
      return service.store.transaction(async (tx) => {
        // Nova asks Keystone whether the project exists; we ask our own identity tables.
        if (isAdmin(ctx) && !(await projectExists(tx, tenant))) throw badRequest(`Project ID ${tenant} is not a valid project.`);
        const flavor = await visibleFlavor(tx, ctx, id);
        if (atLeast(request, '2.7') && flavor.is_public === 1) throw conflict('Can not add access to a public flavor.');
        const existing = await tx.selectFrom('flavor_projects').select('project_id').where('flavor_id', '=', flavor.id).where('project_id', '=', tenant).executeTakeFirst();
        if (existing) throw conflict(`Flavor access already exists for flavor ${flavor.id} and project ${tenant} combination.`);
        await tx.insertInto('flavor_projects').values({ flavor_id: flavor.id, project_id: tenant }).execute();
        return accessList(tx, flavor.id);
      });
    }

    if (action === 'removeTenantAccess') {
      requireAdmin(ctx, 'os_compute_api:os-flavor-access:remove_tenant_access');
      const tenant = tenantOf(body, action);
      // Removing a project that no longer exists is allowed: that is how its access is cleaned up.
      return service.store.transaction(async (tx) => {
        const flavor = await visibleFlavor(tx, ctx, id);
        const gone = await tx.deleteFrom('flavor_projects').where('flavor_id', '=', flavor.id).where('project_id', '=', tenant).executeTakeFirst();
        if (Number(gone.numDeletedRows) === 0) throw notFound(`Flavor access not found for ${flavor.id} / ${tenant} combination.`);
        return accessList(tx, flavor.id);
      });
    }

    throw badRequest(`There is no such action: ${action}`);
  });
}
