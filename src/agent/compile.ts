/**
 * compile(model, context) → HostPlan: what one host's data plane should be. Pure (no I/O, no
 * clock), so it is tested by comparing plans. A network is present on a host when the host
 * serves its DHCP or has an instance port bound to it; each present network gets a bridge with
 * an uplink chosen by its first segment: VXLAN (a vxlan device, l2population entries for ports
 * on other hosts), flat or VLAN (a veth into that segment of the sandboxed physical network).
 */
import { join } from 'node:path';
import {
  bridgeName, dhcpDeviceName, dhcpNamespace, FABRIC_UNDERLAY_BRIDGE, fabricNamespace, fabricSegmentDev, fabricUnderlayDev,
  HOST_UNDERLAY_DEV, hostNamespace, hostSegmentDev, segmentBridge, segmentKey, tapMac, tapName, vxlanName,
} from '../dataplane/names.js';
import type { BridgePlan, DhcpPlan, FdbEntry, HostPlan, NeighbourEntry, TapPlan, UnderlayPlan } from '../dataplane/plan.js';
import { compileFirewall } from './compile-firewall.js';
import { dhcpSubnets, dnsmasqArgv, renderFiles, type DhcpSettings } from './compile-dhcp.js';
import { routerNatTables } from './compile-nat.js';
import { compileOutside, compileRouters, routerPortHost } from './compile-router.js';
import { compileRouterMetadata, METADATA_CIDR, metadataProxyFor } from './compile-metadata.js';
import type { Model, ModelNetwork, ModelPort } from './model.js';

export const DHCP_OWNER = 'network:dhcp';
export const FLOOD_MAC = '00:00:00:00:00:00';

export interface CompileContext {
  readonly host: string;
  readonly home: string;
  readonly homeHash: string;
  /** Prefix length of the underlay (all hosts of a home share one L2 underlay). */
  readonly underlayPrefixLen: number;
  /** MTU of the underlay and of the sandboxed physical network. */
  readonly physicalMtu: number;
  readonly dhcp: DhcpSettings;
  /** KUMO_HOST_ACCESS: one veth gives the root namespace an address on the external segment. */
  readonly hostAccess?: boolean;
  /** The metadata service's Unix socket; absent, networks and routers get no metadata proxy. */
  readonly metadata?: { readonly socket: string };
}

/** An instance NIC: what Nova binds to a host. */
export function isInstancePort(p: Pick<ModelPort, 'deviceOwner'>): boolean {
  return p.deviceOwner.startsWith('compute:');
}

/** The DHCP port the network's dnsmasq answers on (the first, as there is one per network). */
export function dhcpPortOf(model: Model, networkId: string): ModelPort | undefined {
  return model.ports.find((p) => p.networkId === networkId && p.deviceOwner === DHCP_OWNER);
}

/** Networks whose DHCP this host serves: hosted here, up, with an IPv4 DHCP subnet and a DHCP port. */
export function dhcpNetworksOf(model: Model, host: string): ModelNetwork[] {
  return model.networks.filter((n) => n.adminStateUp && (model.dhcpHosts.get(n.id) ?? []).includes(host)
    && dhcpSubnets(model.subnets.filter((s) => s.networkId === n.id)).length > 0 && dhcpPortOf(model, n.id) !== undefined);
}

/** Where a port lives: an instance port on its binding host, a DHCP port on its network's DHCP host. */
function locationOf(model: Model, p: ModelPort): string | null {
  if (isInstancePort(p)) return p.hostId || null;
  if (p.deviceOwner === DHCP_OWNER) return model.dhcpHosts.get(p.networkId)?.[0] ?? null;
  return routerPortHost(model, p.id) ?? null;
}

function l2population(model: Model, network: ModelNetwork, ctx: CompileContext, underlay: Map<string, string>): { fdb: FdbEntry[]; neighbours: NeighbourEntry[] } {
  const fdb = new Map<string, FdbEntry>();
  const neighbours = new Map<string, NeighbourEntry>();
  const ours = underlay.get(ctx.host);
  for (const p of model.ports) {
    if (p.networkId !== network.id) continue;
    const where = locationOf(model, p);
    const dst = where === null || where === ctx.host ? undefined : underlay.get(where);
    if (!dst || dst === ours) continue;
    fdb.set(`${FLOOD_MAC}|${dst}`, { mac: FLOOD_MAC, dst });
    fdb.set(`${p.mac}|${dst}`, { mac: p.mac, dst });
    for (const a of p.fixedIps) if (!a.ip.includes(':')) neighbours.set(a.ip, { ip: a.ip, mac: p.mac });
  }
  const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
  return { fdb: byKey(fdb), neighbours: byKey(neighbours) };
}

