/** Neutron JSON documents for subnets and subnet pools. */
import type { SubnetPoolRow, SubnetRow } from '../../store/schema-network.js';
import { parseJsonArray } from '../../util/json.js';
import type { View } from '../listing.js';
import { standardAttributes } from '../views.js';

export function subnetView(row: SubnetRow, tags: readonly string[]): View {
  return {
    id: row.id,
    name: row.name,
    network_id: row.network_id,
    ip_version: row.ip_version,
    cidr: row.cidr,
    gateway_ip: row.gateway_ip,
    allocation_pools: parseJsonArray(row.allocation_pools),
    host_routes: parseJsonArray(row.host_routes),
    dns_nameservers: parseJsonArray(row.dns_nameservers),
    enable_dhcp: row.enable_dhcp === 1,
    ipv6_ra_mode: row.ipv6_ra_mode,
    ipv6_address_mode: row.ipv6_address_mode,
    subnetpool_id: row.subnetpool_id,
    service_types: parseJsonArray(row.service_types),
    segment_id: row.segment_id,
    ...standardAttributes(row, tags),
  };
}

export function subnetPoolView(row: SubnetPoolRow, tags: readonly string[]): View {
  return {
    id: row.id,
    name: row.name,
    ip_version: row.ip_version,
    prefixes: parseJsonArray(row.prefixes),
    // Neutron answers the prefix lengths as strings.
    default_prefixlen: String(row.default_prefixlen),
    min_prefixlen: String(row.min_prefixlen),
    max_prefixlen: String(row.max_prefixlen),
    shared: row.shared === 1,
    is_default: row.is_default === 1,
    default_quota: row.default_quota,
    address_scope_id: row.address_scope_id,
    ...standardAttributes(row, tags),
  };
}
