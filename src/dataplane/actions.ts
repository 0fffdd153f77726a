/**
 * The steps a driver applies, as data: diff.ts emits them in a safe order, a driver runs them
 * in that order (the Linux one batches consecutive steps of one namespace into one `ip -batch`),
 * the fake one records them. Every step names its namespace; none touches the root namespace
 * except opt-in host access's (`hostaccess.*`), which touch only the one veth they record.
 */
import type { NftFamily } from './nft-table.js';
import type { FirewallPlan } from './plan-firewall.js';
import type { DhcpFiles } from './plan.js';
import type { NamespaceKind } from './record.js';

export interface VethEnd {
  readonly ns: string;
  readonly name: string;
  readonly mac?: string;
  readonly mtu: number;
  readonly master?: string;
}

export type Action =
  /** Record, create, bring lo up, and quieten IPv6 where Kumo wants no link-local chatter. */
  | { readonly op: 'netns.add'; readonly ns: string; readonly host: string | null; readonly kind: NamespaceKind }
  /** Stop the recorded processes inside, delete, forget. */
  | { readonly op: 'netns.delete'; readonly ns: string }
  | { readonly op: 'link.add.bridge'; readonly ns: string; readonly name: string; readonly mtu: number }
  | { readonly op: 'link.add.vxlan'; readonly ns: string; readonly name: string; readonly vni: number; readonly local: string; readonly dev: string; readonly mtu: number; readonly master: string }
  /** A veth pair; both ends come up (and join their masters). */
  | { readonly op: 'link.add.veth'; readonly a: VethEnd; readonly b: VethEnd }
  /** master null takes the link out of its bridge. */
  | { readonly op: 'link.set'; readonly ns: string; readonly name: string; readonly master?: string | null; readonly mtu?: number; readonly mac?: string; readonly up?: boolean }
  | { readonly op: 'link.delete'; readonly ns: string; readonly name: string }
  | { readonly op: 'addr.add'; readonly ns: string; readonly dev: string; readonly cidr: string }
  | { readonly op: 'addr.delete'; readonly ns: string; readonly dev: string; readonly cidr: string }
  | { readonly op: 'fdb.add'; readonly ns: string; readonly dev: string; readonly mac: string; readonly dst: string }
  | { readonly op: 'fdb.delete'; readonly ns: string; readonly dev: string; readonly mac: string; readonly dst: string }
  | { readonly op: 'neigh.add'; readonly ns: string; readonly dev: string; readonly ip: string; readonly mac: string }
  | { readonly op: 'neigh.delete'; readonly ns: string; readonly dev: string; readonly ip: string }
  | { readonly op: 'dhcp.files'; readonly networkId: string; readonly dir: string; readonly files: DhcpFiles }
  /** dhcp_release inside the namespace: the client's lease goes at once, not at expiry. */
  | { readonly op: 'dhcp.release'; readonly networkId: string; readonly ns: string; readonly dev: string; readonly ip: string; readonly mac: string; readonly clientId: string }
  | { readonly op: 'dhcp.start'; readonly networkId: string; readonly ns: string; readonly dir: string; readonly argv: readonly string[] }
  /** SIGHUP: dnsmasq re-reads host, opts and addn_hosts. */
  | { readonly op: 'dhcp.reload'; readonly networkId: string; readonly dir: string; readonly pid: number }
  | { readonly op: 'dhcp.stop'; readonly networkId: string; readonly dir: string; readonly pid: number }
  /** A route with a gateway (routers, the upstream router, the outside host); dst in CIDR form. */
  | { readonly op: 'route.replace'; readonly ns: string; readonly dst: string; readonly via: string }
  | { readonly op: 'route.delete'; readonly ns: string; readonly dst: string; readonly via: string }
  /**
   * After a router's NAT table changed: conntrack entries that still translate with a floating
   * IP's old mapping (or one that was removed) go, so an established flow cannot outlive its
   * floating IP (Neutron deletes them the same way). Entries that match the mapping stay.
   */
  /**
   * After the host's firewall changed: tracked flows its rules no longer admit (a removed
   * rule let them in) are deleted, as Neutron does; flows another rule still admits stay.
   */
  | { readonly op: 'firewall.conntrack'; readonly ns: string; readonly firewall: FirewallPlan }
  | { readonly op: 'nat.conntrack'; readonly ns: string; readonly floating: readonly { readonly address: string; readonly fixedIp: string }[]; readonly removed: readonly string[] }
  /**
   * A gratuitous ARP for an address just added on a router's gateway: neighbours on the external
   * segment (the upstream router, host access) that still hold another MAC for it (a floating
   * IP that was on another router, a re-created gateway port) update at once.
   */
  | { readonly op: 'arp.announce'; readonly ns: string; readonly dev: string; readonly ip: string }
  /** The one sysctl the agent keeps per namespace (never in the root namespace). */
  | { readonly op: 'sysctl.set'; readonly ns: string; readonly key: NamespaceSysctl; readonly value: 0 | 1 }
  /**
   * Opt-in host access (the only steps that touch the root namespace): one recorded veth from
   * the root namespace into an external segment, IPv6-silent, with forwarding off on it.
   */
  | { readonly op: 'hostaccess.add'; readonly dev: string; readonly mtu: number; readonly peer: VethEnd }
  | { readonly op: 'hostaccess.secure'; readonly dev: string }
  | { readonly op: 'hostaccess.addr.add'; readonly dev: string; readonly cidr: string }
  | { readonly op: 'hostaccess.addr.delete'; readonly dev: string; readonly cidr: string }
  | { readonly op: 'hostaccess.delete'; readonly dev: string }
  /** Replaces the whole table in one nft transaction (nft-table.ts). */
  | { readonly op: 'nft.table'; readonly ns: string; readonly family: NftFamily; readonly name: string; readonly hash: string; readonly body: string }
  | { readonly op: 'nft.delete'; readonly ns: string; readonly family: string; readonly name: string }
  /** A metadata proxy's steps; id is the network (qdhcp- proxy) or router (qrouter- proxy) it serves. */
  | { readonly op: 'metadata.config'; readonly id: string; readonly dir: string; readonly config: string }
  | { readonly op: 'metadata.start'; readonly id: string; readonly ns: string; readonly dir: string; readonly argv: readonly string[] }
  | { readonly op: 'metadata.stop'; readonly id: string; readonly dir: string; readonly pid: number };

