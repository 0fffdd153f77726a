/**
 * Every kernel name the data plane uses, in one place. Namespaces are machine-wide, so the ones
 * Kumo invents carry `kumo-<home hash>-` (two clouds with different KUMO_HOMEs never collide);
 * the ones OpenStack users know keep Neutron's names (`qdhcp-<network id>`, `qrouter-<router id>`,
 * `tap<port id[:11]>`, `brq<network id[:11]>`, `vxlan-<vni>`), which are unique by their UUIDs.
 * Interface names live inside Kumo's namespaces and must fit IFNAMSIZ (15 characters).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

export const IFNAMSIZ = 15;

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Eight hex characters naming one KUMO_HOME on this machine. */
export function homeHash(home: string): string {
  return hex(resolve(home), 8);
}

/** Every namespace Kumo invents for this home starts with this. */
export function homePrefix(hash: string): string {
  return `kumo-${hash}-`;
}

/** A host name made safe for a namespace name (`ip netns` allows more, but a path must stay sane). */
function safe(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return cleaned === '' || cleaned.startsWith('.') ? `h${hex(name, 8)}` : cleaned;
}

/** The namespace that is one simulated hypervisor host: its bridges, VXLAN devices, firewall. */
export function hostNamespace(hash: string, host: string): string {
  return `${homePrefix(hash)}host-${safe(host)}`;
}

/**
 * The namespace standing in for the wires between hosts: the underlay bridge every host's
 * underlay veth joins, and one bridge per segment of the sandboxed physical network.
 */
export function fabricNamespace(hash: string): string {
  return `${homePrefix(hash)}fabric`;
}

export const dhcpNamespace = (networkId: string): string => `qdhcp-${networkId}`;
export const routerNamespace = (routerId: string): string => `qrouter-${routerId}`;
/** A router's interface on an internal network, inside qrouter- (Neutron's name). */
export const routerInterfaceName = (portId: string): string => `qr-${portId.slice(0, 11)}`;
/** A router's gateway port on the external network, inside qrouter- (Neutron's name). */
export const routerGatewayName = (portId: string): string => `qg-${portId.slice(0, 11)}`;

/**
 * The far side of the external networks, owned by the home: the upstream router that answers
 * at each external subnet's gateway address, and the outside host behind it.
 */
export const upstreamNamespace = (hash: string): string => `${homePrefix(hash)}upstream`;
export const outsideNamespace = (hash: string): string => `${homePrefix(hash)}outside`;
/** The upstream router's leg on one external segment, and that veth's end in the fabric. */
export const upstreamLegDev = (key: string): string => `ext-${hex(key, 8)}`;
export const fabricUpstreamDev = (key: string): string => `up-${hex(key, 8)}`;
/** The link between the upstream router and the outside host. */
export const UPSTREAM_OUTSIDE_DEV = 'outside0';
export const OUTSIDE_DEV = 'eth0';
/** Opt-in host access: the one veth in the root namespace, and its end in the fabric. */
export const hostAccessDev = (hash: string): string => `kumo-${hash}`;
export const FABRIC_HOST_ACCESS_DEV = 'host-access';

/**
 * An instance's namespace, from Nova's instance-%08x name (compute/servers/views.ts): those
 * names repeat across homes, so the namespace carries the home's prefix.
 */
export function instanceNamespace(hash: string, name: string): string {
  return `${homePrefix(hash)}${name}`;
}

/** Host side of a port's veth (Nova's and Neutron's devname). */
export const tapName = (portId: string): string => `tap${portId.slice(0, 11)}`;
/** The DHCP port's device inside qdhcp- (the Linux bridge agent's `ns-` prefix). */
export const dhcpDeviceName = (portId: string): string => `ns-${portId.slice(0, 11)}`;
/** The network's bridge on a host (the Linux bridge agent's name). */
export const bridgeName = (networkId: string): string => `brq${networkId.slice(0, 11)}`;
/** One VXLAN device per VNI (the Linux bridge agent's name); a 24-bit VNI fits in 14 characters. */
export const vxlanName = (vni: number): string => `vxlan-${vni}`;

/** The host's underlay interface, inside its host namespace. */
export const HOST_UNDERLAY_DEV = 'underlay0';
/** The underlay bridge, inside the fabric namespace. */
export const FABRIC_UNDERLAY_BRIDGE = 'br-underlay';
/** The host's underlay veth as the fabric namespace sees it. */
export const fabricUnderlayDev = (host: string): string => `ul-${hex(host, 8)}`;

/** A segment of the sandboxed physical network: a flat physnet, or one (physnet, VLAN id). */
export function segmentKey(physnet: string, vlan: number | null): string {
  return vlan === null ? physnet : `${physnet}:${vlan}`;
}
/** The segment's bridge in the fabric namespace. */
export const segmentBridge = (key: string): string => `seg-${hex(key, 8)}`;
/** The host's veth into a segment, enslaved to the network's bridge in the host namespace. */
export const hostSegmentDev = (key: string): string => `phy-${hex(key, 8)}`;
/** The other end of that veth, in the fabric namespace (one per host and segment). */
export const fabricSegmentDev = (host: string, key: string): string => `p${hex(host, 6)}-${hex(key, 7)}`;

/** The MAC of a tap: the port's MAC with fe as the first octet, as libvirt and Nova make it. */
export function tapMac(portMac: string): string {
  return `fe${portMac.slice(2)}`;
}

/** True when the name is a valid interface name (length and characters the kernel accepts). */
export function validIfName(name: string): boolean {
  return name.length > 0 && name.length <= IFNAMSIZ && !/[\s/:]/.test(name) && name !== '.' && name !== '..';
}
