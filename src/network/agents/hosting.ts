/** Which agents host a router or a network, and what an agent hosts (the scheduler extensions' read side). */
import type { Db, Tx } from '../../store/store.js';
import type { View } from '../listing.js';
import { loadAgents, type AgentRecord } from './records.js';
import { haStates } from './scheduler.js';
import { agentViews } from './views.js';

async function agentsById(db: Db | Tx, ids: readonly string[]): Promise<AgentRecord[]> {
  const all = await loadAgents(db);
  return ids.map((id) => all.find((a) => a.id === id)).filter((a): a is AgentRecord => a !== undefined);
}

/** The L3 agents hosting the router, in binding order; HA routers show each agent's ha_state. */
export async function l3AgentViewsOfRouter(db: Db | Tx, routerId: string): Promise<View[]> {
  const router = await db.selectFrom('routers').select('ha').where('id', '=', routerId).executeTakeFirst();
  const bindings = await db.selectFrom('router_l3_agent_bindings').select('agent_id').where('router_id', '=', routerId)
    .orderBy('created_at').orderBy('agent_id').execute();
  const agents = await agentsById(db, bindings.map((b) => b.agent_id));
  const views = await agentViews(db, agents);
  if (router?.ha === 1) {
    const states = haStates(agents);
    for (const v of views) v.ha_state = states.get(String(v.id)) ?? 'unknown';
  }
  return views;
}

export async function dhcpAgentViewsOfNetwork(db: Db | Tx, networkId: string): Promise<View[]> {
  const bindings = await db.selectFrom('network_dhcp_agent_bindings').select('agent_id').where('network_id', '=', networkId)
    .orderBy('created_at').orderBy('agent_id').execute();
  return agentViews(db, await agentsById(db, bindings.map((b) => b.agent_id)));
}
