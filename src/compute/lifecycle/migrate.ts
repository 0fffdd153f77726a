/**
 * Live migration (task migrating): the server starts on the target host with the same ports
 * and power state, its ports are bound there, then it leaves the source host. A failure
 * leaves it where it was, running.
 */
import type { InstanceRow } from '../../store/schema-servers.js';
import { nowIso } from '../../util/ids.js';
import { TaskState, VmState } from '../servers/states.js';
import type { LifecycleContext } from './context.js';
import { deviceOwner, markPortsActive, vifsOf } from './networking.js';
import { casUpdate, recordEvent, recordFault } from './records.js';
import { getSystemMetadata, setSystemMetadata } from './snapshot.js';
import { instanceSpec } from './spec.js';

export async function migrateStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  const event = 'compute_live_migration';
  const target = await getSystemMetadata(ctx.store.db, row.uuid, 'migration_target');
  const migrationId = await getSystemMetadata(ctx.store.db, row.uuid, 'migration_id');
  const finish = async (tx: Parameters<typeof setSystemMetadata>[0], status: string) => {
    if (migrationId) await tx.updateTable('migrations').set({ status, updated_at: nowIso() }).where('uuid', '=', migrationId).execute();
    await setSystemMetadata(tx, row.uuid, 'migration_id', null);
  };
  const vifs = await vifsOf(ctx.store.db, row.uuid);
  try {
    if (!target || !row.host) throw new Error('no migration target or no source host');
    await ctx.driver.spawn(await instanceSpec(ctx, { ...row, host: target }, null), vifs);
    if (row.vm_state === VmState.PAUSED) await ctx.driver.pause(target, row.uuid);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (target) await ctx.driver.destroy(target, row.uuid).catch(() => undefined);
    await ctx.store.transaction(async (tx) => {
      if (!await casUpdate(tx, row.uuid, TaskState.MIGRATING, { task_state: null })) return;
      await setSystemMetadata(tx, row.uuid, 'migration_target', null);
      await finish(tx, 'error');
      await recordFault(tx, row.uuid, 500, reason, reason, row.host);
      await recordEvent(tx, row.uuid, event, row.host, startedAt, { ok: false, traceback: reason }, true);
    });
    return;
  }
  await ctx.driver.destroy(row.host, row.uuid);
  const host = target;
  await ctx.store.transaction(async (tx) => {
    const zone = await tx.selectFrom('hosts').select('availability_zone').where('name', '=', host).executeTakeFirst();
    const az = zone?.availability_zone ?? row.availability_zone;
    if (!await casUpdate(tx, row.uuid, TaskState.MIGRATING, { task_state: null, host, node: host, availability_zone: az })) return;
    if (vifs.length) {
      await tx.updateTable('ports').set({ device_owner: deviceOwner(az), updated_at: nowIso() }).where('id', 'in', vifs.map((v) => v.portId)).execute();
    }
    await markPortsActive(tx, vifs.map((v) => v.portId), host);
    await setSystemMetadata(tx, row.uuid, 'migration_target', null);
    await finish(tx, 'completed');
    await recordEvent(tx, row.uuid, event, host, startedAt, { ok: true }, true);
  });
}
