/** IP protocol names and numbers as Neutron's security-group API accepts, stores and compares them. */
import { ApiError } from '../../api/errors.js';

/** Neutron's protocol name → number table (the names the API accepts besides 0–255). */
export const IP_PROTOCOL_MAP: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4,
  'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};

/** Number → canonical name; 58 is 'ipv6-icmp' (never the legacy 'icmpv6'), 0 is 'ip'. */
const NUM_TO_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries(IP_PROTOCOL_MAP).filter(([name]) => name !== 'icmpv6').map(([name, num]) => [String(num), name]),
);

/** Protocols whose rules may carry port ranges. */
const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136]);
export const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE';
export const ICMP_NUMBERS = new Set([1, 58]);

/** Protocols that only make sense over IPv6 (an IPv4 rule with one of them is refused). */
export const IPV6_ONLY_PROTOCOLS = new Set(['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43']);

const SUPPORTED_TEXT = `(None, 'any', ${Object.keys(IP_PROTOCOL_MAP).map((n) => `'${n}'`).join(', ')})`;

const invalidProtocol = (value: unknown) => new ApiError('badRequest',
  `Security group rule protocol ${pyText(value)} not supported. Only protocol values ${SUPPORTED_TEXT} and integer representations [0 to 255] are supported.`,
  { type: 'SecurityGroupRuleInvalidProtocol' });

/** How Python would print a JSON value in a message (None, True, plain strings). */
export function pyText(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Python's int() on a JSON value: integers, integer strings, booleans; floats truncate. */
export function pyInt(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, ''));
  return null;
}

/**
 * The API's protocol converter: null/'any' mean any protocol, a number 0–255 is kept as the
 * text it was sent as, a known name is lower-cased; anything else is refused.
 */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined || value === 'any') return null;
  const n = pyInt(value);
  if (n !== null) {
    if (n >= 0 && n <= 255) return typeof value === 'string' ? value : pyText(value);
    throw invalidProtocol(value);
  }
  if (typeof value === 'string' && value.toLowerCase() in IP_PROTOCOL_MAP) return value.toLowerCase();
  throw invalidProtocol(value);
}

/** The protocol number of a stored protocol text (null for any). */
export function protocolNumber(protocol: string | null): number | null {
  if (protocol === null) return null;
  const mapped = IP_PROTOCOL_MAP[protocol];
  return mapped !== undefined ? mapped : Number.parseInt(protocol, 10);
}

export function hasPorts(num: number | null, protocol: string | null): boolean {
  return (num !== null && PORT_PROTOCOLS.has(num)) || (protocol !== null && ['dccp', 'sctp', 'tcp', 'udp', 'udplite'].includes(protocol));
}

/** [name, number] for comparing rules: 'tcp' and '6' are the same protocol, and over IPv6 so are icmp/icmpv6/1 and ipv6-icmp/58. */
export function protocolKey(protocol: string | null, ethertype: string): string {
  if (protocol === null) return '+';
  let p = protocol;
  if (ethertype === 'IPv6') {
    if (p === 'icmp' || p === 'icmpv6') p = 'ipv6-icmp';
    else if (p === '1') p = '58';
  }
  if (p in IP_PROTOCOL_MAP) return `${p}/${IP_PROTOCOL_MAP[p]}`;
  const name = NUM_TO_NAME.get(p);
  return name !== undefined ? `${name}/${p}` : `${p}/${p}`;
}
