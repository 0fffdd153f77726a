/**
 * Segment allocation, as ML2's type drivers do it: tenant networks get the first free VNI (or
 * VLAN id) of the configured ranges; an admin may ask for a given flat physnet, VLAN id or VNI.
 * Each taken id is a row in segment_allocations, so two networks can never share one, even
 * when created concurrently by several controllers.
 */
import { ApiError } from '../api/errors.js';
import type { Tx } from '../store/store.js';
import { uuid } from '../util/ids.js';
import { invalidInput } from './errors.js';
import type { NetworkSettings } from './settings.js';

export interface SegmentRequest {
  readonly network_type?: string | undefined;
  readonly physical_network?: string | null | undefined;
  readonly segmentation_id?: number | null | undefined;
}

export interface Segment {
  readonly id: string;
  readonly network_type: string;
  readonly physical_network: string | null;
  readonly segmentation_id: number | null;
}

const MAX_VNI = (1 << 24) - 1;

async function claim(tx: Tx, type: string, physnet: string, segId: number, segmentId: string): Promise<boolean> {
  const result = await tx.insertInto('segment_allocations')
    .values({ network_type: type, physical_network: physnet, segmentation_id: segId, segment_id: segmentId })
    .onConflict((oc) => oc.columns(['network_type', 'physical_network', 'segmentation_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

async function firstFree(tx: Tx, type: string, physnet: string, ranges: readonly (readonly [number, number])[], segmentId: string): Promise<number | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const taken = new Set((await tx.selectFrom('segment_allocations').select('segmentation_id')
      .where('network_type', '=', type).where('physical_network', '=', physnet).execute()).map((r) => r.segmentation_id));
    let candidate: number | null = null;
    for (const [lo, hi] of ranges) {
      for (let id = lo; id <= hi && candidate === null; id++) if (!taken.has(id)) candidate = id;
      if (candidate !== null) break;
    }
    if (candidate === null) return null;
    if (await claim(tx, type, physnet, candidate, segmentId)) return candidate;
  }
  return null;
}

const noTenantNetwork = () => new ApiError('serviceUnavailable', 'Unable to create the network. No tenant network is available for allocation.', { type: 'NoNetworkAvailable' });

/** Claims the segment's type, physnet and id; the caller then stores the network_segments row. */
export async function allocateSegment(tx: Tx, settings: NetworkSettings, request: SegmentRequest | null, segmentId: string): Promise<Segment> {
  const type = request?.network_type ?? settings.tenantNetworkType;
  const physnet = request?.physical_network ?? null;
  const segId = request?.segmentation_id ?? null;
  switch (type) {
    case 'flat': {
      if (segId !== null) throw invalidInput('segmentation_id requires a VLAN or tunnel network type; flat networks have none.');
      const net = physnet ?? (request ? null : settings.flatNetworks[0] ?? null);
      if (!net) throw invalidInput('physical_network is required for a flat provider network.');
      if (!settings.flatNetworks.includes(net) && !settings.flatNetworks.includes('*')) throw invalidInput(`Invalid input for operation: physical_network '${net}' unknown for flat provider network.`);
      if (!(await claim(tx, 'flat', net, 0, segmentId))) {
        throw new ApiError('conflict', `Unable to create the flat network. Physical network ${net} is in use.`, { type: 'FlatNetworkInUse' });
      }
      return { id: segmentId, network_type: 'flat', physical_network: net, segmentation_id: null };
    }
    case 'vlan': {
      let net = physnet;
      if (!net) {
        if (request?.physical_network === undefined && segId === null) net = Object.keys(settings.vlanRanges)[0] ?? null;
        if (!net) throw invalidInput('physical_network is required for a VLAN provider network.');
      }
      if (!(net in settings.vlanRanges)) throw invalidInput(`physical_network '${net}' unknown for VLAN provider network.`);
      if (segId !== null) {
        if (!Number.isInteger(segId) || segId < 1 || segId > 4094) throw invalidInput(`segmentation_id out of range (1 through 4094).`);
        if (!(await claim(tx, 'vlan', net, segId, segmentId))) {
          throw new ApiError('conflict', `Unable to create the network. The VLAN ${segId} on physical network ${net} is in use.`, { type: 'VlanIdInUse' });
        }
        return { id: segmentId, network_type: 'vlan', physical_network: net, segmentation_id: segId };
      }
      const id = await firstFree(tx, 'vlan', net, settings.vlanRanges[net] ?? [], segmentId);
      if (id === null) throw noTenantNetwork();
      return { id: segmentId, network_type: 'vlan', physical_network: net, segmentation_id: id };
    }
    case 'vxlan': {
      if (physnet) throw invalidInput('provider:physical_network specified for vxlan network.');
      if (segId !== null) {
        if (!Number.isInteger(segId) || segId < 1 || segId > MAX_VNI) throw invalidInput(`segmentation_id out of range (1 through ${MAX_VNI}).`);
        if (!(await claim(tx, 'vxlan', '', segId, segmentId))) {
          throw new ApiError('conflict', `Unable to create the network. The tunnel ID ${segId} is in use.`, { type: 'TunnelIdInUse' });
        }
        return { id: segmentId, network_type: 'vxlan', physical_network: null, segmentation_id: segId };
      }
      const id = await firstFree(tx, 'vxlan', '', settings.vniRanges, segmentId);
      if (id === null) throw noTenantNetwork();
      return { id: segmentId, network_type: 'vxlan', physical_network: null, segmentation_id: id };
    }
    case 'local':
    case 'geneve':
    case 'gre':
      throw invalidInput(`network_type value '${type}' not supported.`);
    default:
      throw invalidInput(`network_type value '${type}' not supported.`);
  }
}

export const newSegmentId = uuid;
