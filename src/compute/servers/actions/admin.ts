/**
 * Admin actions on a server: os-resetState (vm_state to error or active, no task), live
 * migration (os-migrateLive: the server moves to another host while running, chosen by the
 * scheduler or named) and cold migration (migrate), which Kumo refuses as Nova refuses it when
 * no other host can take the server.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../../api/errors.js';
import type { AuthContext } from '../../../policy/context.js';
import { isAdmin } from '../../../policy/context.js';
import { nowIso, uuid } from '../../../util/ids.js';
import { atLeast } from '../../microversion.js';
import { booleanParam, invalid, isObject, nameString, onlyKeys, pyRepr } from '../../catalog/validate.js';
import { startAction } from '../../lifecycle/records.js';
import { setSystemMetadata } from '../../lifecycle/snapshot.js';
import { loadHostStates } from '../../scheduler/host-state.js';
import { selectHosts } from '../../scheduler/scheduler.js';
import { requestSpecOf } from '../../lifecycle/build.js';
import type { ComputeService } from '../../service.js';
import { loadServer, policyDenied } from '../access.js';
import { checkState, TaskState, VmState } from '../states.js';
import { transition } from './transition.js';
import type { InstanceRow } from '../../../store/schema-servers.js';
import type { Tx } from '../../../store/store.js';

export async function resetState(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<void> {
  if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-admin-actions:reset_state');
  if (!isObject(value)) throw invalid('os-resetState', value, `${pyRepr(value)} is not of type 'object'`);
  onlyKeys(value, ['state'], 'os-resetState');
  const state = value.state;
  if (state !== 'active' && state !== 'error') throw invalid('state', state ?? null, `${pyRepr(state ?? null)} is not one of ['active', 'error']`);
  await service.store.transaction(async (tx) => {
    const row = await loadServer(tx, ctx, id);
    await tx.updateTable('instances').set({ vm_state: state, task_state: null, updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
    await startAction(tx, { uuid: row.uuid, action: 'resetState', requestId: request.id, projectId: row.project_id, userId: ctx.userId });
  });
}

/** Another host that can take the server now, or NoValidHost (400 at the API, as in Nova). */
async function targetHost(tx: Tx, row: InstanceRow, named: string | null): Promise<string> {
  if (named !== null) {
    const known = await tx.selectFrom('hosts').select('name').where('name', '=', named).executeTakeFirst();
    if (!known) throw badRequest(`Compute host ${named} could not be found.`);
    if (named === row.host) throw badRequest(`The supplied hypervisor type of is invalid: the server is already on ${named}.`);
  }
  const spec = { ...requestSpecOf(row, null), availabilityZone: null, forcedHost: named, ignoreHosts: row.host ? [row.host] : [] };
  try {
    const hosts = await loadHostStates(tx);
    // The server's own claim is still on its current host; the target must fit it again.
    return selectHosts(hosts, spec, 1)[0] as string;
  } catch {
    throw badRequest(`No valid host was found. No valid host found for ${named === null ? 'migration' : `migration to ${named}`}.`);
  }
}

export async function liveMigrate(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<void> {
  if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-migrate-server:migrate_live');
  if (!isObject(value)) throw invalid('os-migrateLive', value, `${pyRepr(value)} is not of type 'object'`);
  const keys = ['host', 'block_migration'];
  if (!atLeast(request, '2.25')) keys.push('disk_over_commit');
  if (atLeast(request, '2.30') && !atLeast(request, '2.68')) keys.push('force');
  onlyKeys(value, keys, 'os-migrateLive');
  for (const key of ['host', 'block_migration']) if (!(key in value)) throw invalid('os-migrateLive', value, `'${key}' is a required property`);
  const named = value.host === null ? null : nameString(value.host, 'host');
  if (value.block_migration !== 'auto' || !atLeast(request, '2.25')) booleanParam(value.block_migration, 'block_migration');
  await transition(service, request, ctx, id, { name: 'os-migrateLive', action: 'live-migration', states: { vmStates: [VmState.ACTIVE, VmState.PAUSED], taskStates: [null] }, task: TaskState.MIGRATING }, {
    prepare: async (tx, row) => {
      const target = await targetHost(tx, row, named);
      await setSystemMetadata(tx, row.uuid, 'migration_target', target);
      const id = uuid();
      await tx.insertInto('migrations').values({
        uuid: id, instance_uuid: row.uuid, migration_type: 'live-migration', status: 'accepted', source_compute: row.host, source_node: row.node,
        dest_compute: target, dest_node: target, dest_host: named, project_id: row.project_id, user_id: ctx.userId, created_at: nowIso(), updated_at: null,
      }).execute();
      await setSystemMetadata(tx, row.uuid, 'migration_id', id);
    },
  });
}

export async function coldMigrate(service: ComputeService, _request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<void> {
  if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-migrate-server:migrate');
  if (value !== null && !isObject(value)) throw invalid('migrate', value, `${pyRepr(value)} is not of type 'object', 'null'`);
  const row = await loadServer(service.db, ctx, id);
  checkState(row, { vmStates: [VmState.ACTIVE, VmState.STOPPED], taskStates: [null] }, 'migrate');
  await service.store.transaction((tx) => targetHost(tx, row, null));
  // Another host could take it, but a cold migration ends in VERIFY_RESIZE, which Kumo does not have.
  throw badRequest('Cold migration is not supported by this cloud; use live migration (os-migrateLive).');
}
