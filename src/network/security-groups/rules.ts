/**
 * Security group rule validation in Neutron's order and words: attribute conversion (protocol,
 * ports, ethertype, CIDR), then the plugin checks (IPv6 ICMP names, whole-range ports, port
 * ranges per protocol, ethertype against prefix and protocol, one remote only), and the key two
 * rules are compared by to detect duplicates.
 */
import { ApiError } from '../../api/errors.js';
import type { SecurityGroupRuleRow } from '../../store/schema-network.js';
import { formatIp, parseIp } from '../ipam/ip.js';
import { bad, onlyKnown, optString, type Body } from '../validate.js';
import { convertProtocol, hasPorts, ICMP_NUMBERS, IPV6_ONLY_PROTOCOLS, PORT_PROTOCOL_NAMES, protocolKey, protocolNumber, pyInt, pyText } from './protocols.js';

export const RULE_CREATE_ATTRS = ['security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max',
  'remote_ip_prefix', 'remote_group_id', 'remote_address_group_id', 'description', 'tenant_id', 'project_id'];

/** A rule as asked for, converted and validated, before it meets the database. */
export interface RuleSpec {
  readonly securityGroupId: string;
  readonly direction: string;
  readonly ethertype: string;
  readonly protocol: string | null;
  readonly portRangeMin: number | null;
  readonly portRangeMax: number | null;
  readonly remoteIpPrefix: string | null;
  readonly remoteGroupId: string | null;
  readonly remoteAddressGroupId: string | null;
  readonly description: string;
}

const invalidInput = (type: string, message: string) => new ApiError('badRequest', message, { type });

function convertPort(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const n = pyInt(value);
  if (n === null || n < 0 || n > 65535) throw invalidInput('SecurityGroupInvalidPortValue', `Invalid value for port ${pyText(value)}`);
  return n;
}

