/** MAC addresses: Neutron's fa:16:3e prefix, random tail, validated and normalised to lower case. */
import { randomBytes } from 'node:crypto';

export function randomMac(prefix = 'fa:16:3e'): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${prefix}:${tail}`;
}

/** Returns the canonical form of a unicast MAC address, or null if it is not one. */
export function normalizeMac(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const m = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(text.trim());
  if (!m) return null;
  const octets = [m[1], m[3], m[4], m[5], m[6], m[7]].map((o) => (o as string).toLowerCase());
  if (octets.every((o) => o === '00')) return null;
  // Multicast (and broadcast) addresses cannot be a port's.
  if ((parseInt(octets[0] as string, 16) & 1) === 1) return null;
  return octets.join(':');
}
