/**
 * Neutron agents as the hosts registry records them (one agent per host and network role),
 * with what Neutron derives from them: `alive` from the host's heartbeat, the availability
 * zone of the host, and the Python-style timestamps Neutron prints for agents.
 */
import type { AgentRow } from '../../store/schema-hosts.js';
import type { Db, Tx } from '../../store/store.js';
import { hostAlive } from '../../hosts/registry.js';

export const L3_AGENT = 'L3 agent';
export const DHCP_AGENT = 'DHCP agent';

export interface AgentRecord extends AgentRow {
  readonly heartbeat_at: number;
  readonly forced_down: number;
  readonly availability_zone: string;
}

export async function loadAgents(db: Db | Tx, filter: { id?: string; type?: string } = {}): Promise<AgentRecord[]> {
  let query = db.selectFrom('agents').innerJoin('hosts', 'hosts.name', 'agents.host')
    .selectAll('agents').select(['hosts.heartbeat_at', 'hosts.forced_down', 'hosts.availability_zone']);
  if (filter.id !== undefined) query = query.where('agents.id', '=', filter.id);
  if (filter.type !== undefined) query = query.where('agents.agent_type', '=', filter.type);
  const rows = await query.orderBy('agents.host').orderBy('agents.agent_type').execute();
  // PostgreSQL's bigint arrives as a string.
  return rows.map((r) => ({ ...r, heartbeat_at: Number(r.heartbeat_at), forced_down: Number(r.forced_down) }));
}

export function agentAlive(agent: Pick<AgentRecord, 'heartbeat_at' | 'forced_down'>, now = Date.now()): boolean {
  return hostAlive({ heartbeat_at: agent.heartbeat_at, forced_down: agent.forced_down as 0 | 1 }, now);
}

/** An agent that may take new work: alive and administratively up. */
export function agentUsable(agent: AgentRecord, now = Date.now()): boolean {
  return agent.admin_state_up === 1 && agentAlive(agent, now);
}

/** "2017-09-12 19:19:36": how Neutron prints an agent's times. */
export function agentTime(value: string | number): string {
  return new Date(value).toISOString().slice(0, 19).replace('T', ' ');
}
