/**
 * Shelve, offload, unshelve, rescue, unrescue. Shelving snapshots the server into
 * "<name>-shelved", powers it off and (Nova's default shelved_offload_time of 0) offloads it
 * at once: destroyed on its host, host cleared, ports kept but unbound from the host.
 * Unshelving schedules it again if it was offloaded, rebinds its ports, spawns it from the
 * shelved image and deletes that image. Rescue boots it from a rescue image until unrescue.
 */
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { PowerState } from '../driver/driver.js';
import { loadHostStates } from '../scheduler/host-state.js';
import { NoValidHost, selectHosts } from '../scheduler/scheduler.js';
import { TaskState, VmState } from '../servers/states.js';
import { requestSpecOf } from './build.js';
import type { LifecycleContext } from './context.js';
import { deviceOwner, markPortsActive, vifsOf } from './networking.js';
import { casUpdate, recordEvent, recordFault } from './records.js';
import { deleteImage, getSystemMetadata, setSystemMetadata, SHELVED_KEY, SNAPSHOT_KEY, storeSnapshot } from './snapshot.js';
import { instanceSpec } from './spec.js';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A failed step: the task is cleared (vm_state as given, or unchanged) and a fault recorded. */
async function fail(ctx: LifecycleContext, row: InstanceRow, task: string, event: string, startedAt: string, err: unknown, vmState?: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, task, vmState ? { task_state: null, vm_state: vmState } : { task_state: null })) return;
    await recordFault(tx, row.uuid, 500, describe(err), describe(err), row.host);
    await recordEvent(tx, row.uuid, event, row.host, startedAt, { ok: false, traceback: describe(err) }, true);
  });
}

/** The server's ports stay its own but belong to no host while it is offloaded. */
async function unbindFromHost(tx: Tx, uuid: string): Promise<void> {
  const ports = await tx.selectFrom('instance_interfaces').innerJoin('ports', 'ports.id', 'instance_interfaces.port_id')
    .select(['ports.id', 'ports.revision_number']).where('instance_interfaces.instance_uuid', '=', uuid).execute();
  for (const p of ports) {
    await tx.updateTable('ports').set({
      binding_host_id: '', binding_vif_type: 'unbound', binding_vif_details: '{}', status: 'DOWN', updated_at: nowIso(), revision_number: p.revision_number + 1,
    }).where('id', '=', p.id).execute();
  }
}

export async function shelveStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  const imageId = await getSystemMetadata(ctx.store.db, row.uuid, SNAPSHOT_KEY);
  try {
    if (!row.host) throw new Error('the server has no host');
    if (imageId) await storeSnapshot(ctx.store.db, ctx.images, imageId, await ctx.driver.snapshot(row.host, row.uuid));
    await ctx.driver.powerOff(row.host, row.uuid);
  } catch (err) {
    await ctx.store.transaction(async (tx) => {
      if (imageId) await deleteImage(tx, ctx.images, imageId);
      await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, null);
    });
    await fail(ctx, row, TaskState.SHELVING, 'compute_shelve_instance', startedAt, err);
    return;
  }
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.SHELVING, { vm_state: VmState.SHELVED, power_state: PowerState.SHUTDOWN, task_state: TaskState.SHELVING_OFFLOADING })) return;
    await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, null);
    if (imageId) await setSystemMetadata(tx, row.uuid, SHELVED_KEY, imageId);
    await recordEvent(tx, row.uuid, 'compute_shelve_instance', row.host, startedAt, { ok: true }, false);
  });
}

export async function offloadStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  if (row.host) await ctx.driver.destroy(row.host, row.uuid);
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.SHELVING_OFFLOADING, {
      vm_state: VmState.SHELVED_OFFLOADED, task_state: null, host: null, node: null, power_state: PowerState.SHUTDOWN,
    })) return;
    await unbindFromHost(tx, row.uuid);
    await recordEvent(tx, row.uuid, 'compute_shelve_offload_instance', row.host, startedAt, { ok: true }, true);
  });
}

