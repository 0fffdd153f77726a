/**
 * The lifecycle's steps for a server that exists: each task_state an action set (powering-off,
 * rebooting, pausing, rebuilding, deleting, ...) is carried out through the driver and ends in
 * the vm_state and power_state it leads to. A driver failure leaves the vm_state as it was,
 * clears the task and records a fault and an Error event, as Nova's compute manager does.
 */
import type { InstanceRow } from '../../store/schema-servers.js';
import { nowIso } from '../../util/ids.js';
import { InstanceNotFoundOnHost, PowerState, type PowerStateValue } from '../driver/driver.js';
import { TaskState, VmState } from '../servers/states.js';
import { markPortsActive, releaseInterfaces, vifsOf } from './networking.js';
import { casUpdate, recordEvent, recordFault } from './records.js';
import type { LifecycleContext } from './context.js';
import { instanceSpec } from './spec.js';
import { deleteImage, getSystemMetadata, setSystemMetadata, SHELVED_KEY, SNAPSHOT_KEY } from './snapshot.js';

interface PowerStep {
  readonly event: string;
  readonly run: (ctx: LifecycleContext, row: InstanceRow, host: string) => Promise<void>;
  readonly vmState: string;
  readonly powerState: PowerStateValue;
}

/** What each power task does, and where it leaves the instance. */
export const POWER_STEPS: Readonly<Record<string, PowerStep>> = {
  [TaskState.POWERING_OFF]: { event: 'compute_stop_instance', run: (c, r, h) => c.driver.powerOff(h, r.uuid), vmState: VmState.STOPPED, powerState: PowerState.SHUTDOWN },
  [TaskState.POWERING_ON]: { event: 'compute_start_instance', run: (c, r, h) => c.driver.powerOn(h, r.uuid), vmState: VmState.ACTIVE, powerState: PowerState.RUNNING },
  [TaskState.REBOOTING]: { event: 'compute_reboot_instance', run: (c, r, h) => c.driver.reboot(h, r.uuid, 'SOFT'), vmState: VmState.ACTIVE, powerState: PowerState.RUNNING },
  [TaskState.REBOOTING_HARD]: { event: 'compute_reboot_instance', run: (c, r, h) => c.driver.reboot(h, r.uuid, 'HARD'), vmState: VmState.ACTIVE, powerState: PowerState.RUNNING },
  [TaskState.PAUSING]: { event: 'compute_pause_instance', run: (c, r, h) => c.driver.pause(h, r.uuid), vmState: VmState.PAUSED, powerState: PowerState.PAUSED },
  [TaskState.UNPAUSING]: { event: 'compute_unpause_instance', run: (c, r, h) => c.driver.unpause(h, r.uuid), vmState: VmState.ACTIVE, powerState: PowerState.RUNNING },
  [TaskState.SUSPENDING]: { event: 'compute_suspend_instance', run: (c, r, h) => c.driver.suspend(h, r.uuid), vmState: VmState.SUSPENDED, powerState: PowerState.SUSPENDED },
  [TaskState.RESUMING]: { event: 'compute_resume_instance', run: (c, r, h) => c.driver.resume(h, r.uuid), vmState: VmState.ACTIVE, powerState: PowerState.RUNNING },
};

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reverts the task (vm_state unchanged) and records what went wrong. */
async function failTask(ctx: LifecycleContext, row: InstanceRow, fromTask: string, event: string, startedAt: string, err: unknown): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, fromTask, { task_state: null })) return;
    await recordFault(tx, row.uuid, 500, describe(err), describe(err), row.host);
    await recordEvent(tx, row.uuid, event, row.host, startedAt, { ok: false, traceback: describe(err) }, true);
  });
}

