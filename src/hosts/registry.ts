/**
 * The hosts of the cloud and the network agents they run. A host registers itself with its
 * roles and capacity, then heartbeats; it is alive while its last heartbeat is recent (the
 * 75 s Neutron and Nova use by default). Nova's hypervisors and services, Neutron's agents
 * and both schedulers read this one table.
 */
import { cpus, hostname, totalmem } from 'node:os';
import { statfsSync } from 'node:fs';
import type { Store } from '../store/store.js';
import type { AgentRow, HostRow } from '../store/schema-hosts.js';
import { nowIso, uuid } from '../util/ids.js';

export type HostRole = 'compute' | 'l2' | 'dhcp' | 'l3' | 'metadata';

export const ALL_ROLES: readonly HostRole[] = ['compute', 'l2', 'dhcp', 'l3', 'metadata'];

export interface HostSpec {
  readonly name: string;
  readonly roles: readonly HostRole[];
  readonly availabilityZone: string;
  readonly underlayIp: string | null;
  readonly hypervisorType: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
}

/** The Neutron agent each network role shows up as in /v2.0/agents. */
export const AGENT_OF_ROLE: Readonly<Partial<Record<HostRole, { type: string; binary: string; topic: string }>>> = {
  l2: { type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A' },
  dhcp: { type: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent' },
  l3: { type: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent' },
  metadata: { type: 'Metadata agent', binary: 'neutron-metadata-agent', topic: 'N/A' },
};

/** The all-in-one host's underlay address: inside Kumo's fabric namespace only, never on a real NIC. */
export const DEFAULT_UNDERLAY_IP = '100.64.0.1';

export const AGENT_DOWN_AFTER_MS = 75_000;
export const HEARTBEAT_INTERVAL_MS = 10_000;

export function hostAlive(host: Pick<HostRow, 'heartbeat_at' | 'forced_down'>, now = Date.now()): boolean {
  return host.forced_down === 0 && now - host.heartbeat_at < AGENT_DOWN_AFTER_MS;
}

export function hostRoles(host: Pick<HostRow, 'roles'>): HostRole[] {
  return JSON.parse(host.roles) as HostRole[];
}

/** This machine as an all-in-one host: every role, its real CPU, memory and disk. */
export function localHostSpec(home: string, env: NodeJS.ProcessEnv = process.env): HostSpec {
  let diskGb = 100;
  try {
    const fs = statfsSync(home);
    diskGb = Math.floor((fs.blocks * fs.bsize) / 1024 ** 3);
  } catch {
    // Keep the default when the filesystem cannot be asked.
  }
  return {
    name: env.KUMO_HOST_NAME || hostname(),
    roles: ALL_ROLES,
    availabilityZone: env.KUMO_AVAILABILITY_ZONE || 'nova',
    // The host's address on Kumo's sandboxed underlay (VXLAN's local address); simulated
    // hosts of the same home take the next addresses of the same /24.
    underlayIp: env.KUMO_UNDERLAY_IP || DEFAULT_UNDERLAY_IP,
    hypervisorType: 'fake',
    vcpus: cpus().length,
    memoryMb: Math.floor(totalmem() / 1024 ** 2),
    diskGb,
  };
}

export class HostRegistry {
  constructor(private readonly store: Store) {}

  /** Creates or refreshes the host and its agents; admin choices (enabled, admin_state_up) survive. */
  async register(spec: HostSpec): Promise<void> {
    const now = nowIso();
    await this.store.transaction(async (tx) => {
      const existing = await tx.selectFrom('hosts').select('name').where('name', '=', spec.name).executeTakeFirst();
      const values = {
        roles: JSON.stringify(spec.roles), availability_zone: spec.availabilityZone, underlay_ip: spec.underlayIp,
        hypervisor_type: spec.hypervisorType, vcpus: spec.vcpus, memory_mb: spec.memoryMb, disk_gb: spec.diskGb,
        started_at: now, heartbeat_at: Date.now(),
      };
      if (existing) await tx.updateTable('hosts').set(values).where('name', '=', spec.name).execute();
      else await tx.insertInto('hosts').values({ name: spec.name, ...values, enabled: 1, disabled_reason: null, forced_down: 0, created_at: now }).execute();
      for (const role of spec.roles) {
        const agent = AGENT_OF_ROLE[role];
        if (!agent) continue;
        await tx.insertInto('agents').values({
          id: uuid(), host: spec.name, agent_type: agent.type, binary: agent.binary, topic: agent.topic, admin_state_up: 1,
          description: null, configurations: '{}', created_at: now, started_at: now,
        }).onConflict((oc) => oc.columns(['host', 'agent_type']).doUpdateSet({ started_at: now })).execute();
      }
    });
  }

  async heartbeat(name: string): Promise<void> {
    await this.store.db.updateTable('hosts').set({ heartbeat_at: Date.now() }).where('name', '=', name).execute();
  }

  async hosts(): Promise<HostRow[]> {
    return this.store.db.selectFrom('hosts').selectAll().orderBy('name').execute();
  }

  async agents(): Promise<(AgentRow & { heartbeat_at: number; forced_down: number })[]> {
    return this.store.db.selectFrom('agents').innerJoin('hosts', 'hosts.name', 'agents.host')
      .selectAll('agents').select(['hosts.heartbeat_at', 'hosts.forced_down']).orderBy('agents.host').orderBy('agents.agent_type').execute();
  }

  /** Registers the host, then heartbeats until the returned stop function is called. */
  async runLocal(spec: HostSpec): Promise<() => void> {
    await this.register(spec);
    const timer = setInterval(() => {
      this.heartbeat(spec.name).catch(() => undefined);
    }, HEARTBEAT_INTERVAL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}
