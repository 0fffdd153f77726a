/** IPv4/IPv6 address arithmetic on BigInt: parse, format, CIDR ranges, containment, overlap. */

export type IpVersion = 4 | 6;

export interface Cidr {
  readonly version: IpVersion;
  /** Network address (host bits zero). */
  readonly network: bigint;
  readonly prefixLength: number;
  /** Size of the address space in bits (32 or 128). */
  readonly bits: 32 | 128;
}

function parseV4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return null;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): bigint[] | null => {
    if (s === '') return [];
    const out: bigint[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (item.includes('.')) {
        if (i !== items.length - 1) return null;
        const v4 = parseV4(item);
        if (v4 === null) return null;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return null;
        out.push(BigInt(parseInt(item, 16)));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<bigint>(Math.max(0, missing)).fill(0n), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function parseIp(text: string): { version: IpVersion; value: bigint } | null {
  if (typeof text !== 'string') return null;
  if (text.includes(':')) {
    const v = parseV6(text);
    return v === null ? null : { version: 6, value: v };
  }
  const v = parseV4(text);
  return v === null ? null : { version: 4, value: v };
}

export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an address (so "10.0.0.010"-style duplicates cannot sneak in). */
export function normalizeIp(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip.version, ip.value) : null;
}

export function parseCidr(text: string, strict = false): Cidr | null {
  if (typeof text !== 'string') return null;
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const bits = ip.version === 4 ? 32 : 128;
  const prefixLength = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) return null;
  const hostMask = (1n << BigInt(bits - prefixLength)) - 1n;
  if (strict && (ip.value & hostMask) !== 0n) return null;
  return { version: ip.version, network: ip.value & ~hostMask & ((1n << BigInt(bits)) - 1n), prefixLength, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.version, c.network)}/${c.prefixLength}`;
}

export function lastAddress(c: Cidr): bigint {
  return c.network + (1n << BigInt(c.bits - c.prefixLength)) - 1n;
}

export function cidrContains(c: Cidr, version: IpVersion, value: bigint): boolean {
  return version === c.version && value >= c.network && value <= lastAddress(c);
}

/** True when `address` (text) lies in `cidr` (text, host bits allowed); false when either does not parse. */
export function addressInCidr(cidr: string, address: string): boolean {
  const c = parseCidr(cidr);
  const ip = parseIp(address);
  return c !== null && ip !== null && cidrContains(c, ip.version, ip.value);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

export function addressCount(c: Cidr): bigint {
  return 1n << BigInt(c.bits - c.prefixLength);
}
