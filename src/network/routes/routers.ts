/**
 * /v2.0/routers: create, list, show, update, delete; add/remove_router_interface;
 * add/remove_extraroutes (extraroute-atomic); and the L3 agents hosting a router (admin).
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isAdmin } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { l3AgentViewsOfRouter } from '../agents/hosting.js';
import { scheduleRouter } from '../agents/scheduler.js';
import { policyForbidden } from '../errors.js';
import { listResponse, type View } from '../listing.js';
import { requireWrite } from '../policy.js';
import { portTransaction } from '../ports/tx.js';
import type { NetworkService } from '../service.js';
import { bad, createBodies, updateBody, type Body } from '../validate.js';
import { bumpRouterRevision, lockRouter, visibleRouter } from '../l3/access.js';
import { parseRoutes, type Route } from '../l3/input.js';
import { addInterface, removeInterface } from '../l3/interfaces.js';
import { createRouter, deleteRouter, setRoutes, updateRouter } from '../l3/lifecycle.js';
import { loadRouterViews, ROUTER_ATTRIBUTES } from '../l3/views.js';
import { listResponseOne } from './networks.js';

/** add_extraroutes/remove_extraroutes take {"router": {"routes": [...]}} and merge into the router's set. */
function routesBody(body: unknown): Route[] {
  const item = updateBody(body, 'router');
  const extra = Object.keys(item).filter((k) => k !== 'routes');
  if (extra.length) throw bad(`Unrecognized attribute(s) '${extra.join(', ')}'`);
  if (item.routes === undefined) throw bad("Failed to parse request. Required attribute 'routes' not specified");
  return parseRoutes(item.routes) ?? [];
}

export async function routerRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/routers', async (request) => {
    const ctx = caller(request);
    let query = db.selectFrom('routers').selectAll();
    if (!isAdmin(ctx)) query = query.where('project_id', '=', ctx.projectId ?? '');
    const views = await loadRouterViews(service, ctx, await query.execute());
    return listResponse(request, 'routers', views, { knownAttributes: ROUTER_ATTRIBUTES });
  });

  app.get('/v2.0/routers/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const [view] = await loadRouterViews(service, ctx, [await visibleRouter(ctx, id, db)]);
    return listResponseOne(request, 'router', view as View);
  });

  app.post('/v2.0/routers', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'router', 'routers');
    // Neutron's L3 resources do not allow bulk creation.
    if (bulk) throw bad('Bulk operation not supported');
    const row = await portTransaction(service.store, (tx) => createRouter(service, ctx, tx, items[0] as Body));
    const [view] = await loadRouterViews(service, ctx, [row]);
    reply.code(201);
    return { router: view };
  });

  app.put('/v2.0/routers/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'router');
    const row = await portTransaction(service.store, (tx) => updateRouter(service, ctx, tx, id, item));
    const [view] = await loadRouterViews(service, ctx, [row]);
    return { router: view };
  });

  app.delete('/v2.0/routers/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await portTransaction(service.store, (tx) => deleteRouter(service.store, ctx, tx, id));
    reply.code(204).send();
  });

  /** The router, checked for the caller's right to change it, locked for the rest of the transaction. */
  const writableRouter = async (request: Parameters<typeof caller>[0], tx: Tx, action: string) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const router = await visibleRouter(ctx, id, tx);
    requireWrite(ctx, router.project_id, action);
    await lockRouter(service.store, tx, id);
    return { ctx, router };
  };

  app.put('/v2.0/routers/:id/add_router_interface', async (request) => {
    return portTransaction(service.store, async (tx) => {
      const { ctx, router } = await writableRouter(request, tx, 'add_router_interface');
      const result = await addInterface(service, ctx, tx, router, request.body);
      await bumpRouterRevision(tx, router.id, nowIso());
      await scheduleRouter(tx, router);
      return result;
    });
  });

  app.put('/v2.0/routers/:id/remove_router_interface', async (request) => {
    return portTransaction(service.store, async (tx) => {
      const { ctx, router } = await writableRouter(request, tx, 'remove_router_interface');
      const result = await removeInterface(service, ctx, tx, router, request.body);
      await bumpRouterRevision(tx, router.id, nowIso());
      return result;
    });
  });

  for (const [path, action] of [['add_extraroutes', 'add'], ['remove_extraroutes', 'remove']] as const) {
    app.put(`/v2.0/routers/:id/${path}`, async (request) => {
      const row = await portTransaction(service.store, async (tx) => {
        const { router } = await writableRouter(request, tx, path);
        const asked = routesBody(request.body);
        const old = await tx.selectFrom('router_routes').select(['destination', 'nexthop']).where('router_id', '=', router.id).execute();
        const key = (r: Route) => `${r.destination} ${r.nexthop}`;
        const askedKeys = new Set(asked.map(key));
        // Adding merges exact duplicates; removing a route that is not there is not an error.
        const next = action === 'add'
          ? [...old, ...asked.filter((r) => !old.some((o) => key(o) === key(r)))]
          : old.filter((o) => !askedKeys.has(key(o)));
        await setRoutes(tx, router.id, next);
        await bumpRouterRevision(tx, router.id, nowIso());
        return tx.selectFrom('routers').selectAll().where('id', '=', router.id).executeTakeFirstOrThrow();
      });
      const ctx = caller(request);
      const [view] = await loadRouterViews(service, ctx, [row]);
      return { router: view };
    });
  }

  app.get('/v2.0/routers/:id/l3-agents', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    if (!isAdmin(ctx)) throw policyForbidden('get_l3-agents');
    await visibleRouter(ctx, id, db);
    return { agents: await l3AgentViewsOfRouter(db, id) };
  });
}
