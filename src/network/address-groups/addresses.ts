/**
 * The addresses of an address group, as Neutron reads them. At create, `addresses` goes through
 * the API's `type:subnet_list` validator: a list of distinct strings, each a CIDR with its
 * prefix length written out (IPv4 also in canonical text); host bits are allowed. The member
 * actions (add_addresses, remove_addresses) skip that validator and take any address or CIDR
 * (`10.0.0.1` is `10.0.0.1/32`). Either way, what is stored and compared is the network:
 * `10.0.0.5/24` is `10.0.0.0/24`, and duplicates after that collapse into one.
 * (neutron-lib api-ref "Address groups"; neutron-lib validators.validate_subnet.)
 */
import { formatCidr, formatIp, parseCidr, parseIp } from '../ipam/ip.js';
import { bad, invalidAttribute } from '../validate.js';
import { invalidInput } from '../errors.js';
import { isPlainObject } from '../../util/json.js';

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** `network/prefix length` of a CIDR or bare address, or null when it is neither. */
export function normalizeAddress(value: string): string | null {
  const c = parseCidr(value);
  return c ? formatCidr(c) : null;
}

/** validate_subnet: a CIDR with an explicit prefix length; IPv4 written as netaddr would print it. */
function isSubnetText(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0 || parseCidr(value) === null) return false;
  const ip = parseIp(value.slice(0, slash));
  if (!ip) return false;
  return ip.version === 6 || `${formatIp(4, ip.value)}/${Number(value.slice(slash + 1))}` === value;
}

/** The distinct normalised addresses of a list, in first-seen order. */
function distinct(list: readonly string[]): string[] {
  return [...new Set(list.map((a) => normalizeAddress(a) as string))];
}

/** `addresses` of a create request (absent or null: none). */
export function createAddresses(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidAttribute('addresses', `'${text(value)}' is not a list`);
  const dups = value.filter((v, i) => value.indexOf(v) !== i);
  if (dups.length) throw invalidAttribute('addresses', `Duplicate items in the list: '${[...new Set(dups.map(text))].join(', ')}'`);
  for (const a of value) {
    if (typeof a !== 'string' || !isSubnetText(a)) throw invalidAttribute('addresses', `'${text(a)}' is not a valid IP subnet`);
  }
  return distinct(value as string[]);
}

/** The body of add_addresses / remove_addresses: `{"addresses": [address or CIDR, ...]}`. */
export function actionAddresses(body: unknown): string[] {
  if (!isPlainObject(body)) throw bad('Resource body required');
  const value = body.addresses;
  if (value === undefined) throw bad("Unable to find 'addresses' in request body");
  if (!Array.isArray(value)) throw invalidInput(`'${text(value)}' is not a list`);
  for (const a of value) {
    if (typeof a !== 'string' || normalizeAddress(a) === null) throw invalidInput(`'${text(a)}' is not a valid IP address or CIDR`);
  }
  return distinct(value as string[]);
}
