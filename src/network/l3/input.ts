/**
 * Router and floating IP request attributes, validated as Neutron's attribute validators do:
 * external_gateway_info (a dict or nothing; network_id required, enable_snat and
 * external_fixed_ips admin-only), extra routes (type:hostroutes) and their nexthop checks.
 */
import { isAdmin, type AuthContext } from '../../policy/context.js';
import { isPlainObject } from '../../util/json.js';
import { overQuota, policyForbidden } from '../errors.js';
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '../ipam/ip.js';
import type { FixedIpRequest } from '../ports/create.js';
import { bad, isUuid, toBool } from '../validate.js';
import { invalidRoutes } from './errors.js';

export const MAX_ROUTES = 30;

const invalid = (attribute: string, reason: string) => bad(`Invalid input for ${attribute}. Reason: ${reason}.`);

/** Python's repr of JSON-ish data, as Neutron's messages print request values. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}

export interface GatewayRequest {
  readonly networkId: string;
  readonly enableSnat?: boolean;
  readonly fixedIps?: readonly FixedIpRequest[];
}

function parseFixedIps(value: unknown): FixedIpRequest[] {
  const attribute = 'external_gateway_info';
  if (!Array.isArray(value)) throw invalid(attribute, `Invalid data format for fixed IP: '${pyRepr(value)}'`);
  return value.map((entry) => {
    if (!isPlainObject(entry)) throw invalid(attribute, `Invalid data format for fixed IP: '${pyRepr(entry)}'`);
    const extra = Object.keys(entry).filter((k) => k !== 'subnet_id' && k !== 'ip_address');
    if (extra.length) throw invalid(attribute, `Unexpected keys supplied: ${extra.join(', ')}`);
    const out: { subnet_id?: string; ip_address?: string } = {};
    if (entry.subnet_id !== undefined) {
      if (!isUuid(entry.subnet_id)) throw invalid(attribute, `'${String(entry.subnet_id)}' is not a valid UUID`);
      out.subnet_id = entry.subnet_id.toLowerCase();
    }
    if (entry.ip_address !== undefined) {
      const ip = typeof entry.ip_address === 'string' ? parseIp(entry.ip_address) : null;
      if (!ip) throw invalid(attribute, `'${String(entry.ip_address)}' is not a valid IP address`);
      out.ip_address = formatIp(ip.version, ip.value);
    }
    return out;
  });
}

/**
 * undefined: not given; null: no gateway (null or {}, which Neutron's dict_or_nodata treats
 * alike); else the requested gateway. `action` names the policy (create_router/update_router).
 */
export function parseGatewayInfo(ctx: AuthContext, value: unknown, action: string): GatewayRequest | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const attribute = 'external_gateway_info';
  if (!isPlainObject(value)) throw invalid(attribute, `'${pyRepr(value)}' is not a dictionary`);
  if (Object.keys(value).length === 0) return null;
  const extra = Object.keys(value).filter((k) => !['network_id', 'enable_snat', 'external_fixed_ips'].includes(k));
  if (extra.length) throw invalid(attribute, `Unexpected keys supplied: ${extra.join(', ')}`);
  if (value.network_id === undefined) {
    throw invalid(attribute, `Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {${Object.keys(value).map((k) => `'${k}'`).join(', ')}}`);
  }
  if (!isUuid(value.network_id)) throw invalid(attribute, `'${String(value.network_id)}' is not a valid UUID`);
  const request: { networkId: string; enableSnat?: boolean; fixedIps?: FixedIpRequest[] } = { networkId: value.network_id.toLowerCase() };
  if (value.enable_snat !== undefined) {
    request.enableSnat = toBool(value.enable_snat, 'enable_snat');
    if (!isAdmin(ctx)) throw policyForbidden(`${action}:external_gateway_info:enable_snat`);
  }
  if (value.external_fixed_ips !== undefined && value.external_fixed_ips !== null) {
    request.fixedIps = parseFixedIps(value.external_fixed_ips);
    if (!isAdmin(ctx)) throw policyForbidden(`${action}:external_gateway_info:external_fixed_ips`);
  }
  return request;
}

export interface Route {
  readonly destination: string;
  readonly nexthop: string;
}

/** `routes`: a list of {destination, nexthop}; null means none. */
export function parseRoutes(value: unknown): Route[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  const attribute = 'routes';
  if (!Array.isArray(value)) throw invalid(attribute, `Invalid data format for hostroute: '${pyRepr(value)}'`);
  const seen = new Set<string>();
  const routes = value.map((route) => {
    if (!isPlainObject(route)) throw invalid(attribute, `Invalid data format for hostroute: '${pyRepr(route)}'`);
    const keys = Object.keys(route).sort();
    if (keys.join(',') !== 'destination,nexthop') {
      throw invalid(attribute, `Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: {${keys.map((k) => `'${k}'`).join(', ')}}`);
    }
    const dest = typeof route.destination === 'string' ? parseCidr(route.destination) : null;
    if (!dest || !String(route.destination).includes('/')) throw invalid(attribute, `'${String(route.destination)}' is not a valid IP subnet`);
    if (formatCidr(dest) !== route.destination && dest.version === 4) {
      throw invalid(attribute, `'${String(route.destination)}' isn't a recognized IP subnet cidr, '${formatCidr(dest)}' is recommended`);
    }
    const hop = typeof route.nexthop === 'string' ? parseIp(route.nexthop) : null;
    if (!hop) throw invalid(attribute, `'${String(route.nexthop)}' is not a valid IP address`);
    const normalized = { destination: formatCidr(dest), nexthop: formatIp(hop.version, hop.value) };
    const key = `${normalized.destination} ${normalized.nexthop}`;
    if (seen.has(key)) throw invalid(attribute, `Duplicate hostroute '${pyRepr(route)}'`);
    seen.add(key);
    return normalized;
  });
  // Neutron's max_routes is a quota limit check.
  if (routes.length > MAX_ROUTES) throw overQuota('router_route');
  return routes;
}

/** Every nexthop must lie on a subnet the router is connected to, and not be one of the router's own addresses. */
export function checkNexthops(routes: readonly Route[], cidrs: readonly string[], ownIps: readonly string[]): void {
  const nets = cidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null);
  const shown = pyRepr(routes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })));
  for (const route of routes) {
    const hop = parseIp(route.nexthop);
    if (!hop || !nets.some((n) => cidrContains(n, hop.version, hop.value))) throw invalidRoutes(shown, 'the nexthop is not connected with router');
    if (ownIps.includes(route.nexthop)) throw invalidRoutes(shown, 'the nexthop is used by router');
  }
}
