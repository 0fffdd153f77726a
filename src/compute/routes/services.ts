/**
 * /os-services (admin): list with host/binary filters; before 2.53 the enable, disable,
 * disable-log-reason and force-down (2.11) actions name the service by host and binary; from
 * 2.53 PUT /os-services/{uuid} updates status, reason and forced_down. Only nova-compute
 * services can be updated. Delete refuses a compute service that still hosts instances.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, conflict, notFound } from '../../api/errors.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { requireAdmin } from '../catalog/policy.js';
import { param, queryOf, rejectUnknown } from '../catalog/query.js';
import { serviceRecords, type ServiceRecord } from '../catalog/services.js';
import { booleanParam, invalid, isObject, isUuidLike, onlyKeys, pyRepr, requireKeys, type Body } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

function serviceView(request: FastifyRequest, s: ServiceRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: atLeast(request, '2.53') ? s.row.uuid : s.row.id,
    binary: s.binary,
    host: s.hostName,
    zone: s.zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: s.alive ? 'up' : 'down',
    updated_at: s.updatedAt,
    disabled_reason: s.disabledReason,
  };
  if (atLeast(request, '2.11')) view.forced_down = s.forcedDown;
  return view;
}

function shortString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(key, value, `${pyRepr(value)} is not of type 'string'`);
  if (value.length < 1) throw invalid(key, value, `'' is too short`);
  if (value.length > 255) throw invalid(key, value, `'${value}' is too long`);
  return value;
}

const onlyCompute = (binary: string) =>
  badRequest(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`);

/** Writes a nova-compute service's state where the scheduler reads it: the hosts row. */
async function updateCompute(store: Store, s: ServiceRecord, change: { enabled?: boolean; reason?: string | null; forcedDown?: boolean }): Promise<void> {
  await store.transaction(async (tx) => {
    const set: { enabled?: 0 | 1; disabled_reason?: string | null; forced_down?: 0 | 1 } = {};
    if (change.enabled !== undefined) set.enabled = change.enabled ? 1 : 0;
    if (change.reason !== undefined) set.disabled_reason = change.reason;
    if (change.forcedDown !== undefined) set.forced_down = change.forcedDown ? 1 : 0;
    if (Object.keys(set).length) await tx.updateTable('hosts').set(set).where('name', '=', s.hostName).execute();
    await tx.updateTable('compute_services').set({ updated_at: nowIso() }).where('id', '=', s.row.id).execute();
  });
}

