/**
 * Subnet request attributes checked the way Neutron's API layer checks them before the plugin
 * sees them: addresses and CIDRs parse, pools/nameservers/routes have the right shape, no
 * duplicates. Errors read "Invalid input for <attr>. Reason: ..." like Neutron's.
 */
import { ApiError } from '../../api/errors.js';
import { formatCidr, formatIp, parseCidr, parseIp, type Cidr, type IpVersion } from '../ipam/ip.js';
import { isPlainObject } from '../../util/json.js';
import { bad } from '../validate.js';

export const invalidAttr = (attribute: string, reason: string) => bad(`Invalid input for ${attribute}. Reason: ${reason}.`);

export const invalidOperation = (message: string) =>
  new ApiError('badRequest', `Invalid input for operation: ${message}`, { type: 'InvalidInput' });

/** Neutron's generic BadRequest(resource, msg). */
export const badResource = (resource: string, message: string) =>
  new ApiError('badRequest', `Bad ${resource} request: ${message}.`, { type: 'BadRequest' });

export interface Ip {
  readonly version: IpVersion;
  readonly value: bigint;
  /** Canonical text (IPv6 compressed). */
  readonly text: string;
}

/** Why `value` is not an acceptable IP address, or null (neutron-lib's validate_ip_address). */
export function ipAddressProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `'${String(value)}' is not a valid IP address`;
  if (/\s/.test(value)) return `'${value}' contains whitespace`;
  const ip = parseIp(value);
  if (ip) return null;
  // Leading zeros are refused rather than read as octal.
  const octets = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(value);
  if (octets && octets.slice(1).every((o) => Number(o) <= 255)) {
    return `'${value}' is not an accepted IP address, '${octets.slice(1).map(Number).join('.')}' is recommended`;
  }
  return `'${value}' is not a valid IP address`;
}

export function toIp(value: string): Ip {
  const ip = parseIp(value);
  if (!ip) throw new Error(`not an IP: ${value}`);
  return { ...ip, text: formatIp(ip.version, ip.value) };
}

function ipAttribute(value: unknown, attribute: string): Ip {
  const problem = ipAddressProblem(value);
  if (problem) throw invalidAttr(attribute, problem);
  return toIp(value as string);
}

/** A subnet CIDR as Neutron accepts it: address/prefix, no whitespace; host bits are dropped. */
export function parseSubnetCidr(value: unknown, attribute = 'cidr'): Cidr {
  const reason = `'${String(value)}' is not a valid IP subnet`;
  if (typeof value !== 'string' || /\s/.test(value) || !value.includes('/')) throw invalidAttr(attribute, reason);
  const cidr = parseCidr(value);
  if (!cidr) throw invalidAttr(attribute, reason);
  return cidr;
}

/** A route destination: a CIDR whose host bits are zero and which is routable. */
function routeCidr(value: unknown): Cidr {
  const reason = `'${String(value)}' is not a valid CIDR`;
  if (typeof value !== 'string' || /\s/.test(value) || !value.includes('/')) throw invalidAttr('host_routes', reason);
  const cidr = parseCidr(value, true);
  if (!cidr) throw invalidAttr('host_routes', reason);
  const loopback = cidr.version === 4 ? cidr.network >> 24n === 127n && cidr.prefixLength >= 8 : cidr.network === 1n && cidr.prefixLength === 128;
  if (loopback) throw invalidAttr('host_routes', `'${value}' is not a routable CIDR`);
  return cidr;
}

/** undefined: not given; null: explicitly no gateway. */
export function parseGateway(value: unknown): Ip | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return ipAttribute(value, 'gateway_ip');
}

/** Python-ish rendering of a request value, as Neutron's messages show them. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}

function dictWithKeys(value: unknown, keys: readonly string[], attribute: string): Record<string, unknown> {
  const expected = `{${keys.map((k) => `'${k}'`).join(', ')}}`;
  if (!isPlainObject(value)) throw invalidAttr(attribute, `Invalid input. '${pyRepr(value)}' must be a dictionary with keys: [${keys.map((k) => `'${k}'`).join(', ')}]`);
  const provided = Object.keys(value);
  if (provided.length !== keys.length || !keys.every((k) => k in value)) {
    throw invalidAttr(attribute, `Validation of dictionary's keys failed. Expected keys: ${expected} Provided keys: {${provided.map((k) => `'${k}'`).join(', ')}}`);
  }
  return value;
}

export interface PoolInput {
  readonly start: Ip;
  readonly end: Ip;
  /** The request's own text, for Neutron's "{'start': ..., 'end': ...} is not valid" message. */
  readonly raw: Record<string, unknown>;
}

