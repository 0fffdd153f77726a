/** Row types of Nova's instance tables (migration 0007). Same conventions as schema.ts. */
import type { Generated, Selectable } from 'kysely';
import type { Bool } from './schema.js';

export interface InstanceTable {
  /** Nova's internal integer id: instance-%08x on the host. */
  id: Generated<number>;
  uuid: string;
  name: string;
  description: string | null;
  hostname: string;
  project_id: string;
  user_id: string;
  /** '' for a server booted from a volume. */
  image_ref: string;
  flavor_id: string;
  /** The flavor as it was at boot (JSON): it survives the flavor's deletion. */
  flavor: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  config_drive: string;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  disk_config: string;
  /** 'owner' or 'admin' while locked. */
  locked_by: string | null;
  locked_reason: string | null;
  progress: number;
  launch_index: number;
  reservation_id: string;
  root_device_name: string | null;
  /** The networks asked for at create (JSON list of RequestedNetwork), read by the build. */
  requested_networks: string;
  /** Security group names or ids asked for at create (JSON list). */
  requested_security_groups: string;
  scheduler_hints: string;
  forced_host: string | null;
  forced_node: string | null;
  trusted_certs: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted: Bool;
}

export interface InstanceMetadataRow {
  instance_uuid: string;
  key: string;
  value: string;
}

export interface InstanceSystemMetadataRow {
  instance_uuid: string;
  key: string;
  value: string;
}

export interface InstanceTagRow {
  instance_uuid: string;
  tag: string;
}

export interface InstanceInterfaceRow {
  port_id: string;
  instance_uuid: string;
  network_id: string;
  preserve_on_delete: Bool;
  tag: string | null;
  position: number;
  created_at: string;
}

export interface InstanceActionTable {
  id: Generated<number>;
  instance_uuid: string;
  action: string;
  request_id: string;
  project_id: string;
  user_id: string;
  start_time: string;
  finish_time: string | null;
  message: string | null;
  updated_at: string;
}

export interface InstanceActionEventTable {
  id: Generated<number>;
  action_id: number;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
}

export interface InstanceFaultTable {
  id: Generated<number>;
  instance_uuid: string;
  code: number;
  message: string;
  details: string;
  host: string | null;
  created_at: string;
}

export interface MigrationTable {
  id: Generated<number>;
  uuid: string;
  instance_uuid: string;
  /** live-migration (cold migrations and resizes are not done by Kumo). */
  migration_type: string;
  /** accepted, running, completed, error */
  status: string;
  source_compute: string | null;
  source_node: string | null;
  dest_compute: string | null;
  dest_node: string | null;
  dest_host: string | null;
  project_id: string;
  user_id: string;
  created_at: string;
  updated_at: string | null;
}

export interface ServerTables {
  instances: InstanceTable;
  instance_metadata: InstanceMetadataRow;
  instance_tags: InstanceTagRow;
  instance_system_metadata: InstanceSystemMetadataRow;
  instance_interfaces: InstanceInterfaceRow;
  instance_actions: InstanceActionTable;
  instance_action_events: InstanceActionEventTable;
  instance_faults: InstanceFaultTable;
  migrations: MigrationTable;
}

/** Rows as queries return them (generated ids filled in). */
export type InstanceRow = Selectable<InstanceTable>;
export type InstanceActionRow = Selectable<InstanceActionTable>;
export type InstanceActionEventRow = Selectable<InstanceActionEventTable>;
export type InstanceFaultRow = Selectable<InstanceFaultTable>;
export type MigrationRow = Selectable<MigrationTable>;
