/**
 * Fixtures for the hypervisor, service and quota tests: extra hosts registered the way a
 * compute agent registers itself, and instance rows standing for servers placed on a host
 * (what the servers API writes), so usage figures can be checked through the catalog APIs.
 */
import { randomUUID } from 'node:crypto';
import type { HostRole } from '../../src/hosts/registry.js';
import type { TestCloud } from './cloud.js';

export async function registerHost(cloud: TestCloud, name: string, options: { roles?: HostRole[]; az?: string; vcpus?: number; memoryMb?: number; diskGb?: number; hypervisorType?: string } = {}): Promise<void> {
  await cloud.hosts.register({
    name, roles: options.roles ?? ['compute'], availabilityZone: options.az ?? 'nova', underlayIp: '192.0.2.50',
    hypervisorType: options.hypervisorType ?? 'fake', vcpus: options.vcpus ?? 8, memoryMb: options.memoryMb ?? 16384, diskGb: options.diskGb ?? 100,
  });
}

/** Makes a host look dead: its last heartbeat long ago. */
export async function silenceHost(cloud: TestCloud, name: string): Promise<void> {
  await cloud.store.db.updateTable('hosts').set({ heartbeat_at: Date.now() - 10 * 60_000 }).where('name', '=', name).execute();
}

export interface FakeServer {
  readonly projectId: string;
  readonly userId: string;
  readonly host: string | null;
  readonly vcpus?: number;
  readonly memoryMb?: number;
  readonly rootGb?: number;
  readonly name?: string;
}

/** Inserts an instance row as the servers API would for an ACTIVE server; returns its uuid. */
export async function fakeServer(cloud: TestCloud, s: FakeServer): Promise<string> {
  const uuid = randomUUID();
  const now = new Date().toISOString();
  const flavor = { vcpus: s.vcpus ?? 1, ram: s.memoryMb ?? 512, disk: s.rootGb ?? 1 };
  await cloud.store.db.insertInto('instances').values({
    uuid, name: s.name ?? `srv-${uuid.slice(0, 8)}`, description: null, hostname: `srv-${uuid.slice(0, 8)}`, project_id: s.projectId, user_id: s.userId,
    image_ref: '', flavor_id: '1', flavor: JSON.stringify(flavor), vcpus: flavor.vcpus, memory_mb: flavor.ram, root_gb: flavor.disk,
    ephemeral_gb: 0, vm_state: 'active', task_state: null, power_state: 1, host: s.host, node: s.host, availability_zone: 'nova',
    key_name: null, key_data: null, user_data: null, config_drive: '', access_ip_v4: null, access_ip_v6: null, disk_config: 'MANUAL',
    locked_by: null, locked_reason: null, progress: 0, launch_index: 0, reservation_id: `r-${uuid.slice(0, 8)}`, root_device_name: null,
    requested_networks: '[]', requested_security_groups: '[]', scheduler_hints: '{}', forced_host: null, forced_node: null,
    trusted_certs: null, launched_at: now, terminated_at: null, created_at: now, updated_at: now, deleted_at: null, deleted: 0,
  }).execute();
  return uuid;
}

export async function deleteFakeServer(cloud: TestCloud, uuid: string): Promise<void> {
  await cloud.store.db.updateTable('instances').set({ deleted: 1, deleted_at: new Date().toISOString() }).where('uuid', '=', uuid).execute();
}
