/** Neutron JSON documents for networks (subnets, ports and groups have their own modules). */
import type { AuthContext } from '../policy/context.js';
import { isAdmin } from '../policy/context.js';
import type { NetworkRow, NetworkSegmentRow } from '../store/schema-network.js';
import { parseJsonArray } from '../util/json.js';
import type { View } from './listing.js';
import { neutronTime } from './time.js';

export function standardAttributes(row: { created_at: string; updated_at: string; revision_number: number; project_id: string; description: string }, tags: readonly string[]): View {
  return {
    tenant_id: row.project_id,
    project_id: row.project_id,
    description: row.description,
    tags: [...tags],
    created_at: neutronTime(row.created_at),
    updated_at: neutronTime(row.updated_at),
    revision_number: row.revision_number,
  };
}

export interface NetworkExtras {
  readonly subnets: readonly string[];
  readonly segments: readonly NetworkSegmentRow[];
  readonly tags: readonly string[];
}

function segmentView(s: NetworkSegmentRow): View {
  return { 'provider:network_type': s.network_type, 'provider:physical_network': s.physical_network, 'provider:segmentation_id': s.segmentation_id };
}

export function networkView(ctx: AuthContext, row: NetworkRow, extras: NetworkExtras): View {
  const view: View = {
    id: row.id,
    name: row.name,
    admin_state_up: row.admin_state_up === 1,
    status: row.status,
    subnets: [...extras.subnets],
    shared: row.shared === 1,
    'router:external': row.external === 1,
    is_default: row.is_default === 1,
    mtu: row.mtu,
    port_security_enabled: row.port_security_enabled === 1,
    availability_zone_hints: parseJsonArray<string>(row.availability_zone_hints),
    availability_zones: ['nova'],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
    dns_domain: row.dns_domain,
    qos_policy_id: null,
    ...standardAttributes(row, extras.tags),
  };
  // Provider attributes are admin-only (Neutron's default policy hides them from others).
  if (isAdmin(ctx)) {
    const segments = [...extras.segments].sort((a, b) => a.segment_index - b.segment_index);
    if (segments.length === 1) Object.assign(view, segmentView(segments[0] as NetworkSegmentRow));
    else if (segments.length > 1) view.segments = segments.map(segmentView);
    else Object.assign(view, { 'provider:network_type': null, 'provider:physical_network': null, 'provider:segmentation_id': null });
  }
  return view;
}
