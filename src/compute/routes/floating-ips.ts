/**
 * /os-floating-ips and /os-floating-ip-pools: Nova's proxy to Neutron's floating IPs, for
 * clients below microversion 2.36 (404 from it, as in Nova). See floating-ips/proxy.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import { isObject } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { requireMember, requireReader } from '../servers/access.js';
import { allocate, floatingIpViews, ownFloatingIp, release } from '../floating-ips/proxy.js';

type IdParams = { Params: { id: string } };

function deprecated(request: FastifyRequest): void {
  if (atLeast(request, '2.36')) throw notFound('The resource could not be found.');
}

/** Nova's default_floating_pool. */
const DEFAULT_POOL = 'nova';

export async function floatingIpProxyRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-floating-ips', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-floating-ips:list');
    const rows = await service.db.selectFrom('floatingips').selectAll().where('project_id', '=', ctx.projectId ?? '').orderBy('created_at').execute();
    return { floating_ips: await floatingIpViews(service.db, rows) };
  });

  app.get<IdParams>('/os-floating-ips/:id', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-floating-ips:show');
    const row = await ownFloatingIp(service.db, ctx, request.params.id);
    return { floating_ip: (await floatingIpViews(service.db, [row]))[0] };
  });

  app.post('/os-floating-ips', async (request) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-floating-ips:create');
    const body = request.body;
    const pool = isObject(body) && typeof body.pool === 'string' ? body.pool : DEFAULT_POOL;
    const row = await service.store.transaction((tx) => allocate(tx, ctx, pool));
    return { floating_ip: (await floatingIpViews(service.db, [row]))[0] };
  });

  app.delete<IdParams>('/os-floating-ips/:id', async (request, reply) => {
    deprecated(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-floating-ips:delete');
    await service.store.transaction(async (tx) => release(tx, await ownFloatingIp(tx, ctx, request.params.id)));
    return reply.code(202).send();
  });

  app.get('/os-floating-ip-pools', async (request) => {
    deprecated(request);
    requireReader(caller(request), 'os_compute_api:os-floating-ip-pools');
    const nets = await service.db.selectFrom('networks').select('name').where('external', '=', 1).orderBy('name').execute();
    return { floating_ip_pools: nets.map((n) => ({ name: n.name })) };
  });
}
