/**
 * The scheduler: filters then weighs the compute hosts for each instance of a request, and
 * consumes the chosen host's resources before placing the next one (a multi-create lands as
 * the load shifts). A pure function of host states, so tests give it any set of hosts.
 */
import { filterHosts, type RequestSpec } from './filters.js';
import { weighHosts } from './weighers.js';
import type { HostState } from './host-state.js';

export type { RequestSpec, GroupPolicy } from './filters.js';

/** Nova's NoValidHost, which the build turns into an ERROR server with a 500 fault. */
export class NoValidHost extends Error {
  constructor(readonly reason: string, readonly failedFilter: string | null) {
    super(`No valid host was found. ${reason}`);
    this.name = 'NoValidHost';
  }
}

export function consume(host: HostState, spec: RequestSpec): HostState {
  const groupMembers = new Map(host.groupMembers);
  if (spec.group) groupMembers.set(spec.group.id, (groupMembers.get(spec.group.id) ?? 0) + 1);
  return {
    ...host,
    vcpusUsed: host.vcpusUsed + spec.vcpus,
    memoryMbUsed: host.memoryMbUsed + spec.memoryMb,
    diskGbUsed: host.diskGbUsed + spec.diskGb,
    instances: host.instances + 1,
    groupMembers,
  };
}

/** One host per instance, in order; throws NoValidHost when any instance cannot be placed. */
export function selectHosts(hosts: readonly HostState[], spec: RequestSpec, count = 1): string[] {
  let states = [...hosts];
  const chosen: string[] = [];
  for (let i = 0; i < count; i++) {
    const { hosts: passing, failedFilter } = filterHosts(states, spec);
    const best = weighHosts(passing, spec)[0];
    if (!best) throw new NoValidHost('There are not enough hosts available.', failedFilter);
    chosen.push(best.host.name);
    states = states.map((h) => (h.name === best.host.name ? consume(h, spec) : h));
  }
  return chosen;
}
