/**
 * What the scheduler knows about each compute host: capacity from the host registry, usage
 * summed from the instances placed there (building ones included: placing an instance is its
 * claim), and the server group members it runs. Allocation ratios and the reserved memory are
 * Nova's defaults, so a host admits what a default Nova host would.
 */
import type { HostRow } from '../../store/schema-hosts.js';
import type { Db, Tx } from '../../store/store.js';
import { hostAlive, hostRoles } from '../../hosts/registry.js';
// A host aggregate with an availability_zone puts its hosts in that zone (os-aggregates).
import { aggregateZones } from '../catalog/zones.js';

export const CPU_ALLOCATION_RATIO = 16.0;
export const RAM_ALLOCATION_RATIO = 1.5;
export const DISK_ALLOCATION_RATIO = 1.0;
/** Nova's reserved_host_memory_mb: memory the host keeps for itself. */
export const RESERVED_HOST_MEMORY_MB = 512;

export interface HostState {
  readonly name: string;
  readonly availabilityZone: string;
  readonly enabled: boolean;
  readonly alive: boolean;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
  readonly vcpusUsed: number;
  readonly memoryMbUsed: number;
  readonly diskGbUsed: number;
  readonly instances: number;
  /** Server group id → members of that group on this host. */
  readonly groupMembers: ReadonlyMap<string, number>;
}

/** Capacity the placement check allows: (total - reserved) × ratio. */
export function usableVcpus(h: HostState): number {
  return h.vcpus * CPU_ALLOCATION_RATIO;
}
export function usableMemoryMb(h: HostState): number {
  return Math.max(0, h.memoryMb - RESERVED_HOST_MEMORY_MB) * RAM_ALLOCATION_RATIO;
}
export function usableDiskGb(h: HostState): number {
  return h.diskGb * DISK_ALLOCATION_RATIO;
}

export interface HostUsage {
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
  readonly instances: number;
}

/** Resources the instances on each host hold (every instance that is not deleted). */
export async function usageByHost(db: Db | Tx): Promise<Map<string, HostUsage>> {
  const rows = await db.selectFrom('instances')
    .select((eb) => [
      'host',
      eb.fn.sum<number>('vcpus').as('vcpus'),
      eb.fn.sum<number>('memory_mb').as('memory_mb'),
      eb.fn.sum<number>(eb('root_gb', '+', eb.ref('ephemeral_gb'))).as('disk_gb'),
      eb.fn.countAll<number>().as('n'),
    ])
    .where('deleted', '=', 0).where('host', 'is not', null).groupBy('host').execute();
  const map = new Map<string, HostUsage>();
  for (const r of rows) {
    if (r.host) map.set(r.host, { vcpus: Number(r.vcpus ?? 0), memoryMb: Number(r.memory_mb ?? 0), diskGb: Number(r.disk_gb ?? 0), instances: Number(r.n) });
  }
  return map;
}

export async function loadHostStates(db: Db | Tx, now = Date.now()): Promise<HostState[]> {
  const [hosts, usage, members, zones] = await Promise.all([
    db.selectFrom('hosts').selectAll().orderBy('name').execute(),
    usageByHost(db),
    db.selectFrom('server_group_members')
      .innerJoin('instances', 'instances.uuid', 'server_group_members.server_id')
      .select(['server_group_members.group_id', 'instances.host'])
      .where('instances.deleted', '=', 0).where('instances.host', 'is not', null).execute(),
    aggregateZones(db),
  ]);
  const groups = new Map<string, Map<string, number>>();
  for (const m of members) {
    if (!m.host) continue;
    const byGroup = groups.get(m.host) ?? new Map<string, number>();
    byGroup.set(m.group_id, (byGroup.get(m.group_id) ?? 0) + 1);
    groups.set(m.host, byGroup);
  }
  return hosts.filter((h) => hostRoles(h).includes('compute'))
    .map((h) => toHostState({ ...h, availability_zone: zones.get(h.name) ?? h.availability_zone }, usage.get(h.name), groups.get(h.name), now));
}

function toHostState(h: HostRow, used: HostUsage | undefined, groupMembers: Map<string, number> | undefined, now: number): HostState {
  return {
    name: h.name,
    availabilityZone: h.availability_zone,
    enabled: h.enabled === 1,
    alive: hostAlive(h, now),
    vcpus: h.vcpus,
    memoryMb: h.memory_mb,
    diskGb: h.disk_gb,
    vcpusUsed: used?.vcpus ?? 0,
    memoryMbUsed: used?.memoryMb ?? 0,
    diskGbUsed: used?.diskGb ?? 0,
    instances: used?.instances ?? 0,
    groupMembers: groupMembers ?? new Map(),
  };
}
