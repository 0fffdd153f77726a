/**
 * /servers/{id}/metadata[/{key}]: list, merge (POST), replace (PUT), one item's show, set and
 * delete. Changes need the server at rest (not building, no task), honour locks and the
 * metadata_items quota, and answer with Nova's bodies and errors.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { AuthContext } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { isObject, pyRepr, invalid } from '../catalog/validate.js';
import { userQuotas } from '../catalog/quotas.js';
import type { ComputeService } from '../service.js';
import { checkNotLocked, loadServer, requireMember, requireReader } from '../servers/access.js';
import { metadataMap } from '../servers/input-types.js';
import { checkState, VmState } from '../servers/states.js';
import type { InstanceRow } from '../../store/schema-servers.js';

type IdParams = { Params: { id: string } };
type KeyParams = { Params: { id: string; key: string } };

const CHANGEABLE = { vmStates: [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED], taskStates: [null] };

async function metadataOf(tx: Tx, uuid: string): Promise<Record<string, string>> {
  const rows = await tx.selectFrom('instance_metadata').select(['key', 'value']).where('instance_uuid', '=', uuid).orderBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** The body's `metadata` (or `meta`) object, validated. */
function bodyMap(body: unknown, key: 'metadata' | 'meta'): Record<string, string> {
  if (!isObject(body)) throw badRequest(`Invalid input for field/attribute body. Value: ${pyRepr(body ?? null)}. ${pyRepr(body ?? null)} is not of type 'object'`);
  if (!(key in body)) throw invalid(key, body, `'${key}' is a required property`);
  const extra = Object.keys(body).filter((k) => k !== key);
  if (extra.length) throw invalid(key, body, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} was unexpected)`);
  return metadataMap(body[key], key);
}

/** Loads the server for a change: member, not locked, at rest. */
async function changeable(tx: Tx, ctx: AuthContext, id: string, action: string): Promise<InstanceRow> {
  const row = await loadServer(tx, ctx, id);
  checkNotLocked(ctx, row);
  checkState(row, CHANGEABLE, action);
  return row;
}

async function writeMetadata(tx: Tx, ctx: AuthContext, row: InstanceRow, items: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
  const current = replace ? {} : await metadataOf(tx, row.uuid);
  const next = { ...current, ...items };
  const limit = (await userQuotas(tx, row.project_id, ctx.userId)).metadata_items ?? -1;
  if (limit >= 0 && Object.keys(next).length > limit) throw forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(next).length}, but already used 0 of ${limit} metadata_items`);
  if (replace) await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', row.uuid).execute();
  for (const [key, value] of Object.entries(items)) {
    await tx.insertInto('instance_metadata').values({ instance_uuid: row.uuid, key, value })
      .onConflict((oc) => oc.columns(['instance_uuid', 'key']).doUpdateSet({ value })).execute();
  }
  await tx.updateTable('instances').set({ updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
  return metadataOf(tx, row.uuid);
}

export async function serverMetadataRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get<IdParams>('/servers/:id/metadata', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:server-metadata:index');
    const row = await loadServer(service.db, ctx, request.params.id);
    return { metadata: await service.store.transaction((tx) => metadataOf(tx, row.uuid)) };
  });

  app.post<IdParams>('/servers/:id/metadata', async (request) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:server-metadata:create');
    const items = bodyMap(request.body, 'metadata');
    return service.store.transaction(async (tx) => {
      const row = await changeable(tx, ctx, request.params.id, 'update metadata');
      return { metadata: await writeMetadata(tx, ctx, row, items, false) };
    });
  });

  app.put<IdParams>('/servers/:id/metadata', async (request) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:server-metadata:update_all');
    const items = bodyMap(request.body, 'metadata');
    return service.store.transaction(async (tx) => {
      const row = await changeable(tx, ctx, request.params.id, 'update metadata');
      return { metadata: await writeMetadata(tx, ctx, row, items, true) };
    });
  });

  app.get<KeyParams>('/servers/:id/metadata/:key', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:server-metadata:show');
    const row = await loadServer(service.db, ctx, request.params.id);
    const item = await service.db.selectFrom('instance_metadata').select('value').where('instance_uuid', '=', row.uuid).where('key', '=', request.params.key).executeTakeFirst();
    if (!item) throw notFound('Metadata item was not found');
    return { meta: { [request.params.key]: item.value } };
  });

  app.put<KeyParams>('/servers/:id/metadata/:key', async (request) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:server-metadata:update');
    const items = bodyMap(request.body, 'meta');
    const keys = Object.keys(items);
    if (keys.length > 1) throw badRequest('Request body contains too many items');
    if (keys[0] !== request.params.key) throw badRequest('Request body and URI mismatch');
    return service.store.transaction(async (tx) => {
      const row = await changeable(tx, ctx, request.params.id, 'update metadata');
      await writeMetadata(tx, ctx, row, items, false);
      return { meta: items };
    });
  });

  app.delete<KeyParams>('/servers/:id/metadata/:key', async (request, reply) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:server-metadata:delete');
    await service.store.transaction(async (tx) => {
      const row = await changeable(tx, ctx, request.params.id, 'delete metadata');
      const result = await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', row.uuid).where('key', '=', request.params.key).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound('Metadata item was not found');
      await tx.updateTable('instances').set({ updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
    });
    return reply.code(204).send();
  });
}
