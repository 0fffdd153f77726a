/** What a create asked for that the build acts on later, as stored on the instance row. */
import { parseJsonArray } from '../../util/json.js';

/** One entry of `networks`, resolved at the API: a network to make a port on, or a user's port. */
export type RequestedNetwork =
  | { readonly kind: 'network'; readonly networkId: string; readonly fixedIp: string | null; readonly tag: string | null }
  | { readonly kind: 'port'; readonly portId: string; readonly tag: string | null };

/** A security group as asked for (name or id) and the group it resolved to in the project. */
export interface RequestedGroup {
  readonly name: string;
  readonly id: string;
}

export function requestedNetworks(row: { requested_networks: string }): RequestedNetwork[] {
  return parseJsonArray<RequestedNetwork>(row.requested_networks);
}

export function requestedGroups(row: { requested_security_groups: string }): RequestedGroup[] {
  return parseJsonArray<RequestedGroup>(row.requested_security_groups);
}
