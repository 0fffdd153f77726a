/**
 * POST /v2.0/ports for one item: attribute validation, Neutron's create_port policy (owner,
 * shared network, admin; network-owner-only attributes), quota, then the shared createPort.
 */
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { PortRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { neutronNotFound, policyForbidden } from '../errors.js';
import { owningProject, requireMember } from '../policy.js';
import type { NetworkService } from '../service.js';
import { bad, isUuid, type Body } from '../validate.js';
import { networkNotUsable, requireAdminOrNetworkOwner, isNetworkDevice } from './access.js';
import { parseFixedIps, parseMac, parseScalarAttributes, parseStructuredAttributes } from './attributes.js';
import { createPort, type PortSpec } from './create.js';
import { checkSecurityGroups } from './groups.js';
import { checkQuotaLocked } from './tx.js';
import { DEFAULT_DNS_DOMAIN, dottedDomain } from './views.js';

export const WRITABLE = ['name', 'description', 'admin_state_up', 'mac_address', 'fixed_ips', 'device_id', 'device_owner', 'security_groups',
  'port_security_enabled', 'allowed_address_pairs', 'extra_dhcp_opts', 'binding:host_id', 'binding:vnic_type', 'binding:profile',
  'dns_name', 'propagate_uplink_status'];
const CREATE_ONLY = ['network_id', 'tenant_id', 'project_id'];
/** Attributes a port has that no request may set. */
export const READ_ONLY = ['id', 'status', 'created_at', 'updated_at', 'revision_number', 'binding:vif_type', 'binding:vif_details', 'dns_assignment', 'tags'];

/** Unknown attributes and read-only ones are refused the way Neutron words it. */
export function checkKeys(item: Body, allowed: readonly string[], readOnly: readonly string[], verb: 'POST' | 'PUT'): void {
  const unknown = Object.keys(item).filter((k) => !allowed.includes(k) && !readOnly.includes(k));
  if (unknown.length) throw bad(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const fixed = Object.keys(item).find((k) => readOnly.includes(k));
  if (fixed !== undefined) throw bad(verb === 'POST' ? `Attribute '${fixed}' not allowed in POST` : `Cannot update read-only attribute ${fixed}`);
}

/** Neutron keeps a port's dns_name only when a dns_domain other than its default is configured. */
export function effectiveDnsName(service: NetworkService, requested: string): string {
  const domain = dottedDomain(service.settings.dnsDomain);
  return domain && domain !== DEFAULT_DNS_DOMAIN ? requested : '';
}

export async function createPortRequest(service: NetworkService, ctx: AuthContext, tx: Tx, item: Body): Promise<PortRow> {
  checkKeys(item, [...WRITABLE, ...CREATE_ONLY], READ_ONLY, 'POST');
  requireMember(ctx, 'create_port');
  const networkId = item.network_id;
  if (networkId === undefined) throw bad("Failed to parse request. Required attribute 'network_id' not specified");
  if (!isUuid(networkId)) throw bad(`Invalid input for network_id. Reason: '${String(networkId)}' is not a valid UUID.`);
  const projectId = owningProject(ctx, item, 'create_port');

  // Formats first (400), then policy (403), as Neutron's API layer does.
  const { name, description, deviceId, deviceOwner, adminStateUp, portSecurity, propagate } = parseScalarAttributes(item);
  const mac = item.mac_address === undefined ? undefined : parseMac(item.mac_address);
  const fixedIps = item.fixed_ips === undefined || item.fixed_ips === null ? undefined : parseFixedIps(item.fixed_ips);
  const { groups, pairs, dhcpOpts, hostId, profile, vnicType, dnsName } = parseStructuredAttributes(item);

  const network = await tx.selectFrom('networks').selectAll().where('id', '=', networkId).executeTakeFirst();
  // An admin sees and may use every network: RBAC grants change nothing for one.
  const grants = isAdmin(ctx) ? NO_GRANTS : await service.rbacGrants(ctx, tx);
  if (!network || !service.networkVisible(ctx, network, grants)) throw neutronNotFound('Network', networkId);
  // Another project's network that is not shared with the port's project: Neutron hides it.
  const shared = network.shared === 1 || grants.shared.has(network.id);
  if (!isAdmin(ctx) && !shared && network.project_id !== projectId) throw networkNotUsable();

  if (isNetworkDevice(deviceOwner)) requireAdminOrNetworkOwner(ctx, network, 'create_port:device_owner');
  if (mac !== undefined) requireAdminOrNetworkOwner(ctx, network, 'create_port:mac_address');
  if (fixedIps?.some((f) => f.ip_address !== undefined)) requireAdminOrNetworkOwner(ctx, network, 'create_port:fixed_ips:ip_address');
  if (portSecurity !== undefined) requireAdminOrNetworkOwner(ctx, network, 'create_port:port_security_enabled');
  if (pairs !== undefined && pairs.length > 0) requireAdminOrNetworkOwner(ctx, network, 'create_port:allowed_address_pairs');
  if (hostId !== undefined && !isAdmin(ctx)) throw policyForbidden('create_port:binding:host_id');
  if (profile !== undefined && !isAdmin(ctx)) throw policyForbidden('create_port:binding:profile');

  if (groups !== undefined) await checkSecurityGroups(tx, ctx, projectId, groups);
  await checkQuotaLocked(service.store, tx, projectId, 'port');
  const spec: PortSpec = {
    networkId, projectId, name, description, adminStateUp, macAddress: mac, deviceId, deviceOwner, fixedIps,
    securityGroups: groups, portSecurityEnabled: portSecurity, allowedAddressPairs: pairs, extraDhcpOpts: dhcpOpts,
    bindingHostId: hostId, bindingVnicType: vnicType, bindingProfile: profile,
    dnsName: dnsName === undefined ? undefined : effectiveDnsName(service, dnsName),
    propagateUplinkStatus: propagate,
  };
  return createPort(tx, spec, network);
}

const NO_GRANTS = { shared: new Set<string>(), external: new Set<string>() } as const;
