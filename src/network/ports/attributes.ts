/**
 * Parsing and validation of a port request's own attributes, worded as Neutron's validators
 * word them: fixed_ips, allowed_address_pairs, extra_dhcp_opts (nothing that could inject into
 * dnsmasq's configuration), binding:*, dns_name, security_groups, mac_address.
 */
import { ApiError } from '../../api/errors.js';
import { isPlainObject } from '../../util/json.js';
import { normalizeIp, parseCidr, parseIp } from '../ipam/ip.js';
import { bad, isUuid, optBool, type Body } from '../validate.js';
import type { FixedIpRequest } from './create.js';
import { normalizeMac } from './mac.js';

export const invalidAttr = (attribute: string, reason: string) => bad(`Invalid input for ${attribute}. Reason: ${reason}.`);

/** Neutron's max_allowed_address_pair default. */
export const MAX_ADDRESS_PAIRS = 10;

export const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic',
  'vdpa', 'accelerator-direct', 'accelerator-direct-physical', 'remote-managed'] as const;

/** `fixed_ips`: a list of {subnet_id?, ip_address?}; addresses canonical and not repeated. */
export function parseFixedIps(value: unknown): FixedIpRequest[] {
  if (!Array.isArray(value)) throw invalidAttr('fixed_ips', `Invalid data format for fixed IP: '${JSON.stringify(value)}'`);
  const seen = new Set<string>();
  return value.map((entry): FixedIpRequest => {
    if (!isPlainObject(entry)) throw invalidAttr('fixed_ips', `Invalid data format for fixed IP: '${JSON.stringify(entry)}'`);
    const unknown = Object.keys(entry).filter((k) => k !== 'subnet_id' && k !== 'ip_address');
    if (unknown.length) throw bad(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const result: { subnet_id?: string; ip_address?: string } = {};
    if (entry.ip_address !== undefined) {
      const ip = typeof entry.ip_address === 'string' ? normalizeIp(entry.ip_address) : null;
      if (ip === null) {
        throw invalidAttr('fixed_ips', `'${String(entry.ip_address)}' is not a valid IP address`);
      }
      if (seen.has(ip)) throw invalidAttr('fixed_ips', `Duplicate IP address '${entry.ip_address}'`);
      seen.add(ip);
      result.ip_address = ip;
    }
    if (entry.subnet_id !== undefined) {
      if (!isUuid(entry.subnet_id)) throw invalidAttr('fixed_ips', `'${String(entry.subnet_id)}' is not a valid UUID`);
      result.subnet_id = entry.subnet_id;
    }
    return result;
  });
}

export interface AddressPair {
  readonly ip_address: string;
  readonly mac_address?: string;
}

const pairError = (type: string, message: string) => new ApiError('badRequest', message, { type });

/** `allowed_address_pairs`: IPs or CIDRs (not multicast), optional unicast MACs, no duplicates. */
export function parseAddressPairs(value: unknown): AddressPair[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw bad('Allowed address pairs must be a list.');
  if (value.length > MAX_ADDRESS_PAIRS) {
    throw pairError('AllowedAddressPairExhausted', `The number of allowed address pair exceeds the maximum ${MAX_ADDRESS_PAIRS}.`);
  }
  const seen = new Set<string>();
  return value.map((pair): AddressPair => {
    if (!isPlainObject(pair)) throw bad(`'${JSON.stringify(pair)}' is not a dictionary`);
    let mac: string | undefined;
    if (pair.mac_address !== undefined) {
      const normalized = normalizeMac(pair.mac_address);
      if (!normalized) throw bad(`'${String(pair.mac_address)}' is not a valid MAC address`);
      mac = normalized;
    }
    if (pair.ip_address === undefined) throw pairError('AllowedAddressPairsMissingIP', 'AllowedAddressPair must contain ip_address');
    const key = `${mac ?? ''}|${String(pair.ip_address)}`;
    if (seen.has(key)) {
      throw pairError('DuplicateAddressPairInRequest', `Request contains duplicate address pair: mac_address ${mac ?? 'None'} ip_address ${String(pair.ip_address)}.`);
    }
    seen.add(key);
    const unknown = Object.keys(pair).filter((k) => k !== 'mac_address' && k !== 'ip_address');
    if (unknown.length) throw bad(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const text = pair.ip_address;
    if (typeof text !== 'string') throw bad(`'${String(text)}' is not a valid IP address`);
    if (text.includes('/')) {
      const cidr = parseCidr(text);
      if (!cidr) throw bad(`'${text}' is not a valid IP subnet`);
      if (isMulticast(cidr.version, cidr.network)) throw bad(`'${text}' is a multicast subnet`);
    } else {
      const ip = parseIp(text);
      if (!ip) throw bad(`'${text}' is not a valid IP address`);
      if (isMulticast(ip.version, ip.value)) throw bad(`'${text}' is a multicast IP address`);
    }
    return mac === undefined ? { ip_address: text } : { ip_address: text, mac_address: mac };
  });
}

function isMulticast(version: 4 | 6, value: bigint): boolean {
  return version === 4 ? value >> 28n === 0xen : value >> 120n === 0xffn;
}

export interface DhcpOpt {
  readonly opt_name: string;
  readonly opt_value: string | null;
  readonly ip_version: number;
}

/** Options whose value may be empty (dnsmasq then sends the option without data). */
const BLANK_ALLOWED = ['router', 'classless-static-route'];

/**
 * Option names are dnsmasq option names or numbers, optionally "option:"/"option6:"-prefixed:
 * no comma (dnsmasq's field separator), no whitespace, nothing a tag or set: could hide in.
 */
const OPT_NAME = /^(?:option6?:)?[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Words dnsmasq would read as the start of another directive inside a comma-separated value. */
const DNSMASQ_KEYWORD = /^(?:tag|set|option|option6|vendor|encap|vi-encap|net|id|tag-if):/i;

function dhcpOptValue(name: string, value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalidAttr('extra_dhcp_opts', `'${String(value)}' is not a valid string`);
  if (value.length > 255) throw invalidAttr('extra_dhcp_opts', `'${value}' exceeds maximum length of 255`);
  if (value.trim() === '') {
    if (BLANK_ALLOWED.includes(name)) return value;
    throw invalidAttr('extra_dhcp_opts', `'${value}' Blank strings are not permitted`);
  }
  // Newlines would start a new dnsmasq configuration line; other control characters, quotes
  // and backslashes change how dnsmasq tokenises the line.
  if (/[\r\n]/.test(value)) throw invalidAttr('extra_dhcp_opts', `Multi-line string is not allowed: '${value}'`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f"\\]/.test(value)) throw invalidAttr('extra_dhcp_opts', `'${value}' contains characters not allowed in a DHCP option value`);
  // A comma separates list items (several DNS servers, routes); an empty item or one that
  // reads as a dnsmasq keyword would be misread.
  for (const item of value.split(',')) {
    if (item.trim() === '' || DNSMASQ_KEYWORD.test(item.trim())) {
      throw invalidAttr('extra_dhcp_opts', `'${value}' is not a valid DHCP option value`);
    }
  }
  return value;
}

/** `extra_dhcp_opts`: [{opt_name, opt_value, ip_version?}], validated for dnsmasq's config. */
export function parseDhcpOpts(value: unknown): DhcpOpt[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw invalidAttr('extra_dhcp_opts', `'${JSON.stringify(value)}' is not a list`);
  const seen = new Set<string>();
  return value.map((opt): DhcpOpt => {
    if (!isPlainObject(opt)) throw invalidAttr('extra_dhcp_opts', `'${JSON.stringify(opt)}' is not a dictionary`);
    const unknown = Object.keys(opt).filter((k) => !['opt_name', 'opt_value', 'ip_version'].includes(k));
    if (unknown.length) throw invalidAttr('extra_dhcp_opts', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
    if (opt.opt_name === undefined) throw invalidAttr('extra_dhcp_opts', `Validation of dictionary's keys failed. Expected keys: {'opt_name', 'opt_value'}`);
    if (!('opt_value' in opt)) throw invalidAttr('extra_dhcp_opts', `Validation of dictionary's keys failed. Expected keys: {'opt_name', 'opt_value'}`);
    const name = opt.opt_name;
    if (typeof name !== 'string' || name.trim() === '') throw invalidAttr('extra_dhcp_opts', `'${String(name)}' Blank strings are not permitted`);
    if (name.length > 64) throw invalidAttr('extra_dhcp_opts', `'${name}' exceeds maximum length of 64`);
    if (/[\r\n]/.test(name)) throw invalidAttr('extra_dhcp_opts', `Multi-line string is not allowed: '${name}'`);
    if (!OPT_NAME.test(name)) throw invalidAttr('extra_dhcp_opts', `'${name}' is not a valid DHCP option name`);
    let ipVersion = 4;
    if (opt.ip_version !== undefined && opt.ip_version !== null) {
      const v = typeof opt.ip_version === 'string' && /^\d+$/.test(opt.ip_version) ? Number(opt.ip_version) : opt.ip_version;
      if (v !== 4 && v !== 6) throw invalidAttr('extra_dhcp_opts', `${String(opt.ip_version)} is not in [4, 6]`);
      ipVersion = v;
    }
    const key = `${name}|${ipVersion}`;
    if (seen.has(key)) throw invalidAttr('extra_dhcp_opts', `Duplicate items in the list: '${name}'`);
    seen.add(key);
    return { opt_name: name, opt_value: dhcpOptValue(name, opt.opt_value), ip_version: ipVersion };
  });
}

/**
 * Neutron's update semantics for extra_dhcp_opts: options are matched by (name, ip_version);
 * a null value removes the option, a new value replaces it, an unknown one is added; options
 * not mentioned stay.
 */
export function mergeDhcpOpts(current: readonly DhcpOpt[], requested: readonly DhcpOpt[]): DhcpOpt[] {
  const result = current.map((o) => ({ ...o }));
  for (const opt of requested) {
    const index = result.findIndex((o) => o.opt_name === opt.opt_name && o.ip_version === opt.ip_version);
    if (opt.opt_value === null) {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = { ...opt };
    } else {
      result.push({ ...opt });
    }
  }
  return result;
}

export function parseVnicType(value: unknown): string {
  if (typeof value !== 'string' || !(VNIC_TYPES as readonly string[]).includes(value)) {
    throw invalidAttr('binding:vnic_type', `${String(value)} is not in [${VNIC_TYPES.map((v) => `'${v}'`).join(', ')}]`);
  }
  return value;
}

export function parseProfile(value: unknown): Record<string, unknown> {
  if (value === null) return {};
  if (!isPlainObject(value)) throw invalidAttr('binding:profile', `'${JSON.stringify(value)}' is not a dictionary`);
  return value;
}

export function parseHostId(value: unknown): string {
  if (value === null) return '';
  if (typeof value !== 'string') throw invalidAttr('binding:host_id', `'${String(value)}' is not a valid string`);
  if (value.length > 255) throw invalidAttr('binding:host_id', `'${value}' exceeds maximum length of 255`);
  return value;
}

/** `dns_name`: a host name or FQDN of valid DNS labels (Neutron's dns_host_name validator). */
export function parseDnsName(value: unknown): string {
  if (value === null || value === '') return '';
  if (typeof value !== 'string') throw invalidAttr('dns_name', `'${String(value)}' is not a valid string`);
  if (value.length > 255) throw invalidAttr('dns_name', `'${value}' exceeds the 255 character FQDN limit`);
  const trimmed = value.endsWith('.') ? value.slice(0, -1) : value;
  const labels = trimmed.split('.');
  for (const label of labels) {
    if (label === '') throw invalidAttr('dns_name', `'${value}' not a valid PQDN or FQDN. Reason: Encountered an empty component`);
    if (!/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(label)) {
      throw invalidAttr('dns_name', `'${value}' not a valid PQDN or FQDN. Reason: Name '${label}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen`);
    }
  }
  if (labels.length > 1 && /^\d+$/.test(labels[labels.length - 1] as string)) {
    throw invalidAttr('dns_name', `'${value}' not a valid PQDN or FQDN. Reason: TLD '${labels[labels.length - 1]}' must not be all numeric`);
  }
  return value.toLowerCase();
}

/** `security_groups`: a list of UUIDs (null means none). */
export function parseSecurityGroups(value: unknown): string[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw invalidAttr('security_groups', `'${JSON.stringify(value)}' is not a list`);
  for (const id of value) if (!isUuid(id)) throw invalidAttr('security_groups', `'${String(id)}' is not a valid UUID`);
  return [...new Set(value as string[])];
}

export function parseMac(value: unknown): string {
  const mac = normalizeMac(value);
  if (!mac) throw invalidAttr('mac_address', `'${String(value)}' is not a valid MAC address`);
  return mac;
}

export function stringAttr(item: Body, attribute: string, maxLength: number): string | undefined {
  const value = item[attribute];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidAttr(attribute, `'${JSON.stringify(value)}' is not a valid string`);
  if (value.length > maxLength) throw invalidAttr(attribute, `'${value}' exceeds maximum length of ${maxLength}`);
  return value;
}

/**
 * The scalar attributes a port create and update parse alike; they come before mac_address and
 * fixed_ips (parsed differently by each), as in Neutron, so the same bad body gets the same 400.
 */
export function parseScalarAttributes(item: Body) {
  return {
    name: stringAttr(item, 'name', 255),
    description: stringAttr(item, 'description', 255),
    deviceId: stringAttr(item, 'device_id', 255),
    deviceOwner: stringAttr(item, 'device_owner', 255),
    adminStateUp: optBool(item, 'admin_state_up'),
    portSecurity: optBool(item, 'port_security_enabled'),
    propagate: optBool(item, 'propagate_uplink_status'),
  };
}

/** The structured attributes a port create and update parse alike, after mac_address and fixed_ips. */
export function parseStructuredAttributes(item: Body) {
  return {
    groups: item.security_groups === undefined ? undefined : parseSecurityGroups(item.security_groups),
    pairs: item.allowed_address_pairs === undefined ? undefined : parseAddressPairs(item.allowed_address_pairs),
    dhcpOpts: item.extra_dhcp_opts === undefined ? undefined : parseDhcpOpts(item.extra_dhcp_opts),
    hostId: item['binding:host_id'] === undefined ? undefined : parseHostId(item['binding:host_id']),
    profile: item['binding:profile'] === undefined ? undefined : parseProfile(item['binding:profile']),
    vnicType: item['binding:vnic_type'] === undefined ? undefined : parseVnicType(item['binding:vnic_type']),
    dnsName: item.dns_name === undefined ? undefined : parseDnsName(item.dns_name),
  };
}
