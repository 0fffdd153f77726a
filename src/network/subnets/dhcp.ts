/**
 * The network's DHCP port, kept in step with its DHCP-enabled subnets as Neutron's DHCP agent
 * keeps it: created with the first DHCP subnet (taking the first free pool address, e.g.
 * 172.16.0.2), given an address on each further DHCP subnet, losing the address when a subnet
 * stops serving DHCP or goes away, and deleted when no DHCP subnet is left. It stays DOWN: no
 * agent reports it wired.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { allocateAny, allocateSpecific } from '../ipam/allocator.js';
import { createPort, eui64 } from '../ports/create.js';
import { deletePortRows } from '../ports/delete.js';
import { isAutoAddress } from './rules.js';
import { scheduleNetworkDhcp } from '../agents/scheduler.js';

export const DHCP_OWNER = 'network:dhcp';

/** RFC 4122 name-based (SHA-1) UUID in the DNS namespace, like Python's uuid.uuid5(NAMESPACE_DNS, name). */
function uuid5(name: string): string {
  const namespace = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
  const hash = createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** "dhcp<uuid5 of the short host name>-<network id>", the device_id Neutron's DHCP agent gives its port. */
export function dhcpDeviceId(networkId: string, host = hostname()): string {
  return `dhcp${uuid5(host.split('.')[0] ?? host)}-${networkId}`;
}

/** Gives the port an address on the subnet; a full pool leaves it without one, as the agent would. */
async function addAddress(tx: Tx, portId: string, mac: string, subnet: SubnetRow): Promise<boolean> {
  if (isAutoAddress(subnet)) {
    const address = eui64(subnet.cidr, mac);
    if (address === null) return false;
    const taken = await tx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnet.id).where('ip_address', '=', address).executeTakeFirst();
    if (taken) return false;
    await allocateSpecific(tx, subnet, address, portId);
    return true;
  }
  return (await allocateAny(tx, subnet, portId)) !== null;
}

/** Brings the network's DHCP port in line with its DHCP-enabled subnets. */
export async function syncDhcpPort(tx: Tx, networkId: string): Promise<void> {
  const network = await tx.selectFrom('networks').select(['id', 'project_id']).where('id', '=', networkId).executeTakeFirst();
  if (!network) return;
  const dhcpSubnets = await tx.selectFrom('subnets').selectAll().where('network_id', '=', networkId).where('enable_dhcp', '=', 1).orderBy('created_at').execute();
  const ports = await tx.selectFrom('ports').select(['id', 'mac_address', 'revision_number'])
    .where('network_id', '=', networkId).where('device_owner', '=', DHCP_OWNER).where('device_id', 'like', `dhcp%-${networkId}`)
    .orderBy('created_at').execute();
  if (dhcpSubnets.length === 0) {
    await deletePortRows(tx, ports.map((p) => p.id));
    return;
  }
  // A network that serves DHCP is hosted by a DHCP agent (Neutron's DHCP agent scheduler).
  await scheduleNetworkDhcp(tx, networkId);
  let port = ports[0];
  let changed = false;
  if (!port) {
    const row = await createPort(tx, {
      networkId, projectId: network.project_id, name: '', deviceOwner: DHCP_OWNER, deviceId: dhcpDeviceId(networkId),
      fixedIps: [], securityGroups: [], status: 'DOWN',
    });
    port = { id: row.id, mac_address: row.mac_address, revision_number: row.revision_number };
  }
  const held = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', port.id).execute();
  const wanted = new Set(dhcpSubnets.map((s) => s.id));
  for (const a of held) {
    if (!wanted.has(a.subnet_id)) {
      await tx.deleteFrom('ip_allocations').where('subnet_id', '=', a.subnet_id).where('ip_address', '=', a.ip_address).execute();
      changed = true;
    }
  }
  const heldSubnets = new Set(held.map((a) => a.subnet_id));
  for (const s of dhcpSubnets) {
    if (!heldSubnets.has(s.id) && (await addAddress(tx, port.id, port.mac_address, s))) changed = true;
  }
  if (changed && ports[0]) {
    await tx.updateTable('ports').set({ revision_number: port.revision_number + 1, updated_at: nowIso() }).where('id', '=', port.id).execute();
  }
}