export async function serviceRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const store = service.store;

  app.get('/os-services', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-services:list');
    const query = queryOf(request);
    rejectUnknown(request, query, ['host', 'binary']);
    const host = param(query, 'host');
    const binary = param(query, 'binary');
    const records = (await serviceRecords(store)).filter((s) => (!host || s.hostName === host) && (!binary || s.binary === binary));
    return { services: records.map((s) => serviceView(request, s)) };
  });

  app.put('/os-services/:id', async (request) => {
    const { id } = request.params as { id: string };
    const body = request.body;
    if (!isObject(body)) throw invalid('body', body ?? null, `${pyRepr(body ?? null)} is not of type 'object'`);

    if (atLeast(request, '2.53')) {
      onlyKeys(body, ['status', 'disabled_reason', 'forced_down'], 'body');
      if (body.status !== undefined && body.status !== 'enabled' && body.status !== 'disabled') {
        throw invalid('status', body.status, `${pyRepr(body.status)} is not one of ['enabled', 'disabled']`);
      }
      const reason = shortString(body, 'disabled_reason');
      const forcedDown = body.forced_down === undefined ? undefined : booleanParam(body.forced_down, 'forced_down');
      if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
      requireAdmin(caller(request), 'os_compute_api:os-services:update');
      const s = (await serviceRecords(store)).find((r) => r.row.uuid.replaceAll('-', '') === id.toLowerCase().replaceAll('-', ''));
      if (!s) throw notFound(`Service ${id} could not be found.`);
      if (s.binary !== 'nova-compute') throw onlyCompute(s.binary);
      const change: { enabled?: boolean; reason?: string | null; forcedDown?: boolean } = {};
      if (body.status === 'enabled') {
        if (reason) throw badRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
        change.enabled = true;
        change.reason = null;
      } else if (body.status === 'disabled') {
        change.enabled = false;
        change.reason = reason ?? null;
      }
      if (forcedDown !== undefined) change.forcedDown = forcedDown;
      if (Object.keys(change).length === 0) throw badRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
      await updateCompute(store, s, change);
      const updated = (await serviceRecords(store)).find((r) => r.row.id === s.row.id) as ServiceRecord;
      return { service: serviceView(request, updated) };
    }

    // Before 2.53 the path names the action and the body the service.
    requireAdmin(caller(request), 'os_compute_api:os-services:update');
    const actions = ['enable', 'disable', 'disable-log-reason', ...(atLeast(request, '2.11') ? ['force-down'] : [])];
    if (!actions.includes(id)) throw notFound('Unknown action');
    onlyKeys(body, ['host', 'binary', 'disabled_reason', ...(atLeast(request, '2.11') ? ['forced_down'] : [])], 'body');
    requireKeys(body, ['host', 'binary'], 'body');
    const host = shortString(body, 'host') as string;
    const binary = shortString(body, 'binary') as string;
    const reason = shortString(body, 'disabled_reason');
    const forcedDownText = body.forced_down === undefined ? undefined : booleanParam(body.forced_down, 'forced_down');
    if (id === 'disable-log-reason' && reason === undefined) throw badRequest('Missing disabled reason field');
    if (id === 'force-down' && forcedDownText === undefined) throw badRequest('Missing forced_down field');
    if (binary !== 'nova-compute') throw onlyCompute(binary);
    const s = (await serviceRecords(store)).find((r) => r.hostName === host && r.binary === binary);
    if (!s) throw notFound(`Could not find binary ${binary} on host ${host}.`);
    if (id === 'force-down') {
      await updateCompute(store, s, { forcedDown: forcedDownText as boolean });
      return { service: { host, binary, forced_down: forcedDownText } };
    }
    const enabling = id === 'enable';
    const storedReason = id === 'disable-log-reason' ? (reason as string) : null;
    await updateCompute(store, s, { enabled: enabling, reason: storedReason });
    return { service: { host, binary, status: enabling ? 'enabled' : 'disabled', ...(storedReason ? { disabled_reason: storedReason } : {}) } };
  });

  app.delete('/os-services/:id', async (request, reply) => {
    requireAdmin(caller(request), 'os_compute_api:os-services:delete');
    const { id } = request.params as { id: string };
    if (atLeast(request, '2.53')) {
      if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
    } else if (!/^\s*[-+]?\d+\s*$/.test(id)) {
      throw badRequest(`Invalid input received: id must be an integer`);
    }
    const key = atLeast(request, '2.53') ? id.toLowerCase().replaceAll('-', '') : String(Number(id));
    const s = (await serviceRecords(store)).find((r) => (atLeast(request, '2.53') ? r.row.uuid.replaceAll('-', '') : String(r.row.id)) === key);
    if (!s) throw notFound(`Service ${id} not found.`);
    await store.transaction(async (tx) => {
      if (s.binary === 'nova-compute') {
        const hosting = await tx.selectFrom('instances').select('id').where('host', '=', s.hostName).where('deleted', '=', 0).limit(1).executeTakeFirst();
        if (hosting) throw conflict('Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
      }
      // A tombstone until the host starts again, when its service comes back (with new ids).
      await tx.updateTable('compute_services').set({ deleted: 1, host_started_at: s.host?.started_at ?? '', updated_at: nowIso() })
        .where('id', '=', s.row.id).execute();
    });
    reply.code(204).send();
  });
}