function bridgeFor(model: Model, network: ModelNetwork, ctx: CompileContext, underlay: Map<string, string>, fabricBridges: Set<string>): BridgePlan {
  const name = bridgeName(network.id);
  const segment = network.segments[0];
  const local = underlay.get(ctx.host);
  if (segment?.networkType === 'vxlan' && segment.segmentationId !== null && local) {
    return {
      networkId: network.id, name, mtu: network.mtu,
      uplink: {
        kind: 'vxlan', device: vxlanName(segment.segmentationId), vni: segment.segmentationId, local, dev: HOST_UNDERLAY_DEV, mtu: network.mtu,
        ...l2population(model, network, ctx, underlay),
      },
    };
  }
  if ((segment?.networkType === 'flat' || segment?.networkType === 'vlan') && segment.physicalNetwork) {
    // No 802.1Q on this kernel: each (physnet, VLAN id) is its own isolated segment.
    const key = segmentKey(segment.physicalNetwork, segment.networkType === 'vlan' ? segment.segmentationId : null);
    const fabricBridge = segmentBridge(key);
    fabricBridges.add(fabricBridge);
    return {
      networkId: network.id, name, mtu: network.mtu,
      uplink: { kind: 'segment', key, hostDev: hostSegmentDev(key), fabricDev: fabricSegmentDev(ctx.host, key), fabricBridge, mtu: ctx.physicalMtu },
    };
  }
  return { networkId: network.id, name, mtu: network.mtu, uplink: null };
}

function dhcpFor(model: Model, network: ModelNetwork, ctx: CompileContext): DhcpPlan {
  const port = dhcpPortOf(model, network.id) as ModelPort;
  const subnets = dhcpSubnets(model.subnets.filter((s) => s.networkId === network.id));
  const ports = model.ports.filter((p) => p.networkId === network.id);
  const device = dhcpDeviceName(port.id);
  const dir = join(ctx.home, 'dhcp', network.id);
  const prefixOf = new Map(subnets.map((s) => [s.id, s.prefix]));
  const served = port.fixedIps.filter((a) => prefixOf.has(a.subnetId));
  const metadata = ctx.metadata !== undefined && metadataProxyFor(network.id, ctx.home, ctx.metadata.socket) !== null;
  const { files, allowed } = renderFiles(subnets, ports, ctx.dhcp, new Map(metadata ? served.map((a) => [a.subnetId, a.ip]) : []));
  const addresses = served.map((a) => `${a.ip}/${prefixOf.get(a.subnetId)}`);
  if (metadata) addresses.push(METADATA_CIDR);
  return {
    networkId: network.id, portId: port.id, ns: dhcpNamespace(network.id), tap: tapName(port.id), tapMac: tapMac(port.mac),
    device, mac: port.mac, mtu: network.mtu, bridge: bridgeName(network.id), addresses, dir, files,
    argv: dnsmasqArgv(dir, device, subnets, network.mtu, ctx.dhcp), allowed,
  };
}

export function compile(model: Model, ctx: CompileContext): HostPlan {
  const hostNs = hostNamespace(ctx.homeHash, ctx.host);
  const underlay = new Map<string, string>();
  for (const h of model.hosts) if (h.underlayIp) underlay.set(h.name, h.underlayIp);
  const localIp = underlay.get(ctx.host);
  const fabricBridges = new Set<string>();
  let underlayPlan: UnderlayPlan | null = null;
  if (localIp) {
    fabricBridges.add(FABRIC_UNDERLAY_BRIDGE);
    underlayPlan = {
      cidr: `${localIp}/${ctx.underlayPrefixLen}`, ip: localIp, hostDev: HOST_UNDERLAY_DEV, fabricDev: fabricUnderlayDev(ctx.host),
      fabricBridge: FABRIC_UNDERLAY_BRIDGE, mtu: ctx.physicalMtu,
    };
  }

  const dhcpNetworks = dhcpNetworksOf(model, ctx.host);
  const socket = ctx.metadata?.socket;
  const networksById = new Map(model.networks.map((n) => [n.id, n]));
  const taps: TapPlan[] = [];
  const present = new Set(dhcpNetworks.map((n) => n.id));
  for (const p of model.ports) {
    const network = networksById.get(p.networkId);
    if (!network || !isInstancePort(p) || p.hostId !== ctx.host) continue;
    present.add(network.id);
    taps.push({ portId: p.id, networkId: network.id, tap: tapName(p.id), bridge: bridgeName(network.id), mtu: network.mtu, up: p.adminStateUp && network.adminStateUp });
  }
  const routers = compileRouters(model, ctx);
  for (const r of routers) for (const p of r.ports) if (networksById.has(p.networkId)) present.add(p.networkId);
  const bridges = [...present].map((id) => bridgeFor(model, networksById.get(id) as ModelNetwork, ctx, underlay, fabricBridges));
  const outside = compileOutside(model, ctx, fabricBridges);
  const firewall = compileFirewall(model, hostNs, taps);
  const routerMetadata = compileRouterMetadata(routers, ctx.home, socket);
  const networkProxies = socket === undefined ? [] : dhcpNetworks.flatMap((n) => metadataProxyFor(n.id, ctx.home, socket) ?? []);
  return {
    host: ctx.host,
    hostNs,
    fabric: { ns: fabricNamespace(ctx.homeHash), bridges: [...fabricBridges].sort().map((name) => ({ name, mtu: ctx.physicalMtu })) },
    underlay: underlayPlan,
    bridges: bridges.sort((a, b) => a.name.localeCompare(b.name)),
    dhcp: dhcpNetworks.map((n) => dhcpFor(model, n, ctx)).sort((a, b) => a.networkId.localeCompare(b.networkId)),
    taps: taps.sort((a, b) => a.portId.localeCompare(b.portId)),
    routers,
    outside,
    firewall,
    nftTables: [...routerNatTables(routers), ...routerMetadata.tables, ...(firewall?.tables ?? [])],
    metadata: [...networkProxies, ...routerMetadata.proxies].sort((a, b) => a.id.localeCompare(b.id)),
  };
}
