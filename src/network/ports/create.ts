/**
 * Port creation, shared by the ports API and by the network service itself (DHCP ports,
 * router ports, Nova's ports): MAC uniqueness on the network, fixed IPs from IPAM, default
 * security group, all in the caller's transaction.
 */
import { ApiError } from '../../api/errors.js';
import type { NetworkRow, PortRow, SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { allocateAny, allocateSpecific, invalidIpForSubnet, noMoreAddresses } from '../ipam/allocator.js';
import { cidrContains, formatIp, lastAddress, parseCidr, parseIp } from '../ipam/ip.js';
import { neutronNotFound } from '../errors.js';
import { ensureDefaultSecurityGroup } from '../security-groups/defaults.js';
import { normalizeMac, randomMac } from './mac.js';
import { serviceSubnets } from '../subnets/service-types.js';

export interface FixedIpRequest {
  readonly subnet_id?: string;
  readonly ip_address?: string;
}

export interface PortSpec {
  readonly id?: string;
  readonly networkId: string;
  readonly projectId: string;
  readonly name?: string;
  readonly description?: string;
  readonly adminStateUp?: boolean;
  readonly macAddress?: string;
  readonly deviceId?: string;
  readonly deviceOwner?: string;
  /** undefined: Neutron's default allocation; []: no address at all. */
  readonly fixedIps?: readonly FixedIpRequest[];
  /** undefined: the project's default group (none for network-owned ports). */
  readonly securityGroups?: readonly string[];
  readonly portSecurityEnabled?: boolean;
  readonly allowedAddressPairs?: readonly { ip_address: string; mac_address?: string }[];
  readonly extraDhcpOpts?: readonly { opt_name: string; opt_value: string | null; ip_version?: number }[];
  readonly bindingHostId?: string;
  readonly bindingVnicType?: string;
  readonly bindingProfile?: Record<string, unknown>;
  readonly dnsName?: string;
  readonly status?: string;
  readonly propagateUplinkStatus?: boolean;
}

export const macInUse = (mac: string, networkId: string) =>
  new ApiError('conflict', `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`, { type: 'MacAddressInUse' });

export const addressPairsNeedPortSecurity = () =>
  new ApiError('conflict', 'Port Security must be enabled in order to have allowed address pairs on a port.', { type: 'AddressPairAndPortSecurityRequired' });

export const groupsNeedPortSecurity = () =>
  new ApiError('conflict', 'Port security must be enabled and port must have an IP address in order to use security groups.', { type: 'PortSecurityAndIPRequiredForSecurityGroups' });

const invalidSubnetForNetwork = (networkId: string, subnetId: string) =>
  new ApiError('badRequest', `Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${subnetId}.`, { type: 'InvalidInput' });

const invalidIpForNetwork = (ip: string) =>
  new ApiError('badRequest', `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`, { type: 'InvalidIpForNetwork' });

const ROUTER_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface', 'network:router_gateway'];

/** True for SLAAC-style IPv6 subnets, whose addresses derive from the MAC (EUI-64). */
export function isAutoAddressSubnet(s: Pick<SubnetRow, 'ip_version' | 'ipv6_address_mode' | 'ipv6_ra_mode'>): boolean {
  // Either mode set to SLAAC or stateless DHCPv6 makes the guest build its own address.
  const auto = (mode: string | null) => mode === 'slaac' || mode === 'dhcpv6-stateless';
  return s.ip_version === 6 && (auto(s.ipv6_address_mode) || auto(s.ipv6_ra_mode));
}

export function eui64(cidr: string, mac: string): string | null {
  const net = parseCidr(cidr);
  if (!net || net.version !== 6 || net.prefixLength > 64) return null;
  const octets = mac.split(':').map((o) => parseInt(o, 16));
  if (octets.length !== 6) return null;
  const iid = [((octets[0] as number) ^ 0x02), octets[1], octets[2], 0xff, 0xfe, octets[3], octets[4], octets[5]] as number[];
  const value = iid.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return formatIp(6, net.network | value);
}

/**
 * An address a port may hold on the subnet: inside the CIDR, and for IPv4 neither the network
 * nor the broadcast address; IPv6's subnet-router anycast address is for router ports only.
 */
function checkSubnetIp(subnet: SubnetRow, address: string, deviceOwner: string): void {
  const ip = parseIp(address);
  const cidr = parseCidr(subnet.cidr);
  if (!ip || !cidr || !cidrContains(cidr, ip.version, ip.value)) throw invalidIpForSubnet(address, subnet.id);
  if (cidr.version === 4 && cidr.prefixLength < 31 && (ip.value === cidr.network || ip.value === lastAddress(cidr))) {
    throw invalidIpForSubnet(address, subnet.id);
  }
  if (cidr.version === 6 && ip.value === cidr.network && !ROUTER_OWNERS.includes(deviceOwner) && deviceOwner !== '') {
    throw invalidIpForSubnet(address, subnet.id);
  }
}

export async function networkSubnets(tx: Tx, networkId: string): Promise<SubnetRow[]> {
  return tx.selectFrom('subnets').selectAll().where('network_id', '=', networkId).orderBy('created_at').orderBy('id').execute();
}

/** Neutron's default: one address of the first IPv4 subnet with room, one of a stateful IPv6 one, and every SLAAC address. */
async function allocateDefault(tx: Tx, portId: string, networkId: string, mac: string, subnets: readonly SubnetRow[]): Promise<void> {
  const v4 = subnets.filter((s) => s.ip_version === 4);
  if (v4.length) {
    let got = false;
    for (const s of v4) if (await allocateAny(tx, s, portId)) { got = true; break; }
    if (!got) throw noMoreAddresses(networkId);
  }
  const stateful6 = subnets.filter((s) => s.ip_version === 6 && !isAutoAddressSubnet(s));
  if (stateful6.length) {
    let got = false;
    for (const s of stateful6) if (await allocateAny(tx, s, portId)) { got = true; break; }
    if (!got) throw noMoreAddresses(networkId);
  }
  for (const s of subnets.filter(isAutoAddressSubnet)) {
    const address = eui64(s.cidr, mac);
    if (address !== null) await allocateSpecific(tx, s, address, portId);
  }
}

/** The subnet a fixed_ips entry refers to (by id, or the one containing its address). */
export async function subnetForRequest(tx: Tx, networkId: string, subnets: readonly SubnetRow[], entry: FixedIpRequest): Promise<SubnetRow> {
  if (entry.subnet_id !== undefined) {
    const subnet = subnets.find((s) => s.id === entry.subnet_id);
    if (subnet) return subnet;
    const exists = await tx.selectFrom('subnets').select('id').where('id', '=', entry.subnet_id).executeTakeFirst();
    if (!exists) throw neutronNotFound('Subnet', entry.subnet_id);
    throw invalidSubnetForNetwork(networkId, entry.subnet_id);
  }
  if (entry.ip_address !== undefined) {
    const ip = parseIp(entry.ip_address);
    const subnet = ip ? subnets.find((s) => { const c = parseCidr(s.cidr); return c !== null && cidrContains(c, ip.version, ip.value); }) : undefined;
    if (!subnet) throw invalidIpForNetwork(entry.ip_address);
    return subnet;
  }
  throw new ApiError('badRequest', 'Invalid input for operation: fixed_ips entries need a subnet_id or an ip_address.', { type: 'InvalidInput' });
}

/** Allocates each requested entry to the port: the address asked for, or any free one of the subnet. */
export async function allocateRequested(tx: Tx, portId: string, networkId: string, mac: string, deviceOwner: string, requested: readonly FixedIpRequest[], subnets?: readonly SubnetRow[]): Promise<void> {
  const all = subnets ?? await networkSubnets(tx, networkId);
  for (const entry of requested) {
    const subnet = await subnetForRequest(tx, networkId, all, entry);
    if (entry.ip_address !== undefined) {
      checkSubnetIp(subnet, entry.ip_address, deviceOwner);
      // SLAAC addresses come from the MAC; only router ports may take one by hand.
      if (isAutoAddressSubnet(subnet) && !ROUTER_OWNERS.includes(deviceOwner)) {
        throw new ApiError('badRequest', `Invalid input for operation: IPv6 address ${entry.ip_address} cannot be directly assigned to a port on subnet ${subnet.id} since the subnet is configured for automatic addresses.`, { type: 'InvalidInput' });
      }
      await allocateSpecific(tx, subnet, entry.ip_address, portId);
    } else if (isAutoAddressSubnet(subnet)) {
      const address = eui64(subnet.cidr, mac);
      if (address !== null) await allocateSpecific(tx, subnet, address, portId);
    } else if (!(await allocateAny(tx, subnet, portId))) {
      throw noMoreAddresses(networkId);
    }
  }
}

/** Inserts the port row; a MAC taken on the network (even by a concurrent transaction) is MacAddressInUse, or a new random one. */
async function insertPortRow(tx: Tx, row: PortRow, macGiven: boolean): Promise<PortRow> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const candidate = attempt === 0 ? row : { ...row, mac_address: randomMac() };
    // ON CONFLICT rather than catching the error: a failed statement would abort a PostgreSQL transaction.
    const result = await tx.insertInto('ports').values(candidate)
      .onConflict((oc) => oc.columns(['network_id', 'mac_address']).doNothing()).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) > 0) return candidate;
    if (macGiven) throw macInUse(row.mac_address, row.network_id);
  }
  throw new ApiError('conflict', `Unable to generate unique mac on network ${row.network_id}.`, { type: 'MacAddressGenerationFailure' });
}

