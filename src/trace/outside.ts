/**
 * The sandboxed outside world as the data plane builds it (upstream router, outside host, the
 * host-access address), recompiled from the stored model with the agent's own pure compiler, so
 * `kumo trace` and the kernel agree on where the outside host lives and what the machine holds.
 */
import type { Db } from '../store/store.js';
import { loadModel } from '../agent/model.js';
import { compileOutside } from '../agent/compile-router.js';
import { homeHash } from '../dataplane/names.js';
import type { OutsideWorld } from './path.js';

export async function outsideWorld(db: Db, home: string, hostAccess: boolean): Promise<OutsideWorld | null> {
  const model = await loadModel(db);
  const l3Host = model.l3?.l3Hosts[0];
  if (!l3Host) return null;
  const plan = compileOutside(model, { host: l3Host, homeHash: homeHash(home), physicalMtu: 1500, hostAccess }, new Set());
  if (!plan) return null;
  return {
    cidr: plan.outsideCidr,
    hostIp: plan.outsideIp,
    hostAccess: (plan.hostAccess?.addresses ?? []).map((a) => a.split('/')[0] as string),
  };
}
