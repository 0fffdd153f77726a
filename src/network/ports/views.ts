/**
 * Neutron's port document, and the bulk loader behind lists: ports, their addresses, security
 * group bindings and tags come in a handful of queries whatever the number of ports.
 */
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { PortRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { parseJsonArray, parseJsonObject } from '../../util/json.js';

/** Most ports hold empty lists and maps: skip JSON.parse for those. */
const jsonList = (text: string): unknown[] => (text === '[]' ? [] : parseJsonArray(text));
const jsonMap = (text: string): Record<string, unknown> => (text === '{}' ? {} : parseJsonObject(text));
import { parseIp } from '../ipam/ip.js';
import type { View } from '../listing.js';
import type { NetworkService } from '../service.js';
import { neutronTime } from '../time.js';
import { extrasOf, type PortWithExtras } from './rows.js';

export interface FixedIp {
  readonly subnet_id: string;
  readonly ip_address: string;
}

export interface PortExtras {
  readonly fixedIps: readonly FixedIp[];
  readonly securityGroups: readonly string[];
  readonly tags: readonly string[];
}

/** Attributes of a port, whether or not the caller's view shows them (filters accept them all). */
export const PORT_ATTRIBUTES = [
  'id', 'name', 'network_id', 'tenant_id', 'project_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner',
  'fixed_ips', 'allowed_address_pairs', 'extra_dhcp_opts', 'security_groups', 'description', 'port_security_enabled',
  'binding:host_id', 'binding:vnic_type', 'binding:profile', 'binding:vif_type', 'binding:vif_details',
  'dns_name', 'dns_assignment', 'propagate_uplink_status', 'tags', 'created_at', 'updated_at', 'revision_number',
] as const;

/** Neutron's default domain: with it, ports keep no dns_name of their own. */
export const DEFAULT_DNS_DOMAIN = 'openstacklocal.';

export function dottedDomain(domain: string): string {
  if (!domain) return '';
  return domain.endsWith('.') ? domain : `${domain}.`;
}

export function dnsAssignment(fixedIps: readonly FixedIp[], dnsName: string, domain: string): View[] {
  const dotted = dottedDomain(domain);
  return fixedIps.map((ip) => {
    if (dnsName) {
      return { ip_address: ip.ip_address, hostname: dnsName, fqdn: dnsName.endsWith('.') ? dnsName : `${dnsName}.${dotted}` };
    }
    const hostname = `host-${ip.ip_address.replaceAll('.', '-').replaceAll(':', '-')}`;
    return { ip_address: ip.ip_address, hostname, fqdn: dotted ? `${hostname}.${dotted}` : hostname };
  });
}

export function portView(ctx: AuthContext, row: PortRow, extras: PortExtras, dnsDomain: string): View {
  const fixedIps = extras.fixedIps.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address }));
  const view: View = {
    id: row.id,
    name: row.name,
    network_id: row.network_id,
    mac_address: row.mac_address,
    admin_state_up: row.admin_state_up === 1,
    status: row.status,
    device_id: row.device_id,
    device_owner: row.device_owner,
    fixed_ips: fixedIps,
    allowed_address_pairs: jsonList(row.allowed_address_pairs),
    extra_dhcp_opts: jsonList(row.extra_dhcp_opts),
    security_groups: [...extras.securityGroups],
    port_security_enabled: row.port_security_enabled === 1,
    'binding:vnic_type': row.binding_vnic_type,
    dns_name: row.dns_name,
    dns_assignment: dnsAssignment(fixedIps, row.dns_name, dnsDomain),
    propagate_uplink_status: row.propagate_uplink_status === 1,
    // The standard attributes (views.ts standardAttributes), written out: this runs per port of every list.
    tenant_id: row.project_id,
    project_id: row.project_id,
    description: row.description,
    tags: [...extras.tags],
    created_at: neutronTime(row.created_at),
    updated_at: neutronTime(row.updated_at),
    revision_number: row.revision_number,
  };
  // Neutron's default policy shows bindings (but the vnic type) to admins only.
  if (isAdmin(ctx)) {
    view['binding:host_id'] = row.binding_host_id;
    view['binding:profile'] = jsonMap(row.binding_profile);
    view['binding:vif_type'] = row.binding_vif_type;
    view['binding:vif_details'] = jsonMap(row.binding_vif_details);
  }
  return view;
}

const CHUNK = 900;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Puts each list of several addresses in Neutron's order: by their subnets' creation, then by
 * address. Lists of one (nearly every port) are left alone and cost nothing.
 */
export async function orderFixedIps(db: Db | Tx, lists: Iterable<FixedIp[]>): Promise<void> {
  const several = [...lists].filter((list) => list.length > 1);
  if (several.length === 0) return;
  const subnetIds = [...new Set(several.flat().map((ip) => ip.subnet_id))];
  const order = new Map<string, string>();
  for (const chunk of chunks(subnetIds)) {
    for (const s of await db.selectFrom('subnets').select(['id', 'created_at']).where('id', 'in', chunk).execute()) order.set(s.id, `${s.created_at}|${s.id}`);
  }
  for (const list of several) {
    const keyed = list.map((ip) => ({ ip, key: order.get(ip.subnet_id) ?? ip.subnet_id, value: parseIp(ip.ip_address)?.value ?? 0n }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    keyed.forEach((k, index) => { list[index] = k.ip; });
  }
}

/** Addresses of the ports, each port's in subnet creation order then by address. */
export async function fixedIpsOf(db: Db | Tx, portIds: readonly string[]): Promise<Map<string, FixedIp[]>> {
  const result = new Map<string, FixedIp[]>();
  for (const chunk of chunks(portIds)) {
    const rows = await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute();
    for (const r of rows) {
      const ip = { subnet_id: r.subnet_id, ip_address: r.ip_address };
      const list = result.get(r.port_id);
      if (list) list.push(ip);
      else result.set(r.port_id, [ip]);
    }
  }
  await orderFixedIps(db, result.values());
  return result;
}

export async function securityGroupsOf(db: Db | Tx, portIds: readonly string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const chunk of chunks(portIds)) {
    const rows = await db.selectFrom('port_security_groups').select(['port_id', 'security_group_id']).where('port_id', 'in', chunk).execute();
    for (const r of rows) {
      const list = map.get(r.port_id);
      if (list) list.push(r.security_group_id);
      else map.set(r.port_id, [r.security_group_id]);
    }
  }
  for (const list of map.values()) if (list.length > 1) list.sort();
  return map;
}

const NO_EXTRAS: PortExtras = { fixedIps: [], securityGroups: [], tags: [] };

/** Views of port rows, with their addresses, groups and tags read in one query. */
export async function loadPortViews(service: NetworkService, ctx: AuthContext, rows: readonly PortRow[], db: Db | Tx = service.db): Promise<View[]> {
  const extras = await extrasOf(db, rows.map((r) => r.id));
  await orderFixedIps(db, [...extras.values()].map((e) => e.fixedIps as FixedIp[]));
  const domain = service.settings.dnsDomain;
  return rows.map((r) => portView(ctx, r, extras.get(r.id) ?? NO_EXTRAS, domain));
}

/** Views of ports read together with their addresses, groups and tags (rows.ts selectPortsWithExtras). */
export async function portViewsOf(service: NetworkService, ctx: AuthContext, ports: readonly PortWithExtras[], db: Db | Tx = service.db): Promise<View[]> {
  await orderFixedIps(db, ports.map((p) => p.extras.fixedIps as FixedIp[]));
  const domain = service.settings.dnsDomain;
  return ports.map((p) => portView(ctx, p.row, p.extras, domain));
}
