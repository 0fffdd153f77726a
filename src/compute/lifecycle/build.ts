/**
 * Building a server, one committed step at a time (vm_state building): scheduling picks a host
 * and claims it, networking makes and binds the ports, spawning asks the driver to start the
 * instance; then ACTIVE. A failure ends in ERROR with a fault and nothing left on Neutron's
 * side but the user's own (unbound) ports. Each step starts from the state the last committed
 * step left, so a restart picks the build up where it stopped.
 */
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { PowerState } from '../driver/driver.js';
import { loadHostStates } from '../scheduler/host-state.js';
import { NoValidHost, selectHosts, type GroupPolicy, type RequestSpec } from '../scheduler/scheduler.js';
import { TaskState, VmState } from '../servers/states.js';
import { flavorSnapshot } from '../servers/views.js';
import { parseJsonObject } from '../../util/json.js';
import { allocateNetworks, markPortsActive, releaseInterfaces, vifsOf } from './networking.js';
import { casUpdate, recordEvent, recordFault } from './records.js';
import type { LifecycleContext } from './context.js';
import { instanceSpec } from './spec.js';

const NO_VALID_HOST_EVENT = 'conductor_schedule_and_build_instances';
const BUILD_EVENT = 'compute__do_build_and_run_instance';

/** The server group a create's scheduler hint named, with its policy. */
async function groupPolicy(tx: Tx, row: InstanceRow): Promise<GroupPolicy | null> {
  const member = await tx.selectFrom('server_group_members').innerJoin('server_groups', 'server_groups.id', 'server_group_members.group_id')
    .select(['server_groups.id', 'server_groups.policy', 'server_groups.rules'])
    .where('server_group_members.server_id', '=', row.uuid).executeTakeFirst();
  if (!member) return null;
  const rules = parseJsonObject(member.rules);
  const max = Number(rules.max_server_per_host ?? 1);
  return { id: member.id, policy: member.policy, maxServerPerHost: Number.isInteger(max) && max > 0 ? max : 1 };
}

export function requestSpecOf(row: InstanceRow, group: GroupPolicy | null): RequestSpec {
  const flavor = flavorSnapshot(row);
  return {
    vcpus: row.vcpus, memoryMb: row.memory_mb, diskGb: row.root_gb + row.ephemeral_gb + Math.ceil((flavor.swap || 0) / 1024),
    availabilityZone: row.forced_host ? null : row.availability_zone, forcedHost: row.forced_host, group, ignoreHosts: [],
  };
}

/** Ends a build in ERROR with a fault; ports made for it go, users' ports are unbound. */
async function failBuild(ctx: LifecycleContext, row: InstanceRow, fromTask: string, event: string, startedAt: string, message: string, details: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, fromTask, { vm_state: VmState.ERROR, task_state: null, power_state: PowerState.NOSTATE })) return;
    await releaseInterfaces(tx, row.uuid);
    await recordFault(tx, row.uuid, 500, message, details, row.host);
    await recordEvent(tx, row.uuid, event, row.host, startedAt, { ok: false, traceback: details }, true);
  });
}

export async function schedule(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  let placed = false;
  try {
    // One placement decision at a time: each sees the claims of the ones before it. The ports
    // are made in the same transaction (one commit instead of two on the way to ACTIVE); the
    // networking task state is kept for builds a previous run left there.
    await ctx.schedulerLock.run(() => ctx.store.transaction(async (tx) => {
      const spec = requestSpecOf(row, await groupPolicy(tx, row));
      const hosts = await loadHostStates(tx);
      const [host] = selectHosts(hosts, spec, 1) as [string];
      placed = true;
      const az = hosts.find((h) => h.name === host)?.availabilityZone ?? row.availability_zone;
      if (!await casUpdate(tx, row.uuid, TaskState.SCHEDULING, { host, node: host, availability_zone: az, task_state: TaskState.SPAWNING })) return;
      await recordEvent(tx, row.uuid, NO_VALID_HOST_EVENT, null, startedAt, { ok: true }, false);
      await allocateNetworks(tx, { ...row, host, node: host, availability_zone: az });
    }));
  } catch (err) {
    if (err instanceof NoValidHost) {
      await failBuild(ctx, row, TaskState.SCHEDULING, NO_VALID_HOST_EVENT, startedAt, err.message,
        `NoValidHost: ${err.message}${err.failedFilter ? ` (filter ${err.failedFilter} returned 0 hosts)` : ''}`);
      return;
    }
    if (!placed) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    await failBuild(ctx, row, TaskState.SCHEDULING, BUILD_EVENT, startedAt,
      `Build of instance ${row.uuid} aborted: Failed to allocate the network(s), not rescheduling.`, reason);
  }
}

export async function allocateNetworking(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  try {
    await ctx.store.transaction(async (tx) => {
      if (!await casUpdate(tx, row.uuid, TaskState.NETWORKING, { task_state: TaskState.SPAWNING })) return;
      await allocateNetworks(tx, row);
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await failBuild(ctx, row, TaskState.NETWORKING, BUILD_EVENT, startedAt,
      `Build of instance ${row.uuid} aborted: Failed to allocate the network(s), not rescheduling.`, reason);
  }
}

export async function spawn(ctx: LifecycleContext, row: InstanceRow): Promise<void> {
  const startedAt = nowIso();
  const host = row.host as string;
  const vifs = await vifsOf(ctx.store.db, row.uuid);
  try {
    // After a restart this may be a spawn already begun (or finished): the driver completes
    // what is missing and starts nothing twice.
    await ctx.driver.spawn(await instanceSpec(ctx, row, ctx.takeAdminPass(row.uuid)), vifs);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await ctx.driver.destroy(host, row.uuid).catch(() => undefined);
    await failBuild(ctx, row, TaskState.SPAWNING, BUILD_EVENT, startedAt, reason, reason);
    return;
  }
  await ctx.store.transaction(async (tx) => {
    const now = nowIso();
    if (!await casUpdate(tx, row.uuid, TaskState.SPAWNING, {
      vm_state: VmState.ACTIVE, task_state: null, power_state: PowerState.RUNNING, launched_at: now, root_device_name: '/dev/vda',
    })) return;
    await markPortsActive(tx, vifs.map((v) => v.portId), host);
    await recordEvent(tx, row.uuid, BUILD_EVENT, host, startedAt, { ok: true }, true);
  });
}
