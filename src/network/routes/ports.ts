/** /v2.0/ports: create (single and bulk), list, show, update, delete. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { listResponse, parseQuery, type View } from '../listing.js';
import { readablePorts, visiblePort } from '../ports/access.js';
import { createPortRequest } from '../ports/api-create.js';
import { deletePortRequest } from '../ports/delete.js';
import { parseFixedIpFilters, portListSpec } from '../ports/filters.js';
import { portTransaction } from '../ports/tx.js';
import { updatePortRequest } from '../ports/update.js';
import { loadPortViews } from '../ports/views.js';
import type { NetworkService } from '../service.js';
import { createBodies, updateBody } from '../validate.js';
import { listResponseOne } from './networks.js';

/** Filters simple enough to narrow the SQL query (the in-memory filters still apply after). */
const PREFILTERS = ['network_id', 'device_id', 'id'] as const;

export async function portRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/ports', async (request) => {
    const ctx = caller(request);
    const query = parseQuery(request);
    if (query.fixed_ips) parseFixedIpFilters(query.fixed_ips);
    const prefilter: Partial<Record<(typeof PREFILTERS)[number], string[]>> = {};
    for (const key of PREFILTERS) if (query[key]) prefilter[key] = query[key];
    const { rows, scope } = await readablePorts(ctx, db, prefilter);
    const views = await loadPortViews(service, ctx, rows, db, scope);
    return listResponse(request, 'ports', views, portListSpec());
  });

  app.get('/v2.0/ports/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const { port } = await visiblePort(ctx, id, db);
    const [view] = await loadPortViews(service, ctx, [port]);
    return listResponseOne(request, 'port', view as View);
  });

  app.post('/v2.0/ports', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'port', 'ports');
    // A bulk request is atomic: one refused item and none is created.
    const rows = await portTransaction(service.store, async (tx) => {
      const created = [];
      for (const item of items) created.push(await createPortRequest(service, ctx, tx, item));
      return created;
    });
    const views = await loadPortViews(service, ctx, rows);
    reply.code(201);
    return bulk ? { ports: views } : { port: views[0] };
  });

  app.put('/v2.0/ports/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'port');
    const row = await portTransaction(service.store, (tx) => updatePortRequest(service, ctx, tx, id, item));
    const [view] = await loadPortViews(service, ctx, [row]);
    return { port: view };
  });

  app.delete('/v2.0/ports/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await portTransaction(service.store, (tx) => deletePortRequest(ctx, tx, id));
    reply.code(204).send();
  });
}
