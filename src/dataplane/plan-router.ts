/**
 * The L3 parts of a HostPlan: each router this host serves (a qrouter- namespace, its qr-/qg-
 * veths into the host's bridges, addresses, routes, forwarding, NAT) and the home's outside
 * world (the upstream router on the external segments, the outside host behind it, and the
 * opt-in host access veth). Plain immutable data made by src/agent/compile-router.ts.
 */

/** A route with a gateway; dst in canonical CIDR form (0.0.0.0/0 for the default route). */
export interface RouteEntry {
  readonly dst: string;
  readonly via: string;
}

export interface RouterPortPlan {
  readonly portId: string;
  readonly kind: 'internal' | 'gateway';
  readonly networkId: string;
  /** qr-<port> or qg-<port>, inside the router's namespace, with the port's MAC. */
  readonly device: string;
  readonly mac: string;
  /** The host end tap<port> in the network's bridge. */
  readonly tap: string;
  readonly tapMac: string;
  readonly bridge: string;
  readonly mtu: number;
  /** The port's addresses with their subnets' prefixes; on qg- also each floating IP as /32. */
  readonly addresses: readonly string[];
}

export interface FloatingIpPlan {
  readonly id: string;
  readonly address: string;
  readonly fixedIp: string;
}

export interface RouterNatPlan {
  /** The gateway port's device, where SNAT applies and floating IPs arrive. */
  readonly gatewayDevice: string;
  /** The address internal traffic leaves with; null when the gateway has no IPv4 address. */
  readonly gatewayIp: string | null;
  /** Internal subnets masqueraded to gatewayIp (empty when enable_snat is false). */
  readonly snatSources: readonly string[];
  /** Internal subnets behind the router: hairpin traffic from them is SNATed back through it. */
  readonly internalSubnets: readonly string[];
  readonly floatingIps: readonly FloatingIpPlan[];
}

export interface RouterPlan {
  readonly routerId: string;
  readonly ns: string;
  /** admin_state_up: a down router keeps its namespace but its ports are down and it forwards nothing. */
  readonly up: boolean;
  readonly ports: readonly RouterPortPlan[];
  /** The default route via the external subnet's gateway, then the extra routes. */
  readonly routes: readonly RouteEntry[];
  /** net.ipv4.ip_forward inside the namespace. */
  readonly forwarding: boolean;
  /** null when the router has no gateway. */
  readonly nat: RouterNatPlan | null;
}

/** One leg of the upstream router on one segment of the sandboxed physical network. */
export interface UpstreamLegPlan {
  readonly key: string;
  readonly dev: string;
  readonly fabricDev: string;
  readonly fabricBridge: string;
  readonly mtu: number;
  /** Each external subnet's gateway address on that segment, with its prefix. */
  readonly addresses: readonly string[];
}

export interface HostAccessPlan {
  /** kumo-<hash> in the root namespace. */
  readonly dev: string;
  readonly fabricDev: string;
  readonly fabricBridge: string;
  readonly mtu: number;
  /** One on-link address per external subnet on that segment. */
  readonly addresses: readonly string[];
}

export interface OutsidePlan {
  readonly upstreamNs: string;
  readonly outsideNs: string;
  readonly legs: readonly UpstreamLegPlan[];
  /** The upstream router's side of the link to the outside host, e.g. 203.0.113.1/24. */
  readonly upstreamDev: string;
  readonly upstreamCidr: string;
  /** The outside host: its one NIC, address and default route (via the upstream router). */
  readonly outsideDev: string;
  readonly outsideCidr: string;
  readonly outsideIp: string;
  readonly outsideGateway: string;
  /** MTU of the link between them (the physical network's). */
  readonly mtu: number;
  /** The host access veth's name, also when host access is off (a leftover one is then removed). */
  readonly hostAccessDev: string;
  readonly hostAccess: HostAccessPlan | null;
}
