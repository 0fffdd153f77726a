/**
 * Host convergence at start: the store is the desired state. An instance a host runs that the
 * store has deleted (or never had) is destroyed; a server the store says exists but its host
 * lacks (the fake driver forgets everything on restart; a real host may have rebooted) is
 * spawned again with its ports and brought to the power state its vm_state implies.
 */
import { PowerState } from '../driver/driver.js';
import { VmState } from '../servers/states.js';
import type { LifecycleContext } from './context.js';
import { vifsOf } from './networking.js';
import { instanceSpec } from './spec.js';

const RESTING_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED];

export async function syncHosts(ctx: LifecycleContext): Promise<void> {
  const db = ctx.store.db;
  const hosts = await db.selectFrom('hosts').select('name').execute();
  const rows = await db.selectFrom('instances').selectAll().where('deleted', '=', 0).where('host', 'is not', null).execute();
  for (const { name: host } of hosts) {
    const onHost = await ctx.driver.instances(host);
    const wanted = new Map(rows.filter((r) => r.host === host).map((r) => [r.uuid, r]));
    for (const inst of onHost) {
      if (!wanted.has(inst.uuid)) {
        ctx.log.info({ server: inst.uuid, host }, 'destroying an instance the store does not have');
        await ctx.driver.destroy(host, inst.uuid);
      }
    }
    const present = new Set(onHost.map((i) => i.uuid));
    for (const row of wanted.values()) {
      if (present.has(row.uuid) || row.task_state !== null || !RESTING_STATES.includes(row.vm_state)) continue;
      try {
        await ctx.driver.spawn(await instanceSpec(ctx, row, null), await vifsOf(db, row.uuid));
        if (row.power_state === PowerState.SHUTDOWN || row.vm_state === VmState.STOPPED) await ctx.driver.powerOff(host, row.uuid);
        else if (row.vm_state === VmState.PAUSED) await ctx.driver.pause(host, row.uuid);
        else if (row.vm_state === VmState.SUSPENDED) await ctx.driver.suspend(host, row.uuid);
        ctx.log.info({ server: row.uuid, host }, 'respawned an instance its host had lost');
      } catch (err) {
        ctx.log.error({ err, server: row.uuid, host }, 'could not respawn an instance its host had lost');
      }
    }
  }
}
