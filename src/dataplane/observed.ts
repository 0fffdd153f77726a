/**
 * What a driver saw on a host, normalised so diff.ts can compare it with a HostPlan without
 * knowing which driver looked: links per namespace, VXLAN FDB and neighbours, dnsmasq state.
 */
import type { RouteEntry } from './plan-router.js';

export interface ObservedLink {
  readonly name: string;
  /** bridge, veth, vxlan, ... (null for loopback and kinds without linkinfo). */
  readonly kind: string | null;
  readonly master: string | null;
  readonly mtu: number;
  readonly mac: string | null;
  /** Administratively up (the UP flag). */
  readonly up: boolean;
  /** IPv4 addresses in CIDR notation (IPv6 link-local noise is left out). */
  readonly addresses: readonly string[];
  readonly vxlan?: { readonly id: number; readonly local: string | null; readonly dev: string | null; readonly port: number; readonly learning: boolean; readonly proxy: boolean };
}

export interface Lease {
  readonly expiry: number;
  readonly mac: string;
  readonly ip: string;
  readonly hostname: string;
  /** '*' when the client sent none. */
  readonly clientId: string;
}

export interface ObservedDhcp {
  readonly networkId: string;
  /** $KUMO_HOME/dhcp/<network id> */
  readonly dir: string;
  /** The running dnsmasq (verified by its pid file and command line), or null. */
  readonly pid: number | null;
  readonly argv: readonly string[] | null;
  /** The files as they are on disk; a missing file reads as null. */
  readonly files: { readonly host: string | null; readonly opts: string | null; readonly addn_hosts: string | null };
  readonly leases: readonly Lease[];
}

export interface ObservedHost {
  /** Namespaces that exist and that the record says belong to this host (or to the home's fabric). */
  readonly namespaces: ReadonlySet<string>;
  /** Namespaces recorded for this host, existing or not (what the diff may delete). */
  readonly recorded: ReadonlySet<string>;
  /** Links of each observed namespace. */
  readonly links: ReadonlyMap<string, ReadonlyMap<string, ObservedLink>>;
  /** Static FDB entries (with a dst) of each VXLAN device in the host namespace. */
  readonly fdb: ReadonlyMap<string, readonly { readonly mac: string; readonly dst: string }[]>;
  /** Permanent neighbours of each VXLAN device in the host namespace. */
  readonly neighbours: ReadonlyMap<string, readonly { readonly ip: string; readonly mac: string }[]>;
  /** dnsmasq per network, for the planned networks and those with a recorded qdhcp- namespace. */
  readonly dhcp: ReadonlyMap<string, ObservedDhcp>;
  /** Routes with a gateway, per router, upstream and outside namespace (absent: none observed). */
  readonly routes?: ReadonlyMap<string, readonly RouteEntry[]>;
  /** net.ipv4.ip_forward of those namespaces. */
  readonly forwarding?: ReadonlyMap<string, boolean>;
  /** The recorded host access veth in the root namespace, or null when there is none. */
  readonly hostAccess?: ObservedRootLink | null;
  /** Kumo's nftables tables (names starting with `kumo`) per observed namespace, by nftKey. */
  readonly nft?: ReadonlyMap<string, ReadonlyMap<string, ObservedNftTable>>;
  /** Metadata proxies by network or router id: those planned, and those of recorded qdhcp-/qrouter- namespaces (absent: none observed). */
  readonly metadata?: ReadonlyMap<string, ObservedMetadataProxy>;
}

export interface ObservedRootLink extends ObservedLink {
  /** net.ipv4.conf.<dev>.forwarding: must stay off (nothing entering there is ever forwarded). */
  readonly forwarding: boolean;
}

export interface ObservedNftTable {
  readonly family: string;
  readonly name: string;
  /** The content hash in the table's comment (null: not written by Kumo's transaction). */
  readonly hash: string | null;
  /** The table no longer lists as it did right after Kumo wrote it (e.g. a rule deleted by hand). */
  readonly drifted: boolean;
}

export interface ObservedMetadataProxy {
  /** The network or router it serves. */
  readonly id: string;
  readonly dir: string;
  /** The running haproxy (verified by its pid file and command line), or null. */
  readonly pid: number | null;
  /** haproxy.cfg as it is on disk, or null. */
  readonly config: string | null;
}

/** What to look at: the plan says which namespaces and networks matter. */
export interface ObserveScope {
  readonly host: string;
  readonly hostNs: string;
  readonly fabricNs: string;
  readonly vxlanDevices: readonly string[];
  readonly dhcp: readonly { readonly networkId: string; readonly ns: string; readonly dir: string }[];
  /** Router namespaces to read links, routes and forwarding of. */
  readonly routers?: readonly string[];
  /** The outside world's namespaces and the host access veth's name, on the host that keeps them. */
  readonly outside?: { readonly upstreamNs: string; readonly outsideNs: string; readonly hostAccessDev: string } | null;
  /** Namespaces whose nftables tables are read (the host's and every one with a planned table). */
  readonly nftNamespaces?: readonly string[];
  /** Networks and routers whose metadata proxy is planned, with its directory. */
  readonly metadata?: readonly { readonly id: string; readonly dir: string }[];
}

/** Parses dnsmasq's lease file: `<expiry> <mac> <ip> <hostname> <client-id>` per line. */
export function parseLeases(text: string | null): Lease[] {
  if (!text) return [];
  const leases: Lease[] = [];
  for (const row of text.split('\n')) {
    const [expiry, mac, ip, hostname, clientId] = row.trim().split(/\s+/);
    if (!expiry || !mac || !ip || !/^\d+$/.test(expiry) || mac.includes('*')) continue;
    leases.push({ expiry: Number(expiry), mac: mac.toLowerCase(), ip, hostname: hostname ?? '*', clientId: clientId ?? '*' });
  }
  return leases;
}
