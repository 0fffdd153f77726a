/** Row types of migrations 0009 (Nova's service records, per-user quotas, quota classes) and 0011 (aggregates). */
import type { Generated } from 'kysely';
import type { Bool } from './schema.js';

export interface ComputeServiceRow {
  id: Generated<number>;
  uuid: string;
  /** The compute node's uuid (os-hypervisors ids from 2.53); unused for other binaries. */
  node_uuid: string;
  host: string;
  /** nova-compute, nova-scheduler, nova-conductor */
  binary: string;
  topic: string;
  /** For services other than nova-compute (whose state is in the hosts table). */
  disabled: Bool;
  disabled_reason: string | null;
  forced_down: Bool;
  /** 1 once deleted through the API: hidden until the host starts again. */
  deleted: Bool;
  /** The host's started_at when this row was made or deleted. */
  host_started_at: string;
  created_at: string;
  updated_at: string | null;
}

export interface ComputeUserQuotaRow {
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
}

export interface ComputeQuotaClassRow {
  class_name: string;
  resource: string;
  hard_limit: number;
}

export interface AggregateRow {
  id: Generated<number>;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface AggregateHostRow {
  aggregate_id: number;
  host: string;
}

export interface AggregateMetadataRow {
  aggregate_id: number;
  key: string;
  value: string;
}

export interface ComputeCatalogTables {
  compute_services: ComputeServiceRow;
  compute_user_quotas: ComputeUserQuotaRow;
  compute_quota_classes: ComputeQuotaClassRow;
  aggregates: AggregateRow;
  aggregate_hosts: AggregateHostRow;
  aggregate_metadata: AggregateMetadataRow;
}
