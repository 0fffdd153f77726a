/**
 * The metadata-proxy part of diff(): proxies of networks no longer planned stop (before their
 * namespaces go), a planned proxy gets its config written and starts, and a running one whose
 * config changed is restarted (haproxy reads its config once). Pure, like diff.ts.
 */
import type { Action } from './actions.js';
import type { ObservedHost } from './observed.js';
import type { HostPlan, MetadataProxyPlan } from './plan.js';

export function stopUnplannedProxies(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  const planned = new Set((plan.metadata ?? []).map((m) => m.networkId));
  for (const [networkId, o] of obs.metadata ?? []) {
    if (!planned.has(networkId) && o.pid !== null) out.push({ op: 'metadata.stop', networkId, dir: o.dir, pid: o.pid });
  }
}

export function metadataProxy(out: Action[], obs: ObservedHost, m: MetadataProxyPlan): void {
  const o = obs.metadata?.get(m.networkId);
  const changed = o?.config !== m.config;
  if (changed) out.push({ op: 'metadata.config', networkId: m.networkId, dir: m.dir, config: m.config });
  const pid = o?.pid ?? null;
  if (pid !== null && !changed) return;
  if (pid !== null) out.push({ op: 'metadata.stop', networkId: m.networkId, dir: m.dir, pid });
  out.push({ op: 'metadata.start', networkId: m.networkId, ns: m.ns, dir: m.dir, argv: m.argv });
}
