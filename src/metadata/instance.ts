/**
 * What the metadata service and the config drive know about one instance: plain immutable data
 * read from the store (load.ts) and rendered by the pure tree (tree.ts). Nothing here is
 * another instance's: the service looks an instance up by its own port first.
 */
import type { GuestSubnet } from '../network/subnets/guest.js';

/** A subnet of one of the instance's NICs, as the guest sees it. */
export type MetadataSubnet = GuestSubnet;

/** One NIC of the instance, in plug order. */
export interface MetadataInterface {
  readonly portId: string;
  readonly networkId: string;
  readonly mac: string;
  readonly mtu: number;
  readonly fixedIps: readonly { readonly ip: string; readonly subnet: MetadataSubnet }[];
  /** Floating IPs associated with this port's fixed addresses. */
  readonly floatingIps: readonly string[];
}

export interface MetadataKey {
  readonly name: string;
  /** ssh or x509 */
  readonly type: string;
  readonly data: string;
}

export interface InstanceMetadata {
  readonly uuid: string;
  /** Nova's integer id (instance-%08x, i-%08x). */
  readonly id: number;
  /** The guest hostname Nova derived from the display name. */
  readonly hostname: string;
  /** The display name (meta_data.json "name"). */
  readonly name: string;
  readonly projectId: string;
  readonly availabilityZone: string;
  readonly launchIndex: number;
  readonly reservationId: string;
  readonly imageId: string;
  readonly flavorName: string;
  readonly key: MetadataKey | null;
  /** Decoded user data bytes; null when none was given. */
  readonly userData: Buffer | null;
  /** Server metadata (key/value properties). */
  readonly meta: Readonly<Record<string, string>>;
  readonly securityGroups: readonly string[];
  readonly interfaces: readonly MetadataInterface[];
}

/** Nova's default dhcp_domain: hostnames in the metadata are <hostname>.novalocal. */
export const DHCP_DOMAIN = 'novalocal';

/** Nova stores user_data base64-encoded (the API requires it); the guest gets the decoded bytes. */
export function decodeUserData(data: string | null): Buffer | null {
  if (data === null) return null;
  const compact = data.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(compact) && compact.length % 4 === 0) return Buffer.from(compact, 'base64');
  return Buffer.from(data);
}