export async function unshelveStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  const event = 'compute_unshelve_instance';
  const shelvedImage = await getSystemMetadata(ctx.store.db, row.uuid, SHELVED_KEY);
  let host = row.host;
  try {
    if (host) {
      await ctx.driver.powerOn(host, row.uuid);
    } else {
      host = await ctx.schedulerLock.run(() => ctx.store.transaction(async (tx) => {
        const hosts = await loadHostStates(tx);
        const [chosen] = selectHosts(hosts, requestSpecOf(row, null), 1) as [string];
        const az = hosts.find((h) => h.name === chosen)?.availabilityZone ?? row.availability_zone;
        await tx.updateTable('instances').set({ host: chosen, node: chosen, availability_zone: az, updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
        const ports = await tx.selectFrom('instance_interfaces').select('port_id').where('instance_uuid', '=', row.uuid).execute();
        if (ports.length) {
          await tx.updateTable('ports').set({ binding_host_id: chosen, device_owner: deviceOwner(az), updated_at: nowIso() })
            .where('id', 'in', ports.map((p) => p.port_id)).execute();
        }
        return chosen;
      }));
      const spec = await instanceSpec(ctx, { ...row, host, image_ref: shelvedImage ?? row.image_ref }, ctx.takeAdminPass(row.uuid));
      await ctx.driver.spawn(spec, await vifsOf(ctx.store.db, row.uuid));
    }
  } catch (err) {
    if (!row.host && host) await ctx.driver.destroy(host, row.uuid).catch(() => undefined);
    const message = err instanceof NoValidHost ? err.message : describe(err);
    await ctx.store.transaction(async (tx) => {
      if (!row.host) await tx.updateTable('instances').set({ host: null, node: null }).where('uuid', '=', row.uuid).execute();
    });
    await fail(ctx, row, TaskState.UNSHELVING, event, startedAt, new Error(message), row.vm_state);
    return;
  }
  const landed = host as string;
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.UNSHELVING, { vm_state: VmState.ACTIVE, task_state: null, power_state: PowerState.RUNNING, launched_at: nowIso() })) return;
    await markPortsActive(tx, (await vifsOf(tx, row.uuid)).map((v) => v.portId), landed);
    if (shelvedImage) await deleteImage(tx, ctx.images, shelvedImage);
    await setSystemMetadata(tx, row.uuid, SHELVED_KEY, null);
    await recordEvent(tx, row.uuid, event, landed, startedAt, { ok: true }, true);
  });
}

export async function rescueStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  const image = await getSystemMetadata(ctx.store.db, row.uuid, 'rescue_image_ref') ?? row.image_ref;
  try {
    if (!row.host) throw new Error('the server has no host');
    await ctx.driver.rescue(row.host, row.uuid, image);
  } catch (err) {
    await fail(ctx, row, TaskState.RESCUING, 'compute_rescue_instance', startedAt, err);
    return;
  }
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.RESCUING, { vm_state: VmState.RESCUED, task_state: null, power_state: PowerState.RUNNING })) return;
    await setSystemMetadata(tx, row.uuid, 'rescue_image_ref', null);
    await recordEvent(tx, row.uuid, 'compute_rescue_instance', row.host, startedAt, { ok: true }, true);
  });
}

export async function unrescueStep(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  try {
    if (!row.host) throw new Error('the server has no host');
    await ctx.driver.unrescue(row.host, row.uuid);
  } catch (err) {
    await fail(ctx, row, TaskState.UNRESCUING, 'compute_unrescue_instance', startedAt, err);
    return;
  }
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, TaskState.UNRESCUING, { vm_state: VmState.ACTIVE, task_state: null, power_state: PowerState.RUNNING })) return;
    await recordEvent(tx, row.uuid, 'compute_unrescue_instance', row.host, startedAt, { ok: true }, true);
  });
}