/** undefined: not given (Neutron computes pools); [] (or null): a subnet without pools. */
export function parsePools(value: unknown): PoolInput[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (!Array.isArray(value)) throw invalidAttr('allocation_pools', `Invalid data format for IP pool: '${pyRepr(value)}'`);
  return value.map((pool) => {
    const dict = dictWithKeys(pool, ['start', 'end'], 'allocation_pools');
    return { start: ipAttribute(dict.start, 'allocation_pools'), end: ipAttribute(dict.end, 'allocation_pools'), raw: dict };
  });
}

/** undefined: not given; null becomes [] like Neutron's convert_none_to_empty_list. */
export function parseNameservers(value: unknown): Ip[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (!Array.isArray(value)) throw invalidAttr('dns_nameservers', `Invalid data format for nameserver: '${pyRepr(value)}'`);
  const seen: unknown[] = [];
  return value.map((host) => {
    const problem = ipAddressProblem(host);
    if (problem) throw invalidAttr('dns_nameservers', `'${String(host)}' is not a valid nameserver. ${problem}`);
    if (seen.includes(host)) throw invalidAttr('dns_nameservers', `Duplicate nameserver '${String(host)}'`);
    seen.push(host);
    return toIp(host as string);
  });
}

export interface HostRoute {
  readonly destination: Cidr;
  readonly nexthop: Ip;
}

export function parseHostRoutes(value: unknown): HostRoute[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (!Array.isArray(value)) throw invalidAttr('host_routes', `Invalid data format for hostroute: '${pyRepr(value)}'`);
  const seen = new Set<string>();
  return value.map((route) => {
    const dict = dictWithKeys(route, ['destination', 'nexthop'], 'host_routes');
    const destination = routeCidr(dict.destination);
    const nexthop = ipAttribute(dict.nexthop, 'host_routes');
    const key = `${formatCidr(destination)} ${nexthop.text}`;
    if (seen.has(key)) throw invalidAttr('host_routes', `Duplicate hostroute '${pyRepr(dict)}'`);
    seen.add(key);
    return { destination, nexthop };
  });
}

export const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const;

/** undefined: not given; null: explicitly none. */
export function parseIpv6Mode(value: unknown, attribute: string): string | null | undefined {
  if (value === undefined || value === null) return value as undefined | null;
  if (typeof value !== 'string' || !(IPV6_MODES as readonly string[]).includes(value)) throw invalidAttr(attribute, `${String(value)} is not in valid_values`);
  return value;
}

/** Device-owner prefixes a subnet may be reserved for (neutron-lib's subnet service types). */
const SERVICE_TYPE_PREFIXES = ['network:', 'neutron:', 'compute:'];

export function parseServiceTypes(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (!Array.isArray(value)) throw bad('Subnet service types must be a list.');
  for (const type of value) {
    if (typeof type !== 'string') {
      throw new ApiError('badRequest', `Subnet service type ${String(type)} is not a string.`, { type: 'InvalidInputSubnetServiceType' });
    }
    if (!SERVICE_TYPE_PREFIXES.some((p) => type.startsWith(p))) {
      throw new ApiError('badRequest', `Subnet service type ${type} does not correspond to a valid device owner.`, { type: 'InvalidSubnetServiceType' });
    }
  }
  return [...new Set(value as string[])];
}

export function parseIpVersion(value: unknown): IpVersion {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidOperation(`'${String(value)}' is not an integer`);
  if (n !== 4 && n !== 6) throw invalidAttr('ip_version', `${n} is not in valid_values`);
  return n;
}

/** "cidr '10.0.0.0/24' does not match the ip_version '6'" */
export function versionMismatch(name: string, text: string, ipVersion: IpVersion): ApiError {
  return invalidOperation(`${name} '${text}' does not match the ip_version '${ipVersion}'`);
}
