/**
 * HostPlan: everything one host's data plane should be, as plain immutable data. The agent's
 * compiler makes it from the model with no I/O (src/agent/compile.ts); diff.ts compares it
 * with what a driver observed. Names come from names.ts.
 */
import type { OutsidePlan, RouterPlan } from './plan-router.js';
import type { NftTablePlan } from './nft-table.js';
import type { FirewallPlan } from './plan-firewall.js';

export interface HostPlan {
  readonly host: string;
  /** The host's namespace: its bridges, VXLAN devices and, later, its firewall. */
  readonly hostNs: string;
  readonly fabric: FabricPlan;
  /** The host's leg on the underlay; null when the host has no underlay address. */
  readonly underlay: UnderlayPlan | null;
  /** One bridge per network present on this host, sorted by name. */
  readonly bridges: readonly BridgePlan[];
  /** One dnsmasq per network whose DHCP this host serves, sorted by network id. */
  readonly dhcp: readonly DhcpPlan[];
  /** Instance NICs bound to this host: plugged into their bridge once their tap exists. */
  readonly taps: readonly TapPlan[];
  /** Routers this host serves (plan-router.ts); absent means none. */
  readonly routers?: readonly RouterPlan[];
  /** The home's outside world, on the one host that keeps it; absent or null elsewhere. */
  readonly outside?: OutsidePlan | null;
  /** nftables tables, each replaced whole in one transaction when it differs (nft-table.ts). */
  readonly nftTables?: readonly NftTablePlan[];
  /** Security groups and port security of this host's instance ports (plan-firewall.ts). */
  readonly firewall?: FirewallPlan | null;
  /**
   * One metadata proxy per network whose DHCP this host serves and per router it serves with an
   * internal interface (none without a metadata service), sorted by id.
   */
  readonly metadata?: readonly MetadataProxyPlan[];
}

/** The shared wires of this KUMO_HOME: the underlay bridge and the physical segments. */
export interface FabricPlan {
  readonly ns: string;
  /** Bridges this host needs in the fabric (the underlay, its segments); never deleted by an agent. */
  readonly bridges: readonly { readonly name: string; readonly mtu: number }[];
}

export interface UnderlayPlan {
  /** e.g. 100.64.0.1/24 */
  readonly cidr: string;
  readonly ip: string;
  readonly hostDev: string;
  readonly fabricDev: string;
  readonly fabricBridge: string;
  readonly mtu: number;
}

export interface BridgePlan {
  readonly networkId: string;
  readonly name: string;
  readonly mtu: number;
  readonly uplink: VxlanUplink | SegmentUplink | null;
}

/** l2population: static FDB and permanent neighbours for every port on another host. */
export interface VxlanUplink {
  readonly kind: 'vxlan';
  readonly device: string;
  readonly vni: number;
  readonly local: string;
  readonly dev: string;
  readonly mtu: number;
  /** Unicast entries per remote MAC and one flood entry (00:00:00:00:00:00) per remote host. */
  readonly fdb: readonly FdbEntry[];
  /** Answered locally by the VXLAN device's ARP proxy. */
  readonly neighbours: readonly NeighbourEntry[];
}

/** A veth from the network's bridge to its segment of the sandboxed physical network. */
export interface SegmentUplink {
  readonly kind: 'segment';
  readonly key: string;
  readonly hostDev: string;
  readonly fabricDev: string;
  readonly fabricBridge: string;
  readonly mtu: number;
}

export interface FdbEntry {
  readonly mac: string;
  readonly dst: string;
}

export interface NeighbourEntry {
  readonly ip: string;
  readonly mac: string;
}

/** dnsmasq's files, in Neutron's formats (seed 003). */
export interface DhcpFiles {
  readonly host: string;
  readonly opts: string;
  readonly addn_hosts: string;
}

export interface DhcpPlan {
  readonly networkId: string;
  readonly portId: string;
  readonly ns: string;
  /** Host side of the DHCP port's veth, in the network's bridge. */
  readonly tap: string;
  readonly tapMac: string;
  /** The DHCP port's device inside the namespace, with its MAC and addresses. */
  readonly device: string;
  readonly mac: string;
  readonly mtu: number;
  readonly bridge: string;
  /** CIDR notation: 10.0.0.2/24 */
  readonly addresses: readonly string[];
  /** $KUMO_HOME/dhcp/<network id> */
  readonly dir: string;
  readonly files: DhcpFiles;
  /** dnsmasq's whole command line: a running dnsmasq with another one is restarted. */
  readonly argv: readonly string[];
  /** The (MAC, IP) pairs the host file allows: any other lease is released. */
  readonly allowed: readonly { readonly mac: string; readonly ip: string }[];
}

export interface TapPlan {
  readonly portId: string;
  readonly networkId: string;
  readonly tap: string;
  readonly bridge: string;
  readonly mtu: number;
  /** admin_state_up of the port and its network: a down port is unplugged and down. */
  readonly up: boolean;
}

/**
 * haproxy forwarding to the metadata service's Unix socket, naming the client's address and
 * where it came from in headers it sets itself: in a network's qdhcp- namespace on
 * 169.254.169.254:80 (the address sits on the DHCP port's device), with X-Neutron-Network-ID;
 * or in a router's qrouter- namespace on port 9697, where the router's nftables table redirects
 * 169.254.169.254:80 arriving on its qr- interfaces, with X-Neutron-Router-ID.
 */
export interface MetadataProxyPlan {
  /** The network or router id (UUIDs: the two never collide). */
  readonly id: string;
  readonly ns: string;
  /** $KUMO_HOME/metadata-proxy/<network or router id>: haproxy.cfg and pid */
  readonly dir: string;
  /** haproxy.cfg's whole text: a running proxy with another one is restarted. */
  readonly config: string;
  readonly argv: readonly string[];
}
