/**
 * A subnet pool's prefixes and prefix-length bounds read the way Neutron's SubnetPoolReader reads
 * them: one IP version, compacted prefixes, min/max/default lengths defaulted (8 or 64, 32 or 128,
 * min) and checked against each other.
 */
import { ApiError } from '../../api/errors.js';
import { formatCidr, type Cidr, type IpVersion } from '../ipam/ip.js';
import { invalidAttr, parseSubnetCidr, pyRepr } from './input.js';
import { compactPrefixes } from './prefixes.js';

export interface PoolSpec {
  readonly ipVersion: IpVersion;
  readonly prefixes: readonly Cidr[];
  readonly minPrefixlen: number;
  readonly maxPrefixlen: number;
  readonly defaultPrefixlen: number;
}

export function parsePrefixList(value: unknown): Cidr[] {
  if (!Array.isArray(value)) throw invalidAttr('prefixes', `${pyRepr(value)} is not a list`);
  return value.map((p) => parseSubnetCidr(p, 'prefixes'));
}

/** A non-negative integer attribute (neutron-lib's convert_to_int + non_negative). */
export function nonNegative(value: unknown, attribute: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new ApiError('badRequest', `Invalid input for operation: '${String(value)}' is not an integer`, { type: 'InvalidInput' });
  }
  if (n < 0) throw invalidAttr(attribute, `'${n}' should be non-negative`);
  return n;
}

const bounds = (prefixType: string, prefixlen: number, baseType: string, base: number) =>
  new ApiError('badRequest', `Illegal prefix bounds: ${prefixType}=${prefixlen}, ${baseType}=${base}.`, { type: 'IllegalSubnetPoolPrefixBounds' });

export function readPoolSpec(prefixes: readonly Cidr[], min: number | undefined, max: number | undefined, def: number | undefined): PoolSpec {
  if (prefixes.length === 0) throw new ApiError('badRequest', 'Empty subnet pool prefix list.', { type: 'EmptySubnetPoolPrefixList' });
  const ipVersion = (prefixes[0] as Cidr).version;
  if (prefixes.some((p) => p.version !== ipVersion)) {
    throw new ApiError('badRequest', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', { type: 'PrefixVersionMismatch' });
  }
  const bits = ipVersion === 4 ? 32 : 128;
  const minPrefixlen = min ?? (ipVersion === 4 ? 8 : 64);
  const maxPrefixlen = max ?? bits;
  const defaultPrefixlen = def ?? minPrefixlen;
  if (minPrefixlen > maxPrefixlen) throw bounds('min_prefixlen', minPrefixlen, 'max_prefixlen', maxPrefixlen);
  if (maxPrefixlen > bits) throw bounds('max_prefixlen', maxPrefixlen, 'ip_version_max', bits);
  if (defaultPrefixlen < minPrefixlen) throw bounds('default_prefixlen', defaultPrefixlen, 'min_prefixlen', minPrefixlen);
  if (defaultPrefixlen > maxPrefixlen) throw bounds('default_prefixlen', defaultPrefixlen, 'max_prefixlen', maxPrefixlen);
  return { ipVersion, prefixes: compactPrefixes(prefixes, ipVersion), minPrefixlen, maxPrefixlen, defaultPrefixlen };
}

export function prefixesJson(prefixes: readonly Cidr[]): string {
  return JSON.stringify(prefixes.map(formatCidr));
}

export const illegalPrefixUpdate = (message: string) =>
  new ApiError('badRequest', `Illegal update to prefixes: ${message}.`, { type: 'IllegalSubnetPoolPrefixUpdate' });
