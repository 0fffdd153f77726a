/**
 * Port creation, shared by the ports API and by the network service itself (DHCP ports,
 * router ports, Nova's ports): MAC uniqueness on the network, fixed IPs from IPAM, default
 * security group, all in the caller's transaction.
 */
import { ApiError } from '../../api/errors.js';
import type { PortRow, SubnetRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { allocateAny, allocateSpecific, noMoreAddresses } from '../ipam/allocator.js';
import { cidrContains, formatIp, parseCidr, parseIp } from '../ipam/ip.js';
import { neutronNotFound } from '../errors.js';
import { ensureDefaultSecurityGroup } from '../security-groups/defaults.js';
import { normalizeMac, randomMac } from './mac.js';

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
}

export const macInUse = (mac: string, networkId: string) =>
  new ApiError('conflict', `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`, { type: 'MacAddressInUse' });

const invalidSubnetForNetwork = (networkId: string, subnetId: string) =>
  new ApiError('badRequest', `Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${subnetId}.`, { type: 'InvalidInput' });

/** True for SLAAC-style IPv6 subnets, whose addresses derive from the MAC (EUI-64). */
export function isAutoAddressSubnet(s: Pick<SubnetRow, 'ip_version' | 'ipv6_address_mode'>): boolean {
  return s.ip_version === 6 && (s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless');
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

async function allocateFixedIps(tx: Tx, portId: string, networkId: string, mac: string, requested: readonly FixedIpRequest[] | undefined): Promise<void> {
  const subnets = await tx.selectFrom('subnets').selectAll().where('network_id', '=', networkId).orderBy('created_at').execute();
  if (requested === undefined) {
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
      if (address !== null) await autoAddress(tx, s, address, portId);
    }
    return;
  }
  for (const entry of requested) {
    let subnet: SubnetRow | undefined;
    if (entry.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === entry.subnet_id);
      if (!subnet) {
        const exists = await tx.selectFrom('subnets').select('id').where('id', '=', entry.subnet_id).executeTakeFirst();
        if (!exists) throw neutronNotFound('Subnet', entry.subnet_id);
        throw invalidSubnetForNetwork(networkId, entry.subnet_id);
      }
    } else if (entry.ip_address !== undefined) {
      const ip = parseIp(entry.ip_address);
      subnet = ip ? subnets.find((s) => { const c = parseCidr(s.cidr); return c !== null && cidrContains(c, ip.version, ip.value); }) : undefined;
      if (!subnet) throw new ApiError('badRequest', `Invalid input for operation: IP address ${entry.ip_address} is not a valid IP for any of the subnets on the specified network.`, { type: 'InvalidInput' });
    } else {
      throw new ApiError('badRequest', 'Invalid input for operation: fixed_ips entries need a subnet_id or an ip_address.', { type: 'InvalidInput' });
    }
    if (entry.ip_address !== undefined) {
      await allocateSpecific(tx, subnet, entry.ip_address, portId);
    } else if (isAutoAddressSubnet(subnet)) {
      const address = eui64(subnet.cidr, mac);
      if (address !== null) await autoAddress(tx, subnet, address, portId);
    } else if (!(await allocateAny(tx, subnet, portId))) {
      throw noMoreAddresses(networkId);
    }
  }
}

async function autoAddress(tx: Tx, subnet: SubnetRow, address: string, portId: string): Promise<void> {
  await allocateSpecific(tx, subnet, address, portId);
}

export async function createPort(tx: Tx, spec: PortSpec): Promise<PortRow> {
  const network = await tx.selectFrom('networks').select(['id', 'port_security_enabled']).where('id', '=', spec.networkId).executeTakeFirst();
  if (!network) throw neutronNotFound('Network', spec.networkId);
  const id = spec.id ?? uuid();
  let mac: string;
  if (spec.macAddress !== undefined) {
    const normalized = normalizeMac(spec.macAddress);
    if (!normalized) throw new ApiError('badRequest', `Invalid input for mac_address. Reason: '${spec.macAddress}' is not a valid MAC address.`, { type: 'HTTPBadRequest' });
    const taken = await tx.selectFrom('ports').select('id').where('network_id', '=', spec.networkId).where('mac_address', '=', normalized).executeTakeFirst();
    if (taken) throw macInUse(normalized, spec.networkId);
    mac = normalized;
  } else {
    do {
      mac = randomMac();
    } while (await tx.selectFrom('ports').select('id').where('network_id', '=', spec.networkId).where('mac_address', '=', mac).executeTakeFirst());
  }
  const deviceOwner = spec.deviceOwner ?? '';
  const portSecurity = spec.portSecurityEnabled ?? network.port_security_enabled === 1;
  let groups = spec.securityGroups;
  if (groups === undefined) groups = portSecurity && !deviceOwner.startsWith('network:') ? [await ensureDefaultSecurityGroup(tx, spec.projectId)] : [];
  if (!portSecurity && groups.length > 0) {
    throw new ApiError('conflict', 'Port security must be enabled and port must have an IP address in order to use security groups.', { type: 'PortSecurityAndIPRequiredForSecurityGroups' });
  }
  const now = nowIso();
  const row: PortRow = {
    id, project_id: spec.projectId, network_id: spec.networkId, name: spec.name ?? '', description: spec.description ?? '',
    admin_state_up: (spec.adminStateUp ?? true) ? 1 : 0, status: spec.status ?? 'DOWN', mac_address: mac,
    device_id: spec.deviceId ?? '', device_owner: deviceOwner, port_security_enabled: portSecurity ? 1 : 0,
    binding_host_id: spec.bindingHostId ?? '', binding_vnic_type: spec.bindingVnicType ?? 'normal',
    binding_profile: JSON.stringify(spec.bindingProfile ?? {}), binding_vif_type: 'unbound', binding_vif_details: '{}',
    allowed_address_pairs: JSON.stringify((spec.allowedAddressPairs ?? []).map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address ?? mac }))),
    extra_dhcp_opts: JSON.stringify(spec.extraDhcpOpts ?? []), dns_name: spec.dnsName ?? '', propagate_uplink_status: 0,
    created_at: now, updated_at: now, revision_number: 1,
  };
  await tx.insertInto('ports').values(row).execute();
  await allocateFixedIps(tx, id, spec.networkId, mac, spec.fixedIps);
  if (groups.length) {
    await tx.insertInto('port_security_groups').values([...new Set(groups)].map((g) => ({ port_id: id, security_group_id: g }))).execute();
  }
  return row;
}
