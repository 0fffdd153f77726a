/**
 * The OpenStack-format documents of one instance (Nova's user guide, "OpenStack format
 * metadata"): meta_data.json, network_data.json and the vendor data, per dated version. Pure:
 * the random seed comes from the caller.
 */
import { formatIp, parseCidr } from '../network/ipam/ip.js';
import { DHCP_DOMAIN, type InstanceMetadata, type MetadataSubnet } from './instance.js';

/** Dated versions of the OpenStack tree, oldest first; `latest` is the newest. */
export const OPENSTACK_VERSIONS = [
  '2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14',
] as const;

const since = (version: string, first: string) => version >= first;

/** The guest's hostname as Nova shows it: <hostname>.<dhcp_domain>. */
export function fqdn(md: Pick<InstanceMetadata, 'hostname'>): string {
  return `${md.hostname}.${DHCP_DOMAIN}`;
}

export interface MetaDataExtras {
  /** The config drive carries the admin password Nova generated or was given; the service never does. */
  readonly adminPass?: string | null;
}

/** meta_data.json as a version presents it. */
export function metaData(md: InstanceMetadata, version: string, randomSeed: () => Buffer, extras: MetaDataExtras = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = { uuid: md.uuid };
  if (Object.keys(md.meta).length > 0) doc.meta = { ...md.meta };
  if (md.key) {
    doc.public_keys = { [md.key.name]: md.key.data };
    doc.keys = [{ name: md.key.name, type: md.key.type, data: md.key.data }];
  }
  doc.hostname = fqdn(md);
  doc.name = md.name;
  doc.launch_index = md.launchIndex;
  doc.availability_zone = md.availabilityZone;
  if (extras.adminPass) doc.admin_pass = extras.adminPass;
  if (since(version, '2013-04-04')) doc.random_seed = randomSeed().toString('base64');
  if (since(version, '2015-10-15')) doc.project_id = md.projectId;
  // Device tags (boot-time tagged NICs and disks): Kumo's guests have none to describe yet.
  if (since(version, '2016-06-30')) doc.devices = [];
  if (since(version, '2020-10-14')) doc.dedicated_cpus = [];
  return doc;
}

function netmask(version: 4 | 6, prefix: number): string {
  const bits = version === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  return formatIp(version, prefix === 0 ? 0n : all ^ ((1n << BigInt(bits - prefix)) - 1n));
}

/** Routes of a statically configured network: the subnet's host routes and its default route. */
function routes(subnet: MetadataSubnet): { network: string; netmask: string; gateway: string }[] {
  const out: { network: string; netmask: string; gateway: string }[] = [];
  for (const r of subnet.hostRoutes) {
    const c = parseCidr(r.destination);
    if (c) out.push({ network: formatIp(c.version, c.network), netmask: netmask(c.version, c.prefixLength), gateway: r.nexthop });
  }
  if (subnet.gatewayIp) {
    const v6 = subnet.gatewayIp.includes(':');
    out.push({ network: v6 ? '::' : '0.0.0.0', netmask: v6 ? '::' : '0.0.0.0', gateway: subnet.gatewayIp });
  }
  return out;
}

/** The link name Nova gives a NIC in network_data.json: its host-side device. */
export const linkName = (portId: string): string => `tap${portId.slice(0, 11)}`;

/** network_data.json: links (NICs), networks (one per fixed address) and DNS services. */
export function networkData(md: InstanceMetadata): Record<string, unknown> {
  const links: Record<string, unknown>[] = [];
  const networks: Record<string, unknown>[] = [];
  const dns = new Set<string>();
  for (const nic of md.interfaces) {
    const link = linkName(nic.portId);
    links.push({ id: link, vif_id: nic.portId, type: 'bridge', mtu: nic.mtu, ethernet_mac_address: nic.mac });
    for (const a of nic.fixedIps) {
      const c = parseCidr(a.subnet.cidr);
      if (!c) continue;
      for (const d of a.subnet.dnsNameservers) dns.add(d);
      const id = `network${networks.length}`;
      if (c.version === 4 && a.subnet.enableDhcp) {
        networks.push({ id, type: 'ipv4_dhcp', link, network_id: nic.networkId });
        continue;
      }
      networks.push({
        id, type: c.version === 4 ? 'ipv4' : 'ipv6', link, ip_address: a.ip, netmask: netmask(c.version, c.prefixLength),
        routes: routes(a.subnet), network_id: nic.networkId,
        services: a.subnet.dnsNameservers.map((address) => ({ type: 'dns', address })),
      });
    }
  }
  return { links, networks, services: [...dns].map((address) => ({ type: 'dns', address })) };
}
