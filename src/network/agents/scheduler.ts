/**
 * Placing routers on L3 agents and networks on DHCP agents, as Neutron's default schedulers
 * do: the least loaded usable agent (fewest routers, fewest networks) takes a new router or
 * DHCP network; an HA router goes to every usable L3 agent up to three. Bindings stay where
 * they are when a host dies (a legacy router does not move, as seed 001 observed); an HA
 * router's active instance moves instead (see haStates).
 */
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { agentAlive, agentUsable, DHCP_AGENT, L3_AGENT, loadAgents, type AgentRecord } from './records.js';

export const MAX_L3_AGENTS_PER_HA_ROUTER = 3;

async function loads(tx: Tx, table: 'router_l3_agent_bindings' | 'network_dhcp_agent_bindings'): Promise<Map<string, number>> {
  const rows = await tx.selectFrom(table).select((eb) => ['agent_id', eb.fn.countAll<number>().as('n')]).groupBy('agent_id').execute();
  return new Map(rows.map((r) => [r.agent_id, Number(r.n)]));
}

function leastLoaded(agents: readonly AgentRecord[], load: Map<string, number>): AgentRecord[] {
  return [...agents].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.host.localeCompare(b.host));
}

/** Binds an unhosted router to L3 agents; returns whether the router is hosted afterwards. */
export async function scheduleRouter(tx: Tx, router: { id: string; ha: number }): Promise<boolean> {
  const bound = await tx.selectFrom('router_l3_agent_bindings').select('agent_id').where('router_id', '=', router.id).execute();
  if (bound.length > 0) return true;
  const candidates = (await loadAgents(tx, { type: L3_AGENT })).filter((a) => agentUsable(a));
  if (candidates.length === 0) return false;
  const chosen = leastLoaded(candidates, await loads(tx, 'router_l3_agent_bindings')).slice(0, router.ha === 1 ? MAX_L3_AGENTS_PER_HA_ROUTER : 1);
  const now = nowIso();
  await tx.insertInto('router_l3_agent_bindings').values(chosen.map((a) => ({ router_id: router.id, agent_id: a.id, created_at: now })))
    .onConflict((oc) => oc.doNothing()).execute();
  return true;
}

/** Gives a network with DHCP-enabled subnets a DHCP agent if it has none. */
export async function scheduleNetworkDhcp(tx: Tx, networkId: string): Promise<void> {
  const bound = await tx.selectFrom('network_dhcp_agent_bindings').select('agent_id').where('network_id', '=', networkId).executeTakeFirst();
  if (bound) return;
  const candidates = (await loadAgents(tx, { type: DHCP_AGENT })).filter((a) => agentUsable(a));
  const [chosen] = leastLoaded(candidates, await loads(tx, 'network_dhcp_agent_bindings'));
  if (!chosen) return;
  await tx.insertInto('network_dhcp_agent_bindings').values({ network_id: networkId, agent_id: chosen.id, created_at: nowIso() })
    .onConflict((oc) => oc.doNothing()).execute();
}

/**
 * The HA state of a router on each agent hosting it: the first usable agent (in binding
 * order) is active, the others standby; when every agent is down nobody knows ("unknown").
 */
export function haStates(agents: readonly AgentRecord[], now = Date.now()): Map<string, string> {
  const states = new Map<string, string>();
  const usable = agents.filter((a) => a.admin_state_up === 1 && agentAlive(a, now));
  for (const a of agents) states.set(a.id, usable.length === 0 ? 'unknown' : a === usable[0] ? 'active' : 'standby');
  return states;
}
