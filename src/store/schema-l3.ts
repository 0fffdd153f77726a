/** Row types of the Neutron L3 tables (migration 0008). Same conventions as schema.ts. */
import type { Bool } from './schema.js';
import type { StandardAttributes } from './schema-network.js';

export interface RouterRow extends StandardAttributes {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: Bool;
  status: string;
  gw_port_id: string | null;
  enable_snat: Bool;
  distributed: Bool;
  ha: Bool;
  availability_zone_hints: string;
}

export interface RouterRouteRow {
  router_id: string;
  destination: string;
  nexthop: string;
}

export interface RouterPortRow {
  port_id: string;
  router_id: string;
  /** The port's device_owner when it was attached (interface kind or router_gateway). */
  port_type: string;
}

export interface FloatingIpRow extends StandardAttributes {
  id: string;
  project_id: string;
  description: string;
  floating_network_id: string;
  floating_ip_address: string;
  floating_port_id: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

export interface RouterL3AgentBindingRow {
  router_id: string;
  agent_id: string;
  created_at: string;
}

export interface NetworkDhcpAgentBindingRow {
  network_id: string;
  agent_id: string;
  created_at: string;
}

export interface L3Tables {
  routers: RouterRow;
  router_routes: RouterRouteRow;
  router_ports: RouterPortRow;
  floatingips: FloatingIpRow;
  router_l3_agent_bindings: RouterL3AgentBindingRow;
  network_dhcp_agent_bindings: NetworkDhcpAgentBindingRow;
}
