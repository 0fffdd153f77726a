/**
 * Neutron's agent document. `configurations` is what each agent would report in its heartbeat
 * (Kumo's agents are parts of the host process): its driver settings and how many routers,
 * networks, ports it carries, counted from the bindings.
 */
import type { Db, Tx } from '../../store/store.js';
import { parseJsonObject } from '../../util/json.js';
import type { View } from '../listing.js';
import { agentAlive, agentTime, DHCP_AGENT, L3_AGENT, type AgentRecord } from './records.js';

const ZONED_TYPES = [L3_AGENT, DHCP_AGENT];

async function l3Counts(db: Db | Tx, agentId: string): Promise<Record<string, number>> {
  const routerIds = (await db.selectFrom('router_l3_agent_bindings').select('router_id').where('agent_id', '=', agentId).execute()).map((r) => r.router_id);
  if (routerIds.length === 0) return { routers: 0, interfaces: 0, ex_gw_ports: 0, floating_ips: 0 };
  const ports = await db.selectFrom('router_ports').select('port_type').where('router_id', 'in', routerIds).execute();
  const fips = await db.selectFrom('floatingips').select((eb) => eb.fn.countAll<number>().as('n')).where('router_id', 'in', routerIds).executeTakeFirst();
  const gateways = ports.filter((p) => p.port_type === 'network:router_gateway').length;
  return { routers: routerIds.length, interfaces: ports.length - gateways, ex_gw_ports: gateways, floating_ips: Number(fips?.n ?? 0) };
}

async function dhcpCounts(db: Db | Tx, agentId: string): Promise<Record<string, number>> {
  const networkIds = (await db.selectFrom('network_dhcp_agent_bindings').select('network_id').where('agent_id', '=', agentId).execute()).map((r) => r.network_id);
  if (networkIds.length === 0) return { networks: 0, subnets: 0, ports: 0 };
  const subnets = await db.selectFrom('subnets').select((eb) => eb.fn.countAll<number>().as('n')).where('network_id', 'in', networkIds).where('enable_dhcp', '=', 1).executeTakeFirst();
  const ports = await db.selectFrom('ports').select((eb) => eb.fn.countAll<number>().as('n')).where('network_id', 'in', networkIds).executeTakeFirst();
  return { networks: networkIds.length, subnets: Number(subnets?.n ?? 0), ports: Number(ports?.n ?? 0) };
}

/** The agent's reported configuration: fixed driver settings, live counts, then anything the host stored. */
async function configurations(db: Db | Tx, agent: AgentRecord): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  switch (agent.agent_type) {
    case L3_AGENT:
      base = {
        agent_mode: 'dvr_snat', handle_internal_only_routers: true, gateway_external_network_id: '', external_network_bridge: '',
        interface_driver: 'linuxbridge', log_agent_heartbeats: false, ...(await l3Counts(db, agent.id)),
      };
      break;
    case DHCP_AGENT:
      base = { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, ...(await dhcpCounts(db, agent.id)) };
      break;
    case 'Linux bridge agent':
      base = { bridge_mappings: {}, interface_mappings: {}, tunnel_types: ['vxlan'], l2_population: true, extensions: [] };
      break;
    case 'Metadata agent':
      base = { metadata_proxy_socket: '/var/lib/neutron/metadata_proxy', nova_metadata_host: '127.0.0.1', nova_metadata_port: 8775, log_agent_heartbeats: false };
      break;
    default:
      break;
  }
  return { ...base, ...parseJsonObject(agent.configurations) };
}

export function agentViewSync(agent: AgentRecord, config: Record<string, unknown>, now = Date.now()): View {
  return {
    id: agent.id,
    agent_type: agent.agent_type,
    binary: agent.binary,
    topic: agent.topic,
    host: agent.host,
    admin_state_up: agent.admin_state_up === 1,
    alive: agentAlive(agent, now),
    created_at: agentTime(agent.created_at),
    started_at: agentTime(agent.started_at),
    heartbeat_timestamp: agentTime(agent.heartbeat_at),
    description: agent.description,
    configurations: config,
    availability_zone: ZONED_TYPES.includes(agent.agent_type) ? agent.availability_zone : null,
    resources_synced: null,
  };
}

export async function agentViews(db: Db | Tx, agents: readonly AgentRecord[]): Promise<View[]> {
  const now = Date.now();
  const views: View[] = [];
  for (const a of agents) views.push(agentViewSync(a, await configurations(db, a), now));
  return views;
}

export const AGENT_ATTRIBUTES = ['id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'alive', 'created_at', 'started_at',
  'heartbeat_timestamp', 'description', 'configurations', 'availability_zone', 'resources_synced'];
