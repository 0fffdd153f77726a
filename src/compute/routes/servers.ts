/**
 * /servers: create, list (brief and detail), show, update, delete. Writes go through the store
 * and the conductor does the rest; the server's metadata, tags and instance actions are route
 * modules registered from here, and the lifecycle starts and stops with this plugin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isAdmin } from '../../policy/context.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { ComputeService } from '../service.js';
import { atLeast } from '../microversion.js';
import { checkNotLocked, loadServer, requireMember, requireReader } from '../servers/access.js';
import { parseCreate } from '../servers/create-input.js';
import { createServers } from '../servers/create.js';
import { loadExtras } from '../servers/details.js';
import { listServers } from '../servers/list.js';
import { parseUpdate } from '../servers/update-input.js';
import { deleteServer } from '../servers/delete.js';
import { createView, listEntry, serverLinks, serverView } from '../servers/views.js';
import { serverMetadataRoutes } from './server-metadata.js';
import { serverTagRoutes } from './server-tags.js';
import { instanceActionRoutes } from './instance-actions.js';
import { serverExtraRoutes } from './server-extras.js';
import { imageRoutes } from './images.js';
import { serverAdminRoutes } from './server-admin.js';
import { migrationRoutes } from './migrations.js';
import { nowIso } from '../../util/ids.js';

type IdParams = { Params: { id: string } };

/** The full document of one server, as GET /servers/{id} shows it. */
export async function showDocument(service: ComputeService, request: FastifyRequest, row: InstanceRow, reduced = false): Promise<Record<string, unknown>> {
  const admin = isAdmin(caller(request));
  const extras = await loadExtras(service.db, [row], { faults: true, hostStatus: admin && atLeast(request, '2.16'), serverGroups: atLeast(request, '2.71') });
  return serverView(request, row, extras.get(row.uuid) as NonNullable<ReturnType<typeof extras.get>>, { admin, reduced, single: true });
}

export async function serverRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.addHook('onReady', async () => service.startLifecycle(app.log));
  app.addHook('onClose', async () => service.stopLifecycle());

  app.post('/servers', async (request, reply) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:servers:create');
    const cmd = parseCreate(request, request.body);
    const created = await createServers(service, request, ctx, cmd);
    for (const row of created.rows) {
      service.conductor.rememberAdminPass(row.uuid, created.adminPass);
      service.conductor.kickBuild(row.uuid);
    }
    const first = created.rows[0] as InstanceRow;
    reply.code(202);
    if (cmd.returnReservationId) return { reservation_id: first.reservation_id };
    reply.header('location', serverLinks(request, first.uuid)[0]?.href);
    return { server: createView(request, first, created.securityGroups, created.adminPass) };
  });

  app.get('/servers', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:servers:index');
    const page = await listServers(service.db, request, ctx, false);
    const body: Record<string, unknown> = { servers: page.rows.map((r) => listEntry(request, r)) };
    if (page.links.length) body.servers_links = page.links;
    return body;
  });

  app.get('/servers/detail', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:servers:detail');
    const admin = isAdmin(ctx);
    const page = await listServers(service.db, request, ctx, true);
    const extras = await loadExtras(service.db, page.rows, { faults: true, hostStatus: admin && atLeast(request, '2.16') });
    const body: Record<string, unknown> = {
      servers: page.rows.map((r) => serverView(request, r, extras.get(r.uuid) as NonNullable<ReturnType<typeof extras.get>>, { admin })),
    };
    if (page.links.length) body.servers_links = page.links;
    return body;
  });

  app.get<IdParams>('/servers/:id', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:servers:show');
    const row = await loadServer(service.db, ctx, request.params.id);
    return { server: await showDocument(service, request, row) };
  });

  app.put<IdParams>('/servers/:id', async (request) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:servers:update');
    const changes = parseUpdate(request, request.body);
    const row = await service.store.transaction(async (tx) => {
      const current = await loadServer(tx, ctx, request.params.id);
      if (Object.keys(changes).length === 0) return current;
      await tx.updateTable('instances').set({ ...changes, updated_at: nowIso() }).where('uuid', '=', current.uuid).execute();
      return loadServer(tx, ctx, current.uuid);
    });
    return { server: await showDocument(service, request, row, !atLeast(request, '2.75')) };
  });

  app.delete<IdParams>('/servers/:id', async (request, reply) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:servers:delete');
    const row = await loadServer(service.db, ctx, request.params.id);
    checkNotLocked(ctx, row);
    await deleteServer(service, request, ctx, row.uuid);
    return reply.code(204).send();
  });

  await serverMetadataRoutes(app, service);
  await serverTagRoutes(app, service);
  await instanceActionRoutes(app, service);
  await serverExtraRoutes(app, service);
  await serverAdminRoutes(app, service);
  await migrationRoutes(app, service);
  // Nova's image proxy lives with the servers: its images are mostly the servers' snapshots.
  await imageRoutes(app, service);
}
