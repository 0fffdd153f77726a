/** Address sets as sorted, merged [first, last] BigInt ranges: allocation pools, pool prefixes, CIDR covers. */
import { formatIp, lastAddress, type Cidr, type IpVersion } from '../ipam/ip.js';

export interface Range {
  readonly first: bigint;
  readonly last: bigint;
}

const byFirst = (a: Range, b: Range): number => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0);

/** Sorts and merges overlapping or adjacent ranges (what netaddr's IPSet.compact does). */
export function normalize(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const r of [...ranges].sort(byFirst)) {
    const prev = out[out.length - 1];
    if (prev && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = { first: prev.first, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** The addresses of `set` that are not in `removed` (both normalized or not). */
export function subtract(set: readonly Range[], removed: readonly Range[]): Range[] {
  let result = normalize(set);
  for (const cut of normalize(removed)) {
    const next: Range[] = [];
    for (const r of result) {
      if (cut.last < r.first || cut.first > r.last) {
        next.push(r);
        continue;
      }
      if (cut.first > r.first) next.push({ first: r.first, last: cut.first - 1n });
      if (cut.last < r.last) next.push({ first: cut.last + 1n, last: r.last });
    }
    result = next;
  }
  return result;
}

export function rangesIntersect(a: Range, b: Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function setsIntersect(a: readonly Range[], b: readonly Range[]): boolean {
  return a.some((x) => b.some((y) => rangesIntersect(x, y)));
}

/** Is every address of r inside the set? */
export function setContains(set: readonly Range[], r: Range): boolean {
  return subtract([r], set).length === 0;
}

export function cidrRange(c: Cidr): Range {
  return { first: c.network, last: lastAddress(c) };
}

export function setSize(set: readonly Range[]): bigint {
  return normalize(set).reduce((n, r) => n + (r.last - r.first + 1n), 0n);
}

/** The smallest list of CIDRs covering exactly the set, in address order (netaddr's iter_cidrs). */
export function toCidrs(set: readonly Range[], version: IpVersion): Cidr[] {
  const bits = version === 4 ? 32 : 128;
  const out: Cidr[] = [];
  for (const r of normalize(set)) {
    let first = r.first;
    while (first <= r.last) {
      // The largest aligned block starting at `first` that still ends inside the range.
      let size = 0;
      while (size < bits && (first & ((1n << BigInt(size + 1)) - 1n)) === 0n && first + (1n << BigInt(size + 1)) - 1n <= r.last) size++;
      out.push({ version, network: first, prefixLength: bits - size, bits });
      first += 1n << BigInt(size);
    }
  }
  return out;
}

/** "10.0.0.2-10.0.0.254", how Neutron prints a pool in its error messages. */
export function formatRange(version: IpVersion, r: Range): string {
  return `${formatIp(version, r.first)}-${formatIp(version, r.last)}`;
}
