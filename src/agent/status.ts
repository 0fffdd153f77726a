/**
 * What the agent reports back, from what it observed (never from what it meant to do): a DHCP
 * port wired into its bridge and namespace with dnsmasq running is ACTIVE and bound to this
 * host with the bridge VIF type; an instance port is ACTIVE once its tap is in its bridge and up.
 * Only rows whose observed fields differ are written, so a steady cloud sees no writes.
 */
import type { ObservedHost } from '../dataplane/observed.js';
import type { HostPlan } from '../dataplane/plan.js';
import type { Db } from '../store/store.js';
import { nowIso } from '../util/ids.js';
import type { Model } from './model.js';

export interface PortReport {
  readonly portId: string;
  readonly status: 'ACTIVE' | 'DOWN';
  readonly hostId: string;
  readonly vifType: string;
  /** An instance port is written only while still bound here (it may have moved since the model was read). */
  readonly onlyIfBoundHere: boolean;
}

export const VIF_TYPE = 'bridge';

function wiredTap(obs: ObservedHost, ns: string, tap: string, bridge: string): boolean {
  const link = obs.links.get(ns)?.get(tap);
  return link !== undefined && link.master === bridge && link.up;
}

/** The reports whose values differ from the model's: what must be written. Pure. */
export function portReports(plan: HostPlan, obs: ObservedHost, model: Model, instancePorts: boolean): PortReport[] {
  const ports = new Map(model.ports.map((p) => [p.id, p]));
  const out: PortReport[] = [];
  const push = (r: PortReport) => {
    const p = ports.get(r.portId);
    if (p && (p.status !== r.status || p.hostId !== r.hostId || p.vifType !== r.vifType)) out.push(r);
  };
  for (const d of plan.dhcp) {
    const dev = obs.links.get(d.ns)?.get(d.device);
    const addressed = dev !== undefined && dev.up && d.addresses.every((a) => dev.addresses.includes(a));
    const serving = obs.dhcp.get(d.networkId)?.pid != null;
    const active = wiredTap(obs, plan.hostNs, d.tap, d.bridge) && addressed && serving;
    push({ portId: d.portId, status: active ? 'ACTIVE' : 'DOWN', hostId: plan.host, vifType: VIF_TYPE, onlyIfBoundHere: false });
  }
  if (instancePorts) {
    for (const t of plan.taps) {
      const p = ports.get(t.portId);
      if (!p) continue;
      const active = t.up && wiredTap(obs, plan.hostNs, t.tap, t.bridge);
      push({ portId: t.portId, status: active ? 'ACTIVE' : 'DOWN', hostId: plan.host, vifType: active ? VIF_TYPE : p.vifType, onlyIfBoundHere: true });
    }
  }
  return out;
}

/**
 * Ports whose DHCP this host is ready to answer: on a network this host's dnsmasq serves, its
 * MAC is in the host file dnsmasq runs with (`hostFile`: null while none runs); a port of a
 * network served elsewhere (or nowhere) has nothing to wait for here. What a booting instance
 * waits for (Agent.settled). Pure.
 */
export function dhcpReadyPorts(plan: HostPlan, model: Model, hostFile: (networkId: string) => string | null): Set<string> {
  const local = new Set(plan.dhcp.map((d) => d.networkId));
  // The MACs each host file names, found once per network: searching the whole file for every
  // port's MAC was quadratic (a thousand ports made it most of a pass).
  const macs = new Map<string, ReadonlySet<string>>();
  const macsOf = (networkId: string): ReadonlySet<string> => {
    let found = macs.get(networkId);
    if (!found) {
      found = new Set((hostFile(networkId) ?? '').toLowerCase().match(MAC_PATTERN) ?? []);
      macs.set(networkId, found);
    }
    return found;
  };
  const ready = new Set<string>();
  for (const p of model.ports) {
    if (!local.has(p.networkId) || macsOf(p.networkId).has(p.mac.toLowerCase())) ready.add(p.id);
  }
  return ready;
}

const MAC_PATTERN = /[0-9a-f]{2}(?::[0-9a-f]{2}){5}/g;

/** dnsmasq's host file as observed (null when no dnsmasq runs for the network). */
export const observedHostFile = (obs: ObservedHost) => (networkId: string): string | null => {
  const d = obs.dhcp.get(networkId);
  return d?.pid != null ? d.files.host : null;
};

/** dnsmasq's host file as the plan has it: what a successful apply has just written and loaded. */
export const plannedHostFile = (plan: HostPlan) => (networkId: string): string | null =>
  plan.dhcp.find((d) => d.networkId === networkId)?.files.host ?? null;

export async function writePortReports(db: Db, reports: readonly PortReport[]): Promise<void> {
  if (reports.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (const r of reports) {
      const row = await tx.selectFrom('ports').select(['revision_number', 'binding_vif_details', 'binding_host_id']).where('id', '=', r.portId).executeTakeFirst();
      if (!row || (r.onlyIfBoundHere && row.binding_host_id !== r.hostId)) continue;
      await tx.updateTable('ports').set({
        status: r.status, binding_host_id: r.hostId, binding_vif_type: r.vifType,
        // Security groups and port security are enforced on the bridge (compile-firewall.ts).
        binding_vif_details: r.vifType === VIF_TYPE ? JSON.stringify({ port_filter: true, connectivity: 'l2' }) : row.binding_vif_details,
        revision_number: Number(row.revision_number) + 1, updated_at: nowIso(),
      }).where('id', '=', r.portId).execute();
    }
  });
}
