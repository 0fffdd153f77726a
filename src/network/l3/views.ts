/**
 * Neutron's router and floating IP documents, loaded in bulk: gateway ports and their
 * addresses, extra routes, hosting agents (for availability_zones), tags and the associated
 * ports of floating IPs (port_details) come in a few queries whatever the number of rows.
 */
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { FloatingIpRow, RouterRow } from '../../store/schema-l3.js';
import type { Db, Tx } from '../../store/store.js';
import { parseJsonArray } from '../../util/json.js';
import type { View } from '../listing.js';
import { fixedIpsOf } from '../ports/views.js';
import type { NetworkService } from '../service.js';
import { standardAttributes } from '../views.js';

export const ROUTER_ATTRIBUTES = ['id', 'name', 'description', 'admin_state_up', 'status', 'tenant_id', 'project_id', 'external_gateway_info',
  'routes', 'distributed', 'ha', 'availability_zone_hints', 'availability_zones', 'flavor_id', 'tags', 'created_at', 'updated_at', 'revision_number'];

export const FLOATINGIP_ATTRIBUTES = ['id', 'tenant_id', 'project_id', 'floating_ip_address', 'floating_network_id', 'router_id', 'port_id',
  'fixed_ip_address', 'status', 'description', 'port_details', 'tags', 'created_at', 'updated_at', 'revision_number'];

const CHUNK = 500;

async function inChunks<R>(ids: readonly string[], run: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...await run(ids.slice(i, i + CHUNK)));
  return out;
}

export async function loadRouterViews(service: NetworkService, ctx: AuthContext, rows: readonly RouterRow[], db: Db | Tx = service.db): Promise<View[]> {
  const ids = rows.map((r) => r.id);
  const gwPortIds = rows.map((r) => r.gw_port_id).filter((p): p is string => p !== null);
  const gwPorts = new Map((await inChunks(gwPortIds, (c) => db.selectFrom('ports').select(['id', 'network_id']).where('id', 'in', c).execute()))
    .map((p) => [p.id, p.network_id]));
  const gwIps = await fixedIpsOf(db, gwPortIds);
  const routes = new Map<string, { destination: string; nexthop: string }[]>();
  for (const r of await inChunks(ids, (c) => db.selectFrom('router_routes').selectAll().where('router_id', 'in', c).execute())) {
    routes.set(r.router_id, [...(routes.get(r.router_id) ?? []), { destination: r.destination, nexthop: r.nexthop }]);
  }
  const zones = new Map<string, Set<string>>();
  const hosted = await inChunks(ids, (c) => db.selectFrom('router_l3_agent_bindings')
    .innerJoin('agents', 'agents.id', 'router_l3_agent_bindings.agent_id').innerJoin('hosts', 'hosts.name', 'agents.host')
    .select(['router_l3_agent_bindings.router_id', 'hosts.availability_zone']).where('router_l3_agent_bindings.router_id', 'in', c).execute());
  for (const h of hosted) zones.set(h.router_id, (zones.get(h.router_id) ?? new Set()).add(h.availability_zone));
  const tags = await service.tagsOf(ids, db);
  return rows.map((r) => {
    const networkId = r.gw_port_id ? gwPorts.get(r.gw_port_id) : undefined;
    const view: View = {
      id: r.id,
      name: r.name,
      admin_state_up: r.admin_state_up === 1,
      status: r.status,
      external_gateway_info: networkId === undefined ? null : {
        network_id: networkId,
        enable_snat: r.enable_snat === 1,
        external_fixed_ips: (gwIps.get(r.gw_port_id as string) ?? []).map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
      },
      routes: (routes.get(r.id) ?? []).sort((a, b) => (a.destination + a.nexthop < b.destination + b.nexthop ? -1 : 1)),
      availability_zone_hints: parseJsonArray<string>(r.availability_zone_hints),
      availability_zones: [...(zones.get(r.id) ?? [])].sort(),
      flavor_id: null,
      ...standardAttributes(r, tags.get(r.id) ?? []),
    };
    // Neutron's default policy shows these two to admins only.
    if (isAdmin(ctx)) {
      view.distributed = r.distributed === 1;
      view.ha = r.ha === 1;
    }
    return view;
  });
}

export async function loadFloatingIpViews(service: NetworkService, rows: readonly FloatingIpRow[], db: Db | Tx = service.db): Promise<View[]> {
  const portIds = [...new Set(rows.map((r) => r.fixed_port_id).filter((p): p is string => p !== null))];
  const ports = new Map((await inChunks(portIds, (c) => db.selectFrom('ports')
    .select(['id', 'name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner']).where('id', 'in', c).execute()))
    .map((p) => [p.id, p]));
  const tags = await service.tagsOf(rows.map((r) => r.id), db);
  return rows.map((r) => {
    const port = r.fixed_port_id ? ports.get(r.fixed_port_id) : undefined;
    return {
      id: r.id,
      floating_ip_address: r.floating_ip_address,
      floating_network_id: r.floating_network_id,
      router_id: r.router_id,
      port_id: r.fixed_port_id,
      fixed_ip_address: r.fixed_ip_address,
      status: r.status,
      port_details: port ? {
        name: port.name, network_id: port.network_id, mac_address: port.mac_address, admin_state_up: port.admin_state_up === 1,
        status: port.status, device_id: port.device_id, device_owner: port.device_owner,
      } : null,
      ...standardAttributes(r, tags.get(r.id) ?? []),
    };
  });
}