/** `network`: the port's network row when the caller has just read it in this transaction. */
export async function createPort(tx: Tx, spec: PortSpec, network?: Pick<NetworkRow, 'id' | 'port_security_enabled'>): Promise<PortRow> {
  network ??= await tx.selectFrom('networks').select(['id', 'port_security_enabled']).where('id', '=', spec.networkId).executeTakeFirst();
  if (!network) throw neutronNotFound('Network', spec.networkId);
  const id = spec.id ?? uuid();
  let mac: string;
  if (spec.macAddress !== undefined) {
    const normalized = normalizeMac(spec.macAddress);
    if (!normalized) throw new ApiError('badRequest', `Invalid input for mac_address. Reason: '${spec.macAddress}' is not a valid MAC address.`, { type: 'HTTPBadRequest' });
    mac = normalized;
  } else {
    mac = randomMac();
  }
  const deviceOwner = spec.deviceOwner ?? '';
  const portSecurity = spec.portSecurityEnabled ?? network.port_security_enabled === 1;
  const pairs = spec.allowedAddressPairs ?? [];
  if (!portSecurity && pairs.length > 0) throw addressPairsNeedPortSecurity();
  let groups = spec.securityGroups;
  if (!portSecurity && groups !== undefined && groups.length > 0) throw groupsNeedPortSecurity();
  if (groups === undefined) groups = portSecurity && !deviceOwner.startsWith('network:') ? [await ensureDefaultSecurityGroup(tx, spec.projectId)] : [];
  const now = nowIso();
  const draft: PortRow = {
    id, project_id: spec.projectId, network_id: spec.networkId, name: spec.name ?? '', description: spec.description ?? '',
    admin_state_up: (spec.adminStateUp ?? true) ? 1 : 0, status: spec.status ?? 'DOWN', mac_address: mac,
    device_id: spec.deviceId ?? '', device_owner: deviceOwner, port_security_enabled: portSecurity ? 1 : 0,
    binding_host_id: spec.bindingHostId ?? '', binding_vnic_type: spec.bindingVnicType ?? 'normal',
    binding_profile: JSON.stringify(spec.bindingProfile ?? {}), binding_vif_type: 'unbound', binding_vif_details: '{}',
    allowed_address_pairs: '[]',
    // Neutron stores no option whose value is null on create.
    extra_dhcp_opts: JSON.stringify((spec.extraDhcpOpts ?? []).filter((o) => o.opt_value !== null)
      .map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4 }))),
    dns_name: spec.dnsName ?? '', propagate_uplink_status: spec.propagateUplinkStatus ? 1 : 0,
    created_at: now, updated_at: now, revision_number: 1,
  };
  let row = await insertPortRow(tx, draft, spec.macAddress !== undefined);
  mac = row.mac_address;
  // Pairs without a MAC take the port's, which is only known once the row is in.
  const pairsJson = JSON.stringify(pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address ?? mac })));
  if (pairsJson !== '[]') {
    await tx.updateTable('ports').set({ allowed_address_pairs: pairsJson }).where('id', '=', id).execute();
    row = { ...row, allowed_address_pairs: pairsJson };
  }
  // Only subnets that serve this device owner (subnet service types) are candidates.
  const subnets = spec.fixedIps?.length === 0 ? [] : serviceSubnets(await networkSubnets(tx, spec.networkId), deviceOwner, spec.networkId);
  if (spec.fixedIps === undefined) await allocateDefault(tx, id, spec.networkId, mac, subnets);
  else await allocateRequested(tx, id, spec.networkId, mac, deviceOwner, spec.fixedIps, subnets);
  if (groups.length) {
    await tx.insertInto('port_security_groups').values([...new Set(groups)].map((g) => ({ port_id: id, security_group_id: g }))).execute();
  }
  return row;
}
