/** ip_key: an address as fixed-width hex (8 digits for IPv4, 32 for IPv6), whose text order is numeric order. */
import { parseIp, type IpVersion } from './ip.js';

export function ipKey(version: IpVersion, value: bigint): string {
  return value.toString(16).padStart(version === 4 ? 8 : 32, '0');
}

export function keyValue(key: string): bigint {
  return BigInt(`0x${key}`);
}

/** The key of a stored (canonical) address; '' for text that is no address (never stored). */
export function ipKeyOf(address: string): string {
  const ip = parseIp(address);
  return ip ? ipKey(ip.version, ip.value) : '';
}
