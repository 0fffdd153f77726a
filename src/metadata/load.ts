/**
 * The store side of the metadata service: which instance a request comes from (its network, or
 * the router it came through, and its source address name exactly one port, whose device is the
 * server), and everything that instance's trees show, read in a handful of queries. Nothing is
 * read for an unknown source.
 */
import { INTERFACE_OWNERS } from '../network/l3/access.js';
import { normalizeIp } from '../network/ipam/ip.js';
import type { Db } from '../store/store.js';
import { parseJsonArray, parseJsonObject } from '../util/json.js';
import { decodeUserData, type InstanceMetadata, type MetadataInterface, type MetadataSubnet } from './instance.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The live instance whose port on the network holds the address, or null: an address nobody
 * holds, a port that is not an instance's (a router's, the DHCP port), or a deleted server.
 */
export async function instanceAtSource(db: Db, networkId: string, sourceIp: string): Promise<string | null> {
  const ip = normalizeIp(sourceIp);
  if (!UUID.test(networkId) || ip === null) return null;
  const row = await db.selectFrom('ip_allocations')
    .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
    .innerJoin('instances', 'instances.uuid', 'ports.device_id')
    .select(['instances.uuid', 'ports.device_owner'])
    .where('ip_allocations.network_id', '=', networkId).where('ip_allocations.ip_address', '=', ip)
    .where('instances.deleted', '=', 0)
    .executeTakeFirst();
  return row && row.device_owner.startsWith('compute:') ? row.uuid : null;
}

/**
 * The live instance behind the router whose port holds the address on one of the networks the
 * router has an interface on (its gateway's network is not one), as Neutron's metadata agent
 * finds it: null when no port holds it, when it is not an instance's port, or when more than
 * one port on those networks does (the source does not name one instance).
 */
export async function instanceBehindRouter(db: Db, routerId: string, sourceIp: string): Promise<string | null> {
  const ip = normalizeIp(sourceIp);
  if (!UUID.test(routerId) || ip === null) return null;
  const rows = await db.selectFrom('ip_allocations')
    .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
    .leftJoin('instances', (j) => j.onRef('instances.uuid', '=', 'ports.device_id').on('instances.deleted', '=', 0))
    .select(['instances.uuid', 'ports.device_owner'])
    .where('ip_allocations.ip_address', '=', ip)
    .where('ip_allocations.network_id', 'in', (q) => q.selectFrom('router_ports')
      .innerJoin('ports as rp', 'rp.id', 'router_ports.port_id')
      .select('rp.network_id')
      .where('router_ports.router_id', '=', routerId).where('router_ports.port_type', 'in', [...INTERFACE_OWNERS]))
    .limit(2)
    .execute();
  const only = rows.length === 1 ? rows[0] : undefined;
  return only && only.uuid && only.device_owner.startsWith('compute:') ? only.uuid : null;
}

function strings(text: string | null): string[] {
  try {
    return parseJsonArray(text).filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

function hostRoutes(text: string | null): { destination: string; nexthop: string }[] {
  try {
    return parseJsonArray<{ destination?: unknown; nexthop?: unknown }>(text)
      .filter((r) => typeof r?.destination === 'string' && typeof r?.nexthop === 'string') as { destination: string; nexthop: string }[];
  } catch {
    return [];
  }
}

async function interfacesOf(db: Db, uuid: string): Promise<MetadataInterface[]> {
  const ports = await db.selectFrom('instance_interfaces')
    .innerJoin('ports', 'ports.id', 'instance_interfaces.port_id')
    .innerJoin('networks', 'networks.id', 'ports.network_id')
    .select(['ports.id', 'ports.network_id', 'ports.mac_address', 'networks.mtu'])
    .where('instance_interfaces.instance_uuid', '=', uuid)
    .orderBy('instance_interfaces.position').execute();
  if (ports.length === 0) return [];
  const ids = ports.map((p) => p.id);
  const [ips, floating] = await Promise.all([
    db.selectFrom('ip_allocations').innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
      .select(['ip_allocations.port_id', 'ip_allocations.ip_address', 'subnets.id as subnet_id', 'subnets.ip_version', 'subnets.cidr',
        'subnets.gateway_ip', 'subnets.enable_dhcp', 'subnets.dns_nameservers', 'subnets.host_routes'])
      .where('ip_allocations.port_id', 'in', ids).orderBy('subnets.ip_version').orderBy('ip_allocations.ip_address').execute(),
    db.selectFrom('floatingips').select(['fixed_port_id', 'floating_ip_address']).where('fixed_port_id', 'in', ids)
      .orderBy('floating_ip_address').execute(),
  ]);
  return ports.map((p) => ({
    portId: p.id, networkId: p.network_id, mac: p.mac_address.toLowerCase(), mtu: Number(p.mtu),
    fixedIps: ips.filter((a) => a.port_id === p.id).map((a) => ({
      ip: a.ip_address,
      subnet: {
        id: a.subnet_id, ipVersion: Number(a.ip_version), cidr: a.cidr, gatewayIp: a.gateway_ip, enableDhcp: Number(a.enable_dhcp) === 1,
        dnsNameservers: strings(a.dns_nameservers), hostRoutes: hostRoutes(a.host_routes),
      } satisfies MetadataSubnet,
    })),
    floatingIps: floating.filter((f) => f.fixed_port_id === p.id).map((f) => f.floating_ip_address),
  }));
}

/** Everything one instance's metadata shows, or null when it is gone. */
export async function loadInstanceMetadata(db: Db, uuid: string): Promise<InstanceMetadata | null> {
  const row = await db.selectFrom('instances')
    .select(['uuid', 'id', 'hostname', 'name', 'project_id', 'user_id', 'availability_zone', 'launch_index', 'reservation_id', 'image_ref',
      'flavor', 'key_name', 'key_data', 'user_data'])
    .where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
  if (!row) return null;
  const [meta, keypair, groups, interfaces] = await Promise.all([
    db.selectFrom('instance_metadata').select(['key', 'value']).where('instance_uuid', '=', uuid).orderBy('key').execute(),
    row.key_name
      ? db.selectFrom('keypairs').select(['type']).where('user_id', '=', row.user_id).where('name', '=', row.key_name).executeTakeFirst()
      : Promise.resolve(undefined),
    db.selectFrom('instance_interfaces')
      .innerJoin('port_security_groups', 'port_security_groups.port_id', 'instance_interfaces.port_id')
      .innerJoin('security_groups', 'security_groups.id', 'port_security_groups.security_group_id')
      .select(['security_groups.name']).where('instance_interfaces.instance_uuid', '=', uuid).orderBy('security_groups.name').execute(),
    interfacesOf(db, uuid),
  ]);
  let flavorName = '';
  try {
    const name = parseJsonObject(row.flavor).name;
    if (typeof name === 'string') flavorName = name;
  } catch {
    // A flavor snapshot that does not parse shows as no name, not as a failed request.
  }
  return {
    uuid: row.uuid, id: Number(row.id), hostname: row.hostname, name: row.name, projectId: row.project_id,
    availabilityZone: row.availability_zone || 'nova', launchIndex: Number(row.launch_index), reservationId: row.reservation_id,
    imageId: row.image_ref, flavorName,
    key: row.key_name && row.key_data ? { name: row.key_name, type: keypair?.type ?? 'ssh', data: row.key_data } : null,
    userData: decodeUserData(row.user_data),
    meta: Object.fromEntries(meta.map((m) => [m.key, m.value])),
    securityGroups: [...new Set(groups.map((g) => g.name))],
    interfaces,
  };
}