export async function powerStep(ctx: LifecycleContext, row: InstanceRow, task: string): Promise<void> {
  const step = POWER_STEPS[task];
  if (!step) return;
  const startedAt = nowIso();
  const host = row.host;
  try {
    if (!host) throw new InstanceNotFoundOnHost(row.uuid, '(none)');
    await step.run(ctx, row, host);
  } catch (err) {
    await failTask(ctx, row, task, step.event, startedAt, err);
    return;
  }
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, task, { vm_state: step.vmState, task_state: null, power_state: step.powerState })) return;
    await recordEvent(tx, row.uuid, step.event, host, startedAt, { ok: true }, true);
  });
}

/**
 * Rebuild: the instance is destroyed and spawned again from the (new) image with the same
 * ports; a stopped server stays stopped, an ERROR one comes back ACTIVE.
 */
export async function rebuildStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  const event = 'compute_rebuild_instance';
  const host = row.host;
  try {
    if (!host) throw new InstanceNotFoundOnHost(row.uuid, '(none)');
    await ctx.driver.destroy(host, row.uuid);
    await ctx.driver.spawn(await instanceSpec(ctx, row, ctx.takeAdminPass(row.uuid)), await vifsOf(ctx.store.db, row.uuid));
    if (row.vm_state === VmState.STOPPED) await ctx.driver.powerOff(host, row.uuid);
  } catch (err) {
    await ctx.store.transaction(async (tx) => {
      if (!await casUpdate(tx, row.uuid, TaskState.REBUILDING, { vm_state: VmState.ERROR, task_state: null, power_state: PowerState.NOSTATE })) return;
      await recordFault(tx, row.uuid, 500, describe(err), describe(err), host);
      await recordEvent(tx, row.uuid, event, host, startedAt, { ok: false, traceback: describe(err) }, true);
    });
    return;
  }
  const stopped = row.vm_state === VmState.STOPPED;
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.REBUILDING, {
      vm_state: stopped ? VmState.STOPPED : VmState.ACTIVE, task_state: null,
      power_state: stopped ? PowerState.SHUTDOWN : PowerState.RUNNING, launched_at: nowIso(),
    })) return;
    await markPortsActive(tx, (await vifsOf(tx, row.uuid)).map((v) => v.portId), host);
    await recordEvent(tx, row.uuid, event, host, startedAt, { ok: true }, true);
  });
}

/** A password change has nothing to do on a host without a guest agent: it just completes. */
export async function passwordStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  ctx.takeAdminPass(row.uuid);
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.UPDATING_PASSWORD, { task_state: null })) return;
    await recordEvent(tx, row.uuid, 'compute_set_admin_password', row.host, startedAt, { ok: true }, true);
  });
}

/**
 * Delete: the host destroys the instance, Kumo's ports are deleted and users' ports unbound,
 * the server leaves its groups, and the row is kept as deleted (listed with deleted=true).
 */
export async function deleteStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  if (row.host) await ctx.driver.destroy(row.host, row.uuid);
  await ctx.store.transaction(async (tx) => {
    const now = nowIso();
    if (!await casUpdate(tx, row.uuid, TaskState.DELETING, {
      vm_state: VmState.DELETED, task_state: null, power_state: PowerState.NOSTATE, terminated_at: now, deleted_at: now,
    })) return;
    await tx.updateTable('instances').set({ deleted: 1 }).where('uuid', '=', row.uuid).execute();
    await releaseInterfaces(tx, row.uuid);
    await tx.deleteFrom('server_group_members').where('server_id', '=', row.uuid).execute();
    // A shelved server's image goes with it; a snapshot that never ran is abandoned.
    for (const key of [SHELVED_KEY, SNAPSHOT_KEY]) {
      const imageId = await getSystemMetadata(tx, row.uuid, key);
      if (imageId) {
        const image = await tx.selectFrom('images').select('status').where('id', '=', imageId).executeTakeFirst();
        if (key === SHELVED_KEY || image?.status === 'queued') await deleteImage(tx, ctx.images, imageId);
        await setSystemMetadata(tx, row.uuid, key, null);
      }
    }
    await recordEvent(tx, row.uuid, 'compute_terminate_instance', row.host, startedAt, { ok: true }, true);
  });
}
