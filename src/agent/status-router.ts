/**
 * What the agent reports about routers, from what it observed: a router's interface and gateway
 * ports are ACTIVE (bound to this host, VIF type bridge) once their veth is in the network's
 * bridge and their device is up with its addresses in the qrouter- namespace, DOWN while the
 * router is administratively down; a floating IP is ACTIVE once its router here holds it on qg-
 * (and its NAT is in place), DOWN when it is not associated (reported by the first L3 host, as
 * no router owns it then). Only rows whose status differs are written.
 */
import { nftKey } from '../dataplane/nft-table.js';
import type { ObservedHost } from '../dataplane/observed.js';
import type { HostPlan } from '../dataplane/plan.js';
import type { RouterPlan } from '../dataplane/plan-router.js';
import type { Db } from '../store/store.js';
import { nowIso } from '../util/ids.js';
import type { Model } from './model.js';
import { NAT_FAMILY, NAT_TABLE } from './compile-nat.js';
import { EMPTY_L3 } from './model-l3.js';
import { VIF_TYPE, type PortReport } from './status.js';

export interface FloatingIpReport {
  readonly id: string;
  readonly status: 'ACTIVE' | 'DOWN';
  /** ACTIVE is written only while the floating IP is still associated with this router and address. */
  readonly routerId: string | null;
  readonly fixedIp: string | null;
}

/** The router's NAT table is in place exactly as planned (same content hash, not drifted). */
function natApplied(plan: HostPlan, obs: ObservedHost, r: RouterPlan): boolean {
  const want = (plan.nftTables ?? []).find((t) => t.ns === r.ns && t.family === NAT_FAMILY && t.name === NAT_TABLE);
  const have = want && obs.nft?.get(r.ns)?.get(nftKey(want.family, want.name));
  return have !== undefined && have.hash === want?.hash && !have.drifted;
}

function wired(plan: HostPlan, obs: ObservedHost, r: RouterPlan, portId: string): boolean {
  const p = r.ports.find((x) => x.portId === portId);
  if (!p) return false;
  const tap = obs.links.get(plan.hostNs)?.get(p.tap);
  const dev = obs.links.get(r.ns)?.get(p.device);
  return tap !== undefined && tap.master === p.bridge && tap.up && dev !== undefined && dev.up && p.addresses.every((a) => dev.addresses.includes(a));
}

export function routerPortReports(plan: HostPlan, obs: ObservedHost, model: Model): PortReport[] {
  const ports = new Map(model.ports.map((p) => [p.id, p]));
  const out: PortReport[] = [];
  for (const r of plan.routers ?? []) {
    for (const p of r.ports) {
      const row = ports.get(p.portId);
      const status = r.up && wired(plan, obs, r, p.portId) ? 'ACTIVE' : 'DOWN';
      if (row && (row.status !== status || row.hostId !== plan.host || row.vifType !== VIF_TYPE)) {
        out.push({ portId: p.portId, status, hostId: plan.host, vifType: VIF_TYPE, onlyIfBoundHere: false });
      }
    }
  }
  return out;
}

export function floatingIpReports(plan: HostPlan, obs: ObservedHost, model: Model): FloatingIpReport[] {
  const l3 = model.l3 ?? EMPTY_L3;
  const routers = new Map((plan.routers ?? []).map((r) => [r.routerId, r]));
  const reportsUnassociated = l3.l3Hosts[0] === plan.host;
  const out: FloatingIpReport[] = [];
  for (const f of l3.floatingIps) {
    if (!f.routerId || !f.fixedIp) {
      if (reportsUnassociated && f.status !== 'DOWN') out.push({ id: f.id, status: 'DOWN', routerId: null, fixedIp: null });
      continue;
    }
    const r = routers.get(f.routerId);
    if (!r) {
      // Its router is served nowhere (unscheduled from every L3 agent): nothing holds it.
      const unscheduled = l3.routers.some((x) => x.id === f.routerId && x.hosts.length === 0);
      if (reportsUnassociated && unscheduled && f.status !== 'DOWN') out.push({ id: f.id, status: 'DOWN', routerId: f.routerId, fixedIp: f.fixedIp });
      continue;
    }
    const gateway = r.ports.find((p) => p.kind === 'gateway');
    const held = gateway !== undefined && obs.links.get(r.ns)?.get(gateway.device)?.addresses.includes(`${f.address}/32`) === true;
    const status = r.up && held && wired(plan, obs, r, gateway.portId) && natApplied(plan, obs, r) ? 'ACTIVE' : 'DOWN';
    if (status !== f.status) out.push({ id: f.id, status, routerId: f.routerId, fixedIp: f.fixedIp });
  }
  return out;
}

export async function writeFloatingIpReports(db: Db, reports: readonly FloatingIpReport[]): Promise<void> {
  if (reports.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (const r of reports) {
      let query = tx.updateTable('floatingips')
        .set((eb) => ({ status: r.status, revision_number: eb('revision_number', '+', 1), updated_at: nowIso() }))
        .where('id', '=', r.id).where('status', '!=', r.status);
      // The association may have changed since the model was read: never mark a stale one ACTIVE.
      query = r.routerId === null ? query.where('fixed_port_id', 'is', null) : query.where('router_id', '=', r.routerId).where('fixed_ip_address', '=', r.fixedIp);
      await query.execute();
    }
  });
}
