/**
 * /servers/{id}/os-instance-actions[/{request_id}]: what was done to a server, newest first,
 * with the events of one action. Events are an admin's view before 2.51 (tracebacks always
 * are), actions of deleted servers are readable from 2.21, paging and updated_at from 2.58,
 * the event's host(Id) from 2.62.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { InstanceActionRow, InstanceRow } from '../../store/schema-servers.js';
import type { Db } from '../../store/store.js';
import { nonNegativeParam, param, queryOf } from '../catalog/query.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { instanceNotFound, requireReader } from '../servers/access.js';
import { computeRoot, hostId, isoMicros } from '../servers/views.js';

type IdParams = { Params: { id: string } };
type ActionParams = { Params: { id: string; requestId: string } };

async function actionServer(db: Db, request: FastifyRequest, ctx: AuthContext, id: string): Promise<InstanceRow> {
  let q = db.selectFrom('instances').selectAll().where('uuid', '=', id);
  if (!atLeast(request, '2.21')) q = q.where('deleted', '=', 0);
  const row = await q.executeTakeFirst();
  if (!row || (!isAdmin(ctx) && row.project_id !== ctx.projectId)) throw instanceNotFound(id);
  return row;
}

function actionView(request: FastifyRequest, a: InstanceActionRow): Record<string, unknown> {
  const view: Record<string, unknown> = {
    action: a.action, instance_uuid: a.instance_uuid, message: a.message, project_id: a.project_id,
    request_id: a.request_id, start_time: isoMicros(a.start_time), user_id: a.user_id,
  };
  if (atLeast(request, '2.58')) view.updated_at = isoMicros(a.updated_at);
  return view;
}

function timeParam(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw badRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not a 'date-time'`);
  return new Date(t).toISOString();
}

export async function instanceActionRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get<IdParams>('/servers/:id/os-instance-actions', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-instance-actions:list');
    const row = await actionServer(service.db, request, ctx, request.params.id);
    let actions = await service.db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', row.uuid).orderBy('id', 'desc').execute();
    const body: Record<string, unknown> = {};
    if (atLeast(request, '2.58')) {
      const query = queryOf(request);
      const since = timeParam(param(query, 'changes-since'), 'changes-since');
      const before = atLeast(request, '2.66') ? timeParam(param(query, 'changes-before'), 'changes-before') : null;
      if (since) actions = actions.filter((a) => a.updated_at >= since);
      if (before) actions = actions.filter((a) => a.updated_at <= before);
      const marker = param(query, 'marker');
      if (marker !== undefined) {
        const index = actions.findIndex((a) => a.request_id === marker);
        if (index < 0) throw badRequest(`Marker ${marker} could not be found.`);
        actions = actions.slice(index + 1);
      }
      const limit = nonNegativeParam(query, 'limit');
      if (limit !== undefined && actions.length > limit) {
        actions = actions.slice(0, limit);
        const last = actions[actions.length - 1];
        if (last) body.links = [{ rel: 'next', href: `${computeRoot(request)}/v2.1/servers/${row.uuid}/os-instance-actions?limit=${limit}&marker=${last.request_id}` }];
      }
    }
    return { instanceActions: actions.map((a) => actionView(request, a)), ...body };
  });

  app.get<ActionParams>('/servers/:id/os-instance-actions/:requestId', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-instance-actions:show');
    const row = await actionServer(service.db, request, ctx, request.params.id);
    const action = await service.db.selectFrom('instance_actions').selectAll()
      .where('instance_uuid', '=', row.uuid).where('request_id', '=', request.params.requestId).orderBy('id', 'desc').executeTakeFirst();
    if (!action) throw notFound(`Action for request_id ${request.params.requestId} on instance ${row.uuid} not found`);
    const view = actionView(request, action);
    const admin = isAdmin(ctx);
    if (admin || atLeast(request, '2.51')) {
      const events = await service.db.selectFrom('instance_action_events').selectAll().where('action_id', '=', action.id).orderBy('id').execute();
      view.events = events.map((e) => {
        const ev: Record<string, unknown> = { event: e.event, start_time: isoMicros(e.start_time), finish_time: isoMicros(e.finish_time), result: e.result };
        if (admin) ev.traceback = e.traceback;
        if (atLeast(request, '2.62')) {
          ev.hostId = hostId(row.project_id, e.host);
          if (admin) ev.host = e.host ?? '';
        }
        if (atLeast(request, '2.84') && admin) ev.details = e.result === 'Error' ? e.traceback : null;
        return ev;
      });
    }
    return { instanceAction: view };
  });
}
