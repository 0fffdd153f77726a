/**
 * Scheduler weighers: each scores the hosts that passed the filters; scores are normalised to
 * [0, 1] across the hosts and summed with their multipliers, as Nova does. With the defaults
 * the host with the most free RAM wins (seed 001: the least loaded host gets the new server),
 * then the one with the most free vCPUs; soft server group policies pull or push.
 */
import { usableMemoryMb, usableVcpus, type HostState } from './host-state.js';
import type { RequestSpec } from './filters.js';

export interface Weigher {
  readonly name: string;
  readonly multiplier: number;
  weigh(host: HostState, spec: RequestSpec): number;
}

export const WEIGHERS: readonly Weigher[] = [
  { name: 'RAMWeigher', multiplier: 1.0, weigh: (h) => usableMemoryMb(h) - h.memoryMbUsed },
  { name: 'CPUWeigher', multiplier: 1.0, weigh: (h) => usableVcpus(h) - h.vcpusUsed },
  {
    name: 'ServerGroupSoftAffinityWeigher', multiplier: 1.0,
    weigh: (h, s) => (s.group?.policy === 'soft-affinity' ? h.groupMembers.get(s.group.id) ?? 0 : 0),
  },
  {
    name: 'ServerGroupSoftAntiAffinityWeigher', multiplier: 1.0,
    weigh: (h, s) => (s.group?.policy === 'soft-anti-affinity' ? -(h.groupMembers.get(s.group.id) ?? 0) : 0),
  },
];

/** Nova's normalisation: (v - min) / (max - min), all zero when every host scores the same. */
function normalise(values: readonly number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((v) => (max === min ? 0 : (v - min) / (max - min)));
}

/** The hosts best first; equal weights keep name order, so placement is reproducible. */
export function weighHosts(hosts: readonly HostState[], spec: RequestSpec): { host: HostState; weight: number }[] {
  const totals = hosts.map(() => 0);
  for (const w of WEIGHERS) {
    const scores = normalise(hosts.map((h) => w.weigh(h, spec)));
    scores.forEach((score, i) => { totals[i] = (totals[i] ?? 0) + score * w.multiplier; });
  }
  return hosts
    .map((host, i) => ({ host, weight: totals[i] ?? 0 }))
    .sort((a, b) => b.weight - a.weight || a.host.name.localeCompare(b.host.name));
}
