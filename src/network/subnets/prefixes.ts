/**
 * Subnet pool prefix arithmetic, as Neutron's subnet allocator does it: prefixes are compacted;
 * what is free is the prefixes minus the CIDRs of the pool's subnets; an "any" request takes the
 * first block of the requested size from the smallest free CIDR that can hold it; a specific
 * request must lie wholly in the free space.
 */
import { ApiError } from '../../api/errors.js';
import { formatCidr, parseCidr, type Cidr, type IpVersion } from '../ipam/ip.js';
import { cidrRange, normalize, setContains, subtract, toCidrs } from './ranges.js';

export function compactPrefixes(prefixes: readonly Cidr[], version: IpVersion): Cidr[] {
  return toCidrs(normalize(prefixes.map(cidrRange)), version);
}

export function parseStoredCidrs(texts: readonly string[]): Cidr[] {
  return texts.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== null);
}

/** Free space as CIDRs, smallest blocks (longest prefixes) first, then by address. */
export function availablePrefixes(prefixes: readonly Cidr[], allocated: readonly Cidr[], version: IpVersion): Cidr[] {
  const free = subtract(prefixes.map(cidrRange), allocated.map(cidrRange));
  return toCidrs(free, version).sort((a, b) => b.prefixLength - a.prefixLength);
}

export const allocationError = (reason: string) =>
  new ApiError('conflict', `Failed to allocate subnet: ${reason}.`, { type: 'SubnetAllocationError' });

export function allocateAnyPrefix(available: readonly Cidr[], prefixLength: number): Cidr {
  const block = available.find((c) => c.prefixLength <= prefixLength);
  if (!block) throw allocationError(`Insufficient prefix space to allocate subnet size /${prefixLength}`);
  return { ...block, prefixLength };
}

export function checkSpecificPrefix(available: readonly Cidr[], cidr: Cidr): void {
  if (!setContains(normalize(available.map(cidrRange)), cidrRange(cidr))) {
    throw allocationError('Cannot allocate requested subnet from the available set of prefixes');
  }
}

export function checkPrefixBounds(prefixLength: number, min: number, max: number): void {
  if (prefixLength > max) {
    throw new ApiError('badRequest', `Unable to allocate subnet with prefix length ${prefixLength}, maximum allowed prefix is ${max}.`, { type: 'MaxPrefixSubnetAllocationError' });
  }
  if (prefixLength < min) {
    throw new ApiError('badRequest', `Unable to allocate subnet with prefix length ${prefixLength}, minimum allowed prefix is ${min}.`, { type: 'MinPrefixSubnetAllocationError' });
  }
}

/** Per-project quota of a pool, counted in /32 (IPv4) or /64 (IPv6) units like Neutron. */
export function quotaUnits(version: IpVersion, prefixLength: number): number {
  const unit = version === 4 ? 32 : 64;
  return 2 ** (unit - prefixLength);
}

export function cidrTexts(cidrs: readonly Cidr[]): string[] {
  return cidrs.map(formatCidr);
}
