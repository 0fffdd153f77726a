/**
 * Nova's services over Kumo's hosts: a nova-compute service for every host with the compute
 * role (its enabled/disabled state, reason and forced_down live in the hosts row, which the
 * scheduler reads), nova-scheduler and nova-conductor on the controller (this process). A
 * service is up while its host heartbeats; a compute service's zone is its host's (zones.ts).
 * Rows give the ids os-services and os-hypervisors show; a deleted service stays hidden until
 * its host starts again, as Nova's would.
 */
import type { Selectable } from 'kysely';
import { hostAlive, hostRoles } from '../../hosts/registry.js';
import type { ComputeServiceRow as ServiceTable } from '../../store/schema-compute-catalog.js';
import type { HostRow } from '../../store/schema-hosts.js';
import type { Store, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { novaTime } from './time.js';
import { aggregateZones } from './zones.js';

export type ComputeServiceRow = Selectable<ServiceTable>;

export const INTERNAL_ZONE = 'internal';
export const CONTROLLER_BINARIES = ['nova-scheduler', 'nova-conductor'] as const;
const TOPIC_OF: Record<string, string> = { 'nova-compute': 'compute', 'nova-scheduler': 'scheduler', 'nova-conductor': 'conductor' };

export interface ServiceRecord {
  readonly row: ComputeServiceRow;
  readonly host: HostRow | undefined;
  readonly binary: string;
  readonly hostName: string;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  readonly forcedDown: boolean;
  readonly alive: boolean;
  readonly zone: string;
  /** Last heartbeat, in Nova's format; null if the host never reported. */
  readonly updatedAt: string | null;
}

async function insertService(tx: Tx, host: string, binary: string, startedAt: string): Promise<void> {
  await tx.insertInto('compute_services').values({
    uuid: uuid(), node_uuid: uuid(), host, binary, topic: TOPIC_OF[binary] ?? binary, disabled: 0, disabled_reason: null,
    forced_down: 0, deleted: 0, host_started_at: startedAt, created_at: nowIso(), updated_at: null,
  }).onConflict((oc) => oc.columns(['host', 'binary']).doNothing()).execute();
}

/** At start: the controller's services exist (again, if they had been deleted). */
export async function bootstrapControllerServices(store: Store, controller: string): Promise<void> {
  await store.transaction(async (tx) => {
    const host = await tx.selectFrom('hosts').select('started_at').where('name', '=', controller).executeTakeFirst();
    for (const binary of CONTROLLER_BINARIES) {
      await tx.deleteFrom('compute_services').where('host', '=', controller).where('binary', '=', binary).where('deleted', '=', 1).execute();
      await insertService(tx, controller, binary, host?.started_at ?? nowIso());
    }
  });
}

/** Makes sure every compute host has its nova-compute row; a tombstone goes once its host restarted. */
async function ensureComputeServices(store: Store, hosts: readonly HostRow[], rows: readonly ComputeServiceRow[]): Promise<boolean> {
  const byHost = new Map(rows.filter((r) => r.binary === 'nova-compute').map((r) => [r.host, r]));
  const missing = hosts.filter((h) => {
    if (!hostRoles(h).includes('compute')) return false;
    const row = byHost.get(h.name);
    return !row || (row.deleted === 1 && row.host_started_at !== h.started_at);
  });
  if (missing.length === 0) return false;
  await store.transaction(async (tx) => {
    for (const h of missing) {
      await tx.deleteFrom('compute_services').where('host', '=', h.name).where('binary', '=', 'nova-compute').where('deleted', '=', 1).execute();
      await insertService(tx, h.name, 'nova-compute', h.started_at);
    }
  });
  return true;
}

function recordOf(row: ComputeServiceRow, host: HostRow | undefined, now: number, zones: ReadonlyMap<string, string>): ServiceRecord {
  const compute = row.binary === 'nova-compute';
  const forcedDown = compute ? host?.forced_down === 1 : row.forced_down === 1;
  return {
    row,
    host,
    binary: row.binary,
    hostName: row.host,
    disabled: compute ? host?.enabled === 0 : row.disabled === 1,
    disabledReason: compute ? host?.disabled_reason ?? null : row.disabled_reason,
    forcedDown,
    alive: host !== undefined && !forcedDown && hostAlive({ heartbeat_at: host.heartbeat_at, forced_down: 0 }, now),
    zone: compute ? zones.get(row.host) ?? host?.availability_zone ?? 'nova' : INTERNAL_ZONE,
    updatedAt: host ? novaTime(host.heartbeat_at) : null,
  };
}

/** Every live (not deleted) service, in id order. */
export async function serviceRecords(store: Store): Promise<ServiceRecord[]> {
  const hosts = await store.db.selectFrom('hosts').selectAll().execute();
  let rows = await store.db.selectFrom('compute_services').selectAll().orderBy('id').execute();
  if (await ensureComputeServices(store, hosts, rows)) rows = await store.db.selectFrom('compute_services').selectAll().orderBy('id').execute();
  const hostOf = new Map(hosts.map((h) => [h.name, h]));
  const zones = await aggregateZones(store.db);
  const now = Date.now();
  return rows.filter((r) => r.deleted === 0).map((r) => recordOf(r, hostOf.get(r.host), now, zones));
}

/** The nova-compute services, one per hypervisor. */
export async function computeRecords(store: Store): Promise<ServiceRecord[]> {
  return (await serviceRecords(store)).filter((s) => s.binary === 'nova-compute');
}