export type NamespaceSysctl = 'net.ipv4.ip_forward';

export type ActionOp = Action['op'];

/** One line per action, for logs and the fake driver's record. */
export function describe(a: Action): string {
  switch (a.op) {
    case 'netns.add': return `netns add ${a.ns} (${a.kind})`;
    case 'netns.delete': return `netns delete ${a.ns}`;
    case 'link.add.bridge': return `[${a.ns}] bridge ${a.name} mtu ${a.mtu}`;
    case 'link.add.vxlan': return `[${a.ns}] vxlan ${a.name} id ${a.vni} local ${a.local} dev ${a.dev} mtu ${a.mtu} master ${a.master}`;
    case 'link.add.veth': return `veth [${a.a.ns}] ${a.a.name} <-> [${a.b.ns}] ${a.b.name} mtu ${a.a.mtu}`;
    case 'link.set': return `[${a.ns}] set ${a.name}${a.master !== undefined ? ` master ${a.master ?? 'none'}` : ''}${a.mtu !== undefined ? ` mtu ${a.mtu}` : ''}${a.mac ? ` address ${a.mac}` : ''}${a.up !== undefined ? (a.up ? ' up' : ' down') : ''}`;
    case 'link.delete': return `[${a.ns}] delete ${a.name}`;
    case 'addr.add': return `[${a.ns}] addr add ${a.cidr} dev ${a.dev}`;
    case 'addr.delete': return `[${a.ns}] addr del ${a.cidr} dev ${a.dev}`;
    case 'fdb.add': return `[${a.ns}] fdb add ${a.mac} dev ${a.dev} dst ${a.dst}`;
    case 'fdb.delete': return `[${a.ns}] fdb del ${a.mac} dev ${a.dev} dst ${a.dst}`;
    case 'neigh.add': return `[${a.ns}] neigh ${a.ip} lladdr ${a.mac} dev ${a.dev}`;
    case 'neigh.delete': return `[${a.ns}] neigh del ${a.ip} dev ${a.dev}`;
    case 'dhcp.files': return `dhcp files ${a.networkId}`;
    case 'dhcp.release': return `dhcp release ${a.ip} ${a.mac} (${a.networkId})`;
    case 'dhcp.start': return `dhcp start ${a.networkId} in ${a.ns}`;
    case 'dhcp.reload': return `dhcp reload ${a.networkId} (pid ${a.pid})`;
    case 'dhcp.stop': return `dhcp stop ${a.networkId} (pid ${a.pid})`;
    case 'route.replace': return `[${a.ns}] route replace ${a.dst} via ${a.via}`;
    case 'route.delete': return `[${a.ns}] route del ${a.dst} via ${a.via}`;
    case 'firewall.conntrack': return `[${a.ns}] conntrack: drop flows the security groups no longer admit`;
    case 'nat.conntrack': return `[${a.ns}] conntrack: drop flows of changed floating IPs${a.removed.length ? ` (removed ${a.removed.join(', ')})` : ''}`;
    case 'arp.announce': return `[${a.ns}] gratuitous ARP for ${a.ip} on ${a.dev}`;
    case 'sysctl.set': return `[${a.ns}] sysctl ${a.key}=${a.value}`;
    case 'hostaccess.add': return `[root] host access veth ${a.dev} <-> [${a.peer.ns}] ${a.peer.name} master ${a.peer.master ?? 'none'}`;
    case 'hostaccess.secure': return `[root] ${a.dev}: forwarding off`;
    case 'hostaccess.addr.add': return `[root] addr add ${a.cidr} dev ${a.dev}`;
    case 'hostaccess.addr.delete': return `[root] addr del ${a.cidr} dev ${a.dev}`;
    case 'hostaccess.delete': return `[root] delete host access veth ${a.dev}`;
    case 'nft.table': return `[${a.ns}] nft table ${a.family} ${a.name} (${a.hash})`;
    case 'nft.delete': return `[${a.ns}] nft delete table ${a.family} ${a.name}`;
    case 'metadata.config': return `metadata proxy config ${a.id}`;
    case 'metadata.start': return `metadata proxy start ${a.id} in ${a.ns}`;
    case 'metadata.stop': return `metadata proxy stop ${a.id} (pid ${a.pid})`;
  }
}
