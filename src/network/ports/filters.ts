/**
 * Port list filters with their own meaning: `fixed_ips=ip_address=X`, `fixed_ips=subnet_id=Y`
 * and `fixed_ips=ip_address_substr=Z` (ip-substring-filtering). All given conditions must hold
 * for one and the same address of the port, as Neutron's join on the allocations does.
 */
import { badRequestType } from '../errors.js';
import { normalizeIp } from '../ipam/ip.js';
import type { ListSpec, View } from '../listing.js';
import { normalizeMac } from './mac.js';
import { PORT_ATTRIBUTES } from './views.js';

const FIXED_IP_KEYS = ['ip_address', 'subnet_id', 'ip_address_substr'];

export function parseFixedIpFilters(values: readonly string[]): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw badRequestType(`Invalid input for fixed_ips. Reason: '${value}' is not of the form <key>=[value].`);
    const key = value.slice(0, eq);
    if (!FIXED_IP_KEYS.includes(key)) throw badRequestType(`Invalid input for fixed_ips. Reason: '${key}' is not a valid fixed_ips filter.`);
    let wanted = value.slice(eq + 1);
    if (key === 'ip_address') wanted = normalizeIp(wanted) ?? wanted;
    parsed.set(key, [...(parsed.get(key) ?? []), wanted]);
  }
  return parsed;
}

export function portListSpec(): ListSpec {
  const cache = new WeakMap<readonly string[], Map<string, string[]>>();
  return {
    knownAttributes: PORT_ATTRIBUTES,
    custom: {
      fixed_ips: (view: View, values: readonly string[]) => {
        let filters = cache.get(values);
        if (!filters) {
          filters = parseFixedIpFilters(values);
          cache.set(values, filters);
        }
        const ips = filters.get('ip_address');
        const subnets = filters.get('subnet_id');
        const substrings = filters.get('ip_address_substr');
        return (view.fixed_ips as { subnet_id: string; ip_address: string }[]).some((ip) =>
          (!ips || ips.includes(ip.ip_address))
          && (!subnets || subnets.includes(ip.subnet_id))
          && (!substrings || substrings.some((s) => ip.ip_address.includes(s))));
      },
      mac_address: (view: View, values: readonly string[]) => values.some((v) => (normalizeMac(v) ?? v) === view.mac_address),
    },
  };
}
