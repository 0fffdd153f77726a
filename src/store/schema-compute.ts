/** Row types of Nova's tables (migration 0006 and the servers migration). */
import type { Bool } from './schema.js';

export interface FlavorRow {
  id: string;
  name: string;
  vcpus: number;
  /** MiB */
  ram: number;
  /** GiB */
  disk: number;
  ephemeral: number;
  swap: number;
  rxtx_factor: number;
  is_public: Bool;
  disabled: Bool;
  description: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface FlavorExtraSpecRow {
  flavor_id: string;
  key: string;
  value: string;
}

export interface FlavorProjectRow {
  flavor_id: string;
  project_id: string;
}

export interface KeypairRow {
  /** Display id, added by migration 0009 (null only for rows made before it). */
  id: number | null;
  user_id: string;
  name: string;
  type: string;
  public_key: string;
  fingerprint: string;
  created_at: string;
}

export interface ServerGroupRow {
  id: string;
  name: string;
  project_id: string;
  user_id: string;
  /** affinity, anti-affinity, soft-affinity, soft-anti-affinity */
  policy: string;
  rules: string;
  created_at: string;
}

export interface ServerGroupMemberRow {
  group_id: string;
  server_id: string;
}

export interface ComputeTables {
  flavors: FlavorRow;
  flavor_extra_specs: FlavorExtraSpecRow;
  flavor_projects: FlavorProjectRow;
  keypairs: KeypairRow;
  server_groups: ServerGroupRow;
  server_group_members: ServerGroupMemberRow;
}
