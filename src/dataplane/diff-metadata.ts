/**
 * The metadata-proxy part of diff(), for networks' (qdhcp-) and routers' (qrouter-) proxies
 * alike: proxies no longer planned stop (before their namespaces go), a planned proxy gets its
 * config written and starts, and a running one whose config changed is restarted (haproxy reads
 * its config once). Pure, like diff.ts.
 */
import type { Action } from './actions.js';
import type { ObservedHost } from './observed.js';
import type { HostPlan, MetadataProxyPlan } from './plan.js';

export function stopUnplannedProxies(out: Action[], plan: HostPlan, obs: ObservedHost): void {
  const planned = new Set((plan.metadata ?? []).map((m) => m.id));
  for (const [id, o] of obs.metadata ?? []) {
    if (!planned.has(id) && o.pid !== null) out.push({ op: 'metadata.stop', id, dir: o.dir, pid: o.pid });
  }
}

export function metadataProxy(out: Action[], obs: ObservedHost, m: MetadataProxyPlan): void {
  const o = obs.metadata?.get(m.id);
  const changed = o?.config !== m.config;
  if (changed) out.push({ op: 'metadata.config', id: m.id, dir: m.dir, config: m.config });
  const pid = o?.pid ?? null;
  if (pid !== null && !changed) return;
  if (pid !== null) out.push({ op: 'metadata.stop', id: m.id, dir: m.dir, pid });
  out.push({ op: 'metadata.start', id: m.id, ns: m.ns, dir: m.dir, argv: m.argv });
}
