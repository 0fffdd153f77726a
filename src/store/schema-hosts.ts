/** Row types of the hosts and agents tables (migration 0004). */
import type { Bool } from './schema.js';

export interface HostRow {
  name: string;
  /** JSON list of roles: compute, l2, dhcp, l3, metadata. */
  roles: string;
  availability_zone: string;
  underlay_ip: string | null;
  hypervisor_type: string;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  enabled: Bool;
  disabled_reason: string | null;
  forced_down: Bool;
  started_at: string;
  /** Last sign of life, ms since the epoch. */
  heartbeat_at: number;
  created_at: string;
}

export interface AgentRow {
  id: string;
  host: string;
  agent_type: string;
  binary: string;
  topic: string;
  admin_state_up: Bool;
  description: string | null;
  configurations: string;
  created_at: string;
  started_at: string;
}

export interface HostTables {
  hosts: HostRow;
  agents: AgentRow;
}