function convertEthertype(value: unknown): string {
  if (value === undefined) return 'IPv4';
  if (typeof value === 'string') {
    for (const e of ['IPv4', 'IPv6']) if (e.toLowerCase() === value.toLowerCase()) return e;
  }
  throw invalidInput('SecurityGroupRuleInvalidEtherType', `Security group rule for ethertype '${pyText(value)}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
}

/**
 * remote_ip_prefix as netaddr prints it: the address as given (host bits kept) with its prefix
 * length, /32 or /128 added when missing.
 */
export function convertIpPrefix(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const fail = () => invalidInput('InvalidCIDR', `Invalid CIDR ${pyText(value)} given as IP prefix.`);
  if (typeof value !== 'string') throw fail();
  const [addr, len, extra] = value.split('/');
  const ip = addr === undefined || extra !== undefined ? null : parseIp(addr);
  if (!ip) throw fail();
  const bits = ip.version === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(prefix) || prefix > bits) throw fail();
  return `${formatIp(ip.version, ip.value)}/${prefix}`;
}

/** The network of a prefix (what Neutron shows as normalized_cidr). */
export function normalizedCidr(prefix: string | null): string | null {
  if (prefix === null) return null;
  const [addr, len] = prefix.split('/');
  const ip = parseIp(addr as string);
  if (!ip) return prefix;
  const bits = ip.version === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(bits - Number(len))) - 1n;
  return `${formatIp(ip.version, ip.value & ~hostMask & ((1n << BigInt(bits)) - 1n))}/${len}`;
}

function optionalId(item: Body, attribute: string): string | null {
  const value = item[attribute];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw bad(`Invalid input for ${attribute}. Reason: '${pyText(value)}' is not a valid string.`);
  return value;
}

/** Converts one request object into a RuleSpec, raising Neutron's error for the first problem found. */
export function parseRule(item: Body): RuleSpec {
  onlyKnown(item, RULE_CREATE_ATTRS);
  for (const required of ['security_group_id', 'direction']) {
    if (item[required] === undefined) throw bad(`Failed to parse request. Required attribute '${required}' not specified`);
  }
  const sg = item.security_group_id;
  if (typeof sg !== 'string' || sg.length > 36) throw bad(`Invalid input for security_group_id. Reason: '${pyText(sg)}' is not a valid string.`);
  const direction = item.direction;
  if (direction !== 'ingress' && direction !== 'egress') throw bad(`Invalid input for direction. Reason: '${pyText(direction)}' is not in ['ingress', 'egress'].`);
  let protocol = convertProtocol(item.protocol);
  let portRangeMin = convertPort(item.port_range_min);
  let portRangeMax = convertPort(item.port_range_max);
  const ethertype = convertEthertype(item.ethertype);
  const remoteIpPrefix = convertIpPrefix(item.remote_ip_prefix);
  const remoteGroupId = optionalId(item, 'remote_group_id');
  const remoteAddressGroupId = optionalId(item, 'remote_address_group_id');
  const description = optString(item, 'description') ?? '';

  // Legacy IPv6 ICMP names and number 1 become ipv6-icmp / 58 on IPv6 rules.
  if (ethertype === 'IPv6') {
    if (protocol === 'icmp' || protocol === 'icmpv6') protocol = 'ipv6-icmp';
    else if (protocol === '1') protocol = '58';
  }
  // The whole port range is the same as no range.
  if (portRangeMin === 1 && portRangeMax === 65535) {
    portRangeMin = null;
    portRangeMax = null;
  }
  validatePortRange(protocol, portRangeMin, portRangeMax);
  if (remoteIpPrefix !== null && ethertype !== (remoteIpPrefix.includes(':') ? 'IPv6' : 'IPv4')) {
    throw invalidInput('SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${remoteIpPrefix}`);
  }
  if (protocol !== null && IPV6_ONLY_PROTOCOLS.has(protocol) && ethertype === 'IPv4') {
    throw invalidInput('SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype ${ethertype} for protocol ${protocol}.`);
  }
  if ([remoteIpPrefix, remoteGroupId, remoteAddressGroupId].filter((r) => r !== null).length > 1) {
    throw invalidInput('SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  }
  return { securityGroupId: sg, direction, ethertype, protocol, portRangeMin, portRangeMax, remoteIpPrefix, remoteGroupId, remoteAddressGroupId, description };
}

function validatePortRange(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null) throw invalidInput('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
  const num = protocolNumber(protocol);
  if (hasPorts(num, protocol)) {
    if (min === 0 || max === 0) throw invalidInput('SecurityGroupInvalidPortValue', 'Invalid value for port 0');
    if (min === null || max === null || min > max) {
      throw invalidInput('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
  } else if (num !== null && ICMP_NUMBERS.has(num)) {
    for (const [value, field, attr] of [[min, 'type', 'port_range_min'], [max, 'code', 'port_range_max']] as const) {
      if (value !== null && (value < 0 || value > 255)) {
        throw invalidInput('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`);
      }
    }
    if (min === null && max !== null) {
      throw invalidInput('SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
    }
  } else {
    throw invalidInput('SecurityGroupInvalidProtocolForPort', `Ports cannot be specified for protocol ${Number.isNaN(num) ? protocol : num}. Ports are only supported for ${PORT_PROTOCOL_NAMES}.`);
  }
}

type KeyFields = Pick<SecurityGroupRuleRow, 'direction' | 'ethertype' | 'port_range_max' | 'port_range_min' | 'protocol' | 'remote_group_id' | 'remote_address_group_id' | 'remote_ip_prefix' | 'security_group_id'>;

/** What makes two rules the same rule (any-address prefixes equal no prefix). */
export function ruleKey(r: KeyFields): string {
  const opt = (v: string | number | null) => (v === null ? '+' : String(v));
  const prefix = r.remote_ip_prefix === null || r.remote_ip_prefix === '0.0.0.0/0' || r.remote_ip_prefix === '::/0' ? '+' : r.remote_ip_prefix;
  return [r.direction, r.ethertype, opt(r.port_range_max), opt(r.port_range_min), protocolKey(r.protocol, r.ethertype),
    opt(r.remote_group_id), opt(r.remote_address_group_id), prefix, r.security_group_id].join('_');
}

export function specKey(s: RuleSpec): string {
  return ruleKey({
    direction: s.direction, ethertype: s.ethertype, port_range_max: s.portRangeMax, port_range_min: s.portRangeMin, protocol: s.protocol,
    remote_group_id: s.remoteGroupId, remote_address_group_id: s.remoteAddressGroupId, remote_ip_prefix: s.remoteIpPrefix, security_group_id: s.securityGroupId,
  });
}
