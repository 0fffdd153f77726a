/**
 * PUT /v2.0/ports/{id}: Neutron's update semantics. fixed_ips replaces the set (addresses asked
 * again are kept, others released, SLAAC ones stay), security_groups and allowed_address_pairs
 * replace, extra_dhcp_opts merge by name; with port security off no group or pair may remain;
 * the MAC changes only by an admin while the port is unbound. A real change bumps revision_number.
 */
import { ApiError } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { PortRow } from '../../store/schema-network.js';
import { isUniqueViolation, type Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { parseJsonArray } from '../../util/json.js';
import { policyForbidden } from '../errors.js';
import { requireWrite } from '../policy.js';
import type { NetworkService } from '../service.js';
import type { Body } from '../validate.js';
import { isNetworkDevice, requireAdminOrNetworkOwner, visiblePort } from './access.js';
import { checkKeys, effectiveDnsName, READ_ONLY, WRITABLE } from './api-create.js';
import { mergeDhcpOpts, parseFixedIps, parseMac, parseScalarAttributes, parseStructuredAttributes, type DhcpOpt } from './attributes.js';
import { addressPairsNeedPortSecurity, allocateRequested, eui64, groupsNeedPortSecurity, isAutoAddressSubnet, macInUse, networkSubnets, type FixedIpRequest } from './create.js';
import { allocateSpecific } from '../ipam/allocator.js';
import { checkSecurityGroups } from './groups.js';
import { randomMac } from './mac.js';
import { fixedIpsOf, securityGroupsOf, type FixedIp } from './views.js';

const portBound = (port: PortRow, newMac: string) => new ApiError('conflict',
  `Unable to complete operation on port ${port.id}, port is already bound, port type: ${port.binding_vif_type}, old_mac ${port.mac_address}, new_mac ${newMac}.`,
  { type: 'PortBound' });

const portHasGroups = () => new ApiError('conflict',
  'Port has security group associated. Cannot disable port security or IP address until security group is removed', { type: 'PortSecurityPortHasSecurityGroup' });

const CREATE_ONLY_ON_UPDATE = ['network_id', 'tenant_id', 'project_id'];

/**
 * Splits a requested fixed_ips list against the current addresses (Neutron's matching): an
 * entry naming a current address keeps it; a subnet-only entry reuses a current address of that
 * subnet; current addresses left over are released, except SLAAC ones nobody can remove this way.
 */
function planFixedIps(current: readonly FixedIp[], requested: readonly FixedIpRequest[], autoSubnets: ReadonlySet<string>): { add: FixedIpRequest[]; remove: FixedIp[] } {
  const byIp = new Map(current.map((ip) => [ip.ip_address, ip]));
  const add: FixedIpRequest[] = [];
  for (const entry of requested) {
    if (entry.ip_address === undefined) continue;
    const found = byIp.get(entry.ip_address);
    if (found && (entry.subnet_id === undefined || entry.subnet_id === found.subnet_id)) byIp.delete(entry.ip_address);
    else add.push(entry);
  }
  for (const entry of requested) {
    if (entry.ip_address !== undefined) continue;
    const reusable = [...byIp.values()].find((ip) => ip.subnet_id === entry.subnet_id);
    if (reusable) byIp.delete(reusable.ip_address);
    else add.push(entry);
  }
  const remove = [...byIp.values()].filter((ip) => !autoSubnets.has(ip.subnet_id));
  return { add, remove };
}

export async function updatePortRequest(service: NetworkService, ctx: AuthContext, tx: Tx, id: string, item: Body): Promise<PortRow> {
  checkKeys(item, WRITABLE, [...READ_ONLY, ...CREATE_ONLY_ON_UPDATE], 'PUT');
  const { name, description, deviceId, deviceOwner, adminStateUp, portSecurity, propagate } = parseScalarAttributes(item);
  const macAsked = item.mac_address === undefined ? undefined : item.mac_address === null ? null : parseMac(item.mac_address);
  const fixedIps = item.fixed_ips === undefined ? undefined : parseFixedIps(item.fixed_ips ?? []);
  const { groups, pairs, dhcpOpts, hostId, profile, vnicType, dnsName } = parseStructuredAttributes(item);

  const { port, network } = await visiblePort(ctx, id, tx);
  requireWrite(ctx, port.project_id, 'update_port');
  if (deviceOwner !== undefined && (isNetworkDevice(deviceOwner) || isNetworkDevice(port.device_owner)) && deviceOwner !== port.device_owner) {
    requireAdminOrNetworkOwner(ctx, network, 'update_port:device_owner');
  }
  if (macAsked !== undefined && !isAdmin(ctx)) throw policyForbidden('update_port:mac_address');
  if (fixedIps !== undefined) {
    const shared = network.shared === 1 || (await service.rbacGrants(ctx, tx)).shared.has(network.id);
    if (fixedIps.some((f) => f.ip_address !== undefined) || !shared) requireAdminOrNetworkOwner(ctx, network, 'update_port:fixed_ips');
  }
  if (portSecurity !== undefined) requireAdminOrNetworkOwner(ctx, network, 'update_port:port_security_enabled');
  if (pairs !== undefined) requireAdminOrNetworkOwner(ctx, network, 'update_port:allowed_address_pairs');
  if (hostId !== undefined && !isAdmin(ctx)) throw policyForbidden('update_port:binding:host_id');
  if (profile !== undefined && !isAdmin(ctx)) throw policyForbidden('update_port:binding:profile');

  const changes: Partial<PortRow> = {};
  const set = <K extends keyof PortRow>(key: K, value: PortRow[K] | undefined) => {
    if (value !== undefined && value !== port[key]) changes[key] = value;
  };
  set('name', name);
  set('description', description);
  set('device_id', deviceId);
  set('device_owner', deviceOwner);
  set('admin_state_up', adminStateUp === undefined ? undefined : adminStateUp ? 1 : 0);
  set('port_security_enabled', portSecurity === undefined ? undefined : portSecurity ? 1 : 0);
  set('propagate_uplink_status', propagate === undefined ? undefined : propagate ? 1 : 0);
  set('binding_host_id', hostId);
  set('binding_profile', profile === undefined ? undefined : JSON.stringify(profile));
  set('binding_vnic_type', vnicType);
  set('dns_name', dnsName === undefined ? undefined : effectiveDnsName(service, dnsName));
  let otherChange = false;

  // MAC: admin only, never on a bound port; null asks for a new random one (port-mac-address-regenerate).
  let mac = port.mac_address;
  if (macAsked !== undefined && macAsked !== port.mac_address) {
    const next = macAsked ?? randomMac();
    if (port.binding_vif_type !== 'unbound' && port.binding_vif_type !== 'binding_failed') throw portBound(port, next);
    const taken = await tx.selectFrom('ports').select('id').where('network_id', '=', port.network_id).where('mac_address', '=', next).executeTakeFirst();
    if (taken) throw macInUse(next, port.network_id);
    changes.mac_address = next;
    mac = next;
  }

  // Port security: with it off (now or after this update) no group and no pair may stay.
  const securityOn = (changes.port_security_enabled ?? port.port_security_enabled) === 1;
  const currentPairs = parseJsonArray<{ ip_address: string; mac_address: string }>(port.allowed_address_pairs);
  const currentGroups = (await securityGroupsOf(tx, [id])).get(id) ?? [];
  if (!securityOn) {
    if (pairs !== undefined ? pairs.length > 0 : currentPairs.length > 0) throw addressPairsNeedPortSecurity();
    if (groups !== undefined && groups.length > 0) throw groupsNeedPortSecurity();
    if (groups === undefined && currentGroups.length > 0) throw portHasGroups();
  }
  if (pairs !== undefined) set('allowed_address_pairs', JSON.stringify(pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address ?? mac }))));
  if (dhcpOpts !== undefined) {
    const merged = mergeDhcpOpts(parseJsonArray<DhcpOpt>(port.extra_dhcp_opts), dhcpOpts);
    set('extra_dhcp_opts', JSON.stringify(merged));
  }
  if (groups !== undefined) {
    const same = groups.length === currentGroups.length && groups.every((g) => currentGroups.includes(g));
    if (!same) {
      await checkSecurityGroups(tx, ctx, port.project_id, groups);
      await tx.deleteFrom('port_security_groups').where('port_id', '=', id).execute();
      if (groups.length) await tx.insertInto('port_security_groups').values(groups.map((g) => ({ port_id: id, security_group_id: g }))).execute();
      otherChange = true;
    }
  }

  // The row goes in before addresses move, so a MAC change is visible to the unique constraint first.
  const updated: PortRow = { ...port, ...changes };
  const changed = otherChange || Object.keys(changes).length > 0;
  if (Object.keys(changes).length > 0) {
    try {
      await tx.updateTable('ports').set(changes).where('id', '=', id).execute();
    } catch (err) {
      // A concurrent port took the MAC after the check above; the transaction is lost anyway.
      if (changes.mac_address !== undefined && isUniqueViolation(err)) throw macInUse(changes.mac_address, port.network_id);
      throw err;
    }
  }

  const current = (await fixedIpsOf(tx, [id])).get(id) ?? [];
  const subnets = await networkSubnets(tx, port.network_id);
  const auto = new Set(subnets.filter(isAutoAddressSubnet).map((s) => s.id));
  let addressesChanged = false;
  if (fixedIps !== undefined) {
    const { add, remove } = planFixedIps(current, fixedIps, auto);
    if (remove.length) {
      for (const ip of remove) await tx.deleteFrom('ip_allocations').where('subnet_id', '=', ip.subnet_id).where('ip_address', '=', ip.ip_address).execute();
    }
    if (add.length) await allocateRequested(tx, id, port.network_id, mac, updated.device_owner, add, subnets);
    addressesChanged = remove.length > 0 || add.length > 0;
  }
  if (changes.mac_address !== undefined) {
    // SLAAC addresses derive from the MAC: they follow it.
    for (const ip of (await fixedIpsOf(tx, [id])).get(id) ?? []) {
      if (!auto.has(ip.subnet_id)) continue;
      const subnet = subnets.find((s) => s.id === ip.subnet_id);
      const next = subnet ? eui64(subnet.cidr, mac) : null;
      if (!subnet || next === null || next === ip.ip_address) continue;
      await tx.deleteFrom('ip_allocations').where('subnet_id', '=', ip.subnet_id).where('ip_address', '=', ip.ip_address).execute();
      await allocateSpecific(tx, subnet, next, id);
    }
  }
  if (!changed && !addressesChanged) return port;
  const stamp = { updated_at: nowIso(), revision_number: port.revision_number + 1 };
  await tx.updateTable('ports').set(stamp).where('id', '=', id).execute();
  return { ...updated, ...stamp };
}
