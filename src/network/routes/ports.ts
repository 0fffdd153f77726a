/** /v2.0/ports: create (single and bulk), list, show, update, delete. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { listResponse, parseQuery, single, type Query, type View } from '../listing.js';
import { readablePorts, visiblePort } from '../ports/access.js';
import { createPortRequest } from '../ports/api-create.js';
import { deletePortRequest } from '../ports/delete.js';
import { parseFixedIpFilters, portListSpec } from '../ports/filters.js';
import { portTransaction } from '../ports/tx.js';
import { updatePortRequest } from '../ports/update.js';
import { loadPortViews, portViewsOf } from '../ports/views.js';
import type { NetworkService } from '../service.js';
import { createBodies, updateBody } from '../validate.js';
import { listResponseOne } from './networks.js';

/** Filters simple enough to narrow the SQL query (the in-memory filters still apply after). */
const PREFILTERS = ['network_id', 'device_id', 'id'] as const;
/** Query parameters that still allow the page to be cut in SQL. */
const PAGEABLE = new Set<string>([...PREFILTERS, 'limit', 'marker', 'fields', 'sort_key', 'sort_dir']);

/**
 * A page in the default order (by id) with no filter SQL cannot apply: the database returns
 * just that page (and one more row, so the list still knows whether a next link is due).
 * Anything else takes the general path, which filters and sorts every visible port.
 */
function sqlPage(query: Query): { after?: string; limit: number } | null {
  if (!Object.keys(query).every((k) => PAGEABLE.has(k))) return null;
  if (query.sort_key && !query.sort_key.every((k) => k === 'id')) return null;
  if (query.sort_dir && !query.sort_dir.every((d) => d === 'asc')) return null;
  const limit = Number(single(query, 'limit'));
  if (!Number.isInteger(limit) || limit <= 0) return null;
  const marker = single(query, 'marker');
  return marker === undefined ? { limit: limit + 1 } : { after: marker, limit: limit + 1 };
}

export async function portRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/ports', async (request) => {
    const ctx = caller(request);
    const query = parseQuery(request);
    if (query.fixed_ips) parseFixedIpFilters(query.fixed_ips);
    const prefilter: Partial<Record<(typeof PREFILTERS)[number], string[]>> = {};
    for (const key of PREFILTERS) if (query[key]) prefilter[key] = query[key];
    let page = sqlPage(query);
    // A marker outside the list means "from the start" on the general path: keep that meaning.
    if (page?.after !== undefined) {
      const marker = page.after;
      const within = !prefilter.id || prefilter.id.includes(marker);
      if (!within || (await readablePorts(ctx, db, { ...prefilter, id: [marker] })).length === 0) page = null;
    }
    const ports = await readablePorts(ctx, db, page ? { ...prefilter, page } : prefilter);
    const views = await portViewsOf(service, ctx, ports, db);
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
