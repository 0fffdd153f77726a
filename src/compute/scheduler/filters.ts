/**
 * Scheduler filters: each says whether one host can take one instance of the request. They
 * are Nova's default filter set (ComputeFilter, AvailabilityZoneFilter, the resource checks
 * placement makes, and the server group filters), as pure functions of host state and request.
 */
import { usableDiskGb, usableMemoryMb, usableVcpus, type HostState } from './host-state.js';

export interface GroupPolicy {
  readonly id: string;
  /** affinity, anti-affinity, soft-affinity, soft-anti-affinity */
  readonly policy: string;
  /** anti-affinity's max_server_per_host rule (default 1). */
  readonly maxServerPerHost: number;
}

export interface RequestSpec {
  readonly vcpus: number;
  readonly memoryMb: number;
  /** Root + ephemeral + swap, in GiB (swap rounded up). */
  readonly diskGb: number;
  readonly availabilityZone: string | null;
  /** `nova:<host>` at create: the host is forced and only the checks placement makes apply. */
  readonly forcedHost: string | null;
  readonly group: GroupPolicy | null;
  /** Hosts never to use (a host that just failed this instance). */
  readonly ignoreHosts: readonly string[];
}

/** Facts about the whole set of hosts that some filters need. */
export interface FilterContext {
  /** Whether a member of the request's server group is already placed on some host. */
  readonly groupPlaced: boolean;
}

export interface Filter {
  readonly name: string;
  /** True for the checks a forced host still goes through (placement's resources, liveness). */
  readonly appliesToForcedHost: boolean;
  passes(host: HostState, spec: RequestSpec, context: FilterContext): boolean;
}

export const FILTERS: readonly Filter[] = [
  {
    // Disabled services and hosts that stopped heartbeating get no new instances.
    name: 'ComputeFilter', appliesToForcedHost: true,
    passes: (h) => h.enabled && h.alive,
  },
  {
    name: 'AvailabilityZoneFilter', appliesToForcedHost: false,
    passes: (h, s) => s.availabilityZone === null || h.availabilityZone === s.availabilityZone,
  },
  {
    name: 'VCPUFilter', appliesToForcedHost: true,
    passes: (h, s) => h.vcpusUsed + s.vcpus <= usableVcpus(h),
  },
  {
    name: 'RamFilter', appliesToForcedHost: true,
    passes: (h, s) => h.memoryMbUsed + s.memoryMb <= usableMemoryMb(h),
  },
  {
    name: 'DiskFilter', appliesToForcedHost: true,
    passes: (h, s) => h.diskGbUsed + s.diskGb <= usableDiskGb(h),
  },
  {
    name: 'ServerGroupAffinityFilter', appliesToForcedHost: false,
    // The first member may go anywhere; the others follow it.
    passes: (h, s, c) => s.group?.policy !== 'affinity' || !c.groupPlaced || (h.groupMembers.get(s.group.id) ?? 0) > 0,
  },
  {
    name: 'ServerGroupAntiAffinityFilter', appliesToForcedHost: false,
    passes: (h, s) => s.group?.policy !== 'anti-affinity' || (h.groupMembers.get(s.group.id) ?? 0) < s.group.maxServerPerHost,
  },
  {
    name: 'IgnoreHostsFilter', appliesToForcedHost: true,
    passes: (h, s) => !s.ignoreHosts.includes(h.name),
  },
];

/** Hosts that pass every filter, and the name of the first filter that emptied the list. */
export function filterHosts(hosts: readonly HostState[], spec: RequestSpec): { hosts: HostState[]; failedFilter: string | null } {
  const group = spec.group;
  const context: FilterContext = { groupPlaced: group !== null && hosts.some((h) => (h.groupMembers.get(group.id) ?? 0) > 0) };
  let remaining = spec.forcedHost === null ? [...hosts] : hosts.filter((h) => h.name === spec.forcedHost);
  if (remaining.length === 0) return { hosts: [], failedFilter: spec.forcedHost === null ? 'ComputeFilter' : 'ForcedHost' };
  for (const f of FILTERS) {
    if (spec.forcedHost !== null && !f.appliesToForcedHost) continue;
    remaining = remaining.filter((h) => f.passes(h, spec, context));
    if (remaining.length === 0) return { hosts: [], failedFilter: f.name };
  }
  return { hosts: remaining, failedFilter: null };
}
