/**
 * /os-migrations (admin) and /servers/{id}/migrations (2.23, in-progress live migrations):
 * Kumo's migration records with Nova's fields per microversion (migration_type and links
 * from 2.23, uuid and paging from 2.59, user and project from 2.80). Flavors have no integer
 * ids in Kumo, so old/new_instance_type_id are null.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import { isAdmin } from '../../policy/context.js';
import type { MigrationRow } from '../../store/schema-servers.js';
import { nonNegativeParam, param, queryOf } from '../catalog/query.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { loadServer, policyDenied } from '../servers/access.js';
import { computeRoot, isoMicros } from '../servers/views.js';

type IdParams = { Params: { id: string } };
type MigrationParams = { Params: { id: string; migrationId: string } };

const IN_PROGRESS = ['accepted', 'queued', 'preparing', 'running'];

function migrationView(request: FastifyRequest, m: MigrationRow): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: Number(m.id), status: m.status, instance_uuid: m.instance_uuid, source_node: m.source_node, source_compute: m.source_compute,
    dest_node: m.dest_node, dest_compute: m.dest_compute, dest_host: m.dest_host, old_instance_type_id: null, new_instance_type_id: null,
    created_at: isoMicros(m.created_at), updated_at: isoMicros(m.updated_at),
  };
  if (atLeast(request, '2.23')) {
    view.migration_type = m.migration_type;
    if (IN_PROGRESS.includes(m.status)) {
      const root = computeRoot(request);
      view.links = [{ rel: 'self', href: `${root}/v2.1/servers/${m.instance_uuid}/migrations/${m.id}` }, { rel: 'bookmark', href: `${root}/servers/${m.instance_uuid}/migrations/${m.id}` }];
    }
  }
  if (atLeast(request, '2.59')) view.uuid = m.uuid;
  if (atLeast(request, '2.80')) {
    view.user_id = m.user_id;
    view.project_id = m.project_id;
  }
  return view;
}

function serverMigrationView(request: FastifyRequest, m: MigrationRow): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: Number(m.id), server_uuid: m.instance_uuid, status: m.status, source_compute: m.source_compute, source_node: m.source_node,
    dest_compute: m.dest_compute, dest_node: m.dest_node, dest_host: m.dest_host, memory_total_bytes: null, memory_processed_bytes: null,
    memory_remaining_bytes: null, disk_total_bytes: null, disk_processed_bytes: null, disk_remaining_bytes: null,
    created_at: isoMicros(m.created_at), updated_at: isoMicros(m.updated_at),
  };
  if (atLeast(request, '2.59')) view.uuid = m.uuid;
  if (atLeast(request, '2.80')) {
    view.user_id = m.user_id;
    view.project_id = m.project_id;
  }
  return view;
}

export async function migrationRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-migrations', async (request) => {
    if (!isAdmin(caller(request))) throw policyDenied('os_compute_api:os-migrations:index');
    const query = queryOf(request);
    let rows = await service.db.selectFrom('migrations').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    const host = param(query, 'host');
    if (host !== undefined) rows = rows.filter((m) => m.source_compute === host || m.dest_compute === host);
    for (const key of ['status', 'instance_uuid', 'source_compute'] as const) {
      const v = param(query, key);
      if (v !== undefined) rows = rows.filter((m) => m[key] === v);
    }
    const type = param(query, 'migration_type');
    if (type !== undefined && atLeast(request, '2.23')) rows = rows.filter((m) => m.migration_type === type);
    if (atLeast(request, '2.80')) {
      for (const key of ['user_id', 'project_id'] as const) {
        const v = param(query, key);
        if (v !== undefined) rows = rows.filter((m) => m[key] === v);
      }
    }
    const body: Record<string, unknown> = {};
    if (atLeast(request, '2.59')) {
      const since = param(query, 'changes-since');
      if (since !== undefined) {
        const t = Date.parse(since);
        if (Number.isNaN(t)) throw badRequest(`Invalid input for query parameters changes-since. Value: ${since}.`);
        rows = rows.filter((m) => Date.parse(m.updated_at ?? m.created_at) >= t);
      }
      const marker = param(query, 'marker');
      if (marker !== undefined) {
        const i = rows.findIndex((m) => m.uuid === marker);
        if (i < 0) throw badRequest(`Marker ${marker} could not be found.`);
        rows = rows.slice(i + 1);
      }
      const limit = nonNegativeParam(query, 'limit');
      if (limit !== undefined && rows.length > limit) {
        rows = rows.slice(0, limit);
        const last = rows[rows.length - 1];
        if (last) body.migrations_links = [{ rel: 'next', href: `${computeRoot(request)}/v2.1/os-migrations?limit=${limit}&marker=${last.uuid}` }];
      }
    }
    return { migrations: rows.map((m) => migrationView(request, m)), ...body };
  });

  app.get<IdParams>('/servers/:id/migrations', async (request) => {
    if (!atLeast(request, '2.23')) throw notFound('The resource could not be found.');
    const ctx = caller(request);
    if (!isAdmin(ctx)) throw policyDenied('os_compute_api:servers:migrations:index');
    const row = await loadServer(service.db, ctx, request.params.id);
    const rows = await service.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', row.uuid)
      .where('migration_type', '=', 'live-migration').where('status', 'in', IN_PROGRESS).orderBy('id').execute();
    return { migrations: rows.map((m) => serverMigrationView(request, m)) };
  });

  app.get<MigrationParams>('/servers/:id/migrations/:migrationId', async (request) => {
    if (!atLeast(request, '2.23')) throw notFound('The resource could not be found.');
    const ctx = caller(request);
    if (!isAdmin(ctx)) throw policyDenied('os_compute_api:servers:migrations:show');
    const row = await loadServer(service.db, ctx, request.params.id);
    const m = await service.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', row.uuid).where('id', '=', Number(request.params.migrationId) || -1).executeTakeFirst();
    if (!m) throw notFound(`Migration ${request.params.migrationId} could not be found.`);
    if (!IN_PROGRESS.includes(m.status)) throw notFound(`Migration ${m.id} for instance ${row.uuid} is not in progress.`);
    return { migration: serverMigrationView(request, m) };
  });
}
