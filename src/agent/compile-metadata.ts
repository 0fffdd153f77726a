/**
 * Metadata proxies, compiled (pure: the agent's compiler calls these). Two kinds, as Neutron
 * runs them, both haproxy forwarding to the metadata service's Unix socket after dropping
 * whatever identity headers the guest sent and setting X-Forwarded-For to the client's source
 * address:
 * - a network's (isolated metadata): in the qdhcp- namespace, bound to 169.254.169.254:80 (an
 *   address on the DHCP port's device), naming the network in X-Neutron-Network-ID;
 * - a router's (the L3 agent's metadata proxy): in the qrouter- namespace, bound to port 9697,
 *   naming the router in X-Neutron-Router-ID. The router's `ip kumo-metadata` table redirects
 *   tcp to 169.254.169.254:80 arriving on a qr- interface to that port, and its input chain
 *   admits port 9697 only for connections so redirected: the proxy is not reachable from the
 *   external network (qg-) nor at the router's own addresses.
 */
import { join } from 'node:path';
import { dhcpNamespace, routerNamespace } from '../dataplane/names.js';
import { nftTable, type NftTablePlan } from '../dataplane/nft-table.js';
import type { MetadataProxyPlan } from '../dataplane/plan.js';
import type { RouterPlan } from '../dataplane/plan-router.js';
import { METADATA_ADDRESS } from './compile-dhcp.js';

export const METADATA_CIDR = `${METADATA_ADDRESS}/32`;
/** Where a router's proxy listens (Neutron's metadata_port). */
export const ROUTER_PROXY_PORT = 9697;
export const METADATA_TABLE = 'kumo-metadata';
export const METADATA_FAMILY = 'ip';

/** Whose proxy: the header that names it follows. */
export interface ProxyOwner {
  readonly kind: 'network' | 'router';
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A path haproxy reads as one word: no whitespace, quotes, backslashes or comment marks. */
const SAFE_PATH = /^\/[A-Za-z0-9_./+@:=-]+$/;

export function haproxyConfig(owner: ProxyOwner, socket: string): string {
  const network = owner.kind === 'network';
  return [
    `# Kumo metadata proxy for ${owner.kind} ${owner.id}: written by the data-plane agent.`,
    'global',
    '    maxconn 256',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout http-request 10s',
    '    option http-server-close',
    'listen metadata',
    network ? `    bind ${METADATA_ADDRESS}:80` : `    bind 0.0.0.0:${ROUTER_PROXY_PORT}`,
    '    http-request del-header X-Forwarded-For',
    '    http-request del-header X-Neutron-Network-ID',
    '    http-request del-header X-Neutron-Router-ID',
    '    http-request set-header X-Forwarded-For %[src]',
    `    http-request set-header ${network ? 'X-Neutron-Network-ID' : 'X-Neutron-Router-ID'} ${owner.id}`,
    `    server metadata unix@${socket}`,
    '',
  ].join('\n');
}

/** The proxy's plan, or null when a value could not be written into haproxy's config safely. */
function proxyPlan(owner: ProxyOwner, ns: string, home: string, socket: string): MetadataProxyPlan | null {
  if (!UUID.test(owner.id) || !SAFE_PATH.test(socket)) return null;
  const dir = join(home, 'metadata-proxy', owner.id);
  return {
    id: owner.id, ns, dir, config: haproxyConfig(owner, socket),
    // -D: haproxy forks into the background once it listens, and writes the child's PID to -p.
    argv: ['haproxy', '-f', join(dir, 'haproxy.cfg'), '-p', join(dir, 'pid'), '-D', '-q'],
  };
}

/** The proxy for a network (in its qdhcp- namespace), or null when it cannot be written safely. */
export function metadataProxyFor(networkId: string, home: string, socket: string): MetadataProxyPlan | null {
  return proxyPlan({ kind: 'network', id: networkId }, dhcpNamespace(networkId), home, socket);
}

/** The proxy for a router (in its qrouter- namespace), or null when it cannot be written safely. */
export function routerMetadataProxyFor(routerId: string, home: string, socket: string): MetadataProxyPlan | null {
  return proxyPlan({ kind: 'router', id: routerId }, routerNamespace(routerId), home, socket);
}

/**
 * The router's metadata table. The redirect runs before the NAT table's floating-IP DNAT
 * (priority dstnat - 10; the first NAT binding of a connection wins) and rewrites the
 * destination to the qr- interface's own address on port 9697. The input chain then tells a
 * redirected connection (conntrack still knows its original destination) from one aimed at
 * port 9697 directly, which it drops, whatever interface it came in on.
 */
export function metadataTableBody(): string {
  return [
    '\tchain prerouting {',
    '\t\ttype nat hook prerouting priority dstnat - 10; policy accept;',
    `\t\tiifname "qr-*" ip daddr ${METADATA_ADDRESS} tcp dport 80 redirect to :${ROUTER_PROXY_PORT}`,
    '\t}',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    `\t\ttcp dport ${ROUTER_PROXY_PORT} iifname "qr-*" ct status dnat ct original ip daddr ${METADATA_ADDRESS} ct original proto-dst 80 accept`,
    `\t\ttcp dport ${ROUTER_PROXY_PORT} drop`,
    '\t}',
    '',
  ].join('\n');
}

/**
 * Each router with at least one internal interface gets a proxy and its metadata table; a
 * router with none has no guest to serve (and a leftover proxy or table is removed).
 */
export function compileRouterMetadata(routers: readonly RouterPlan[], home: string, socket: string | undefined): { proxies: MetadataProxyPlan[]; tables: NftTablePlan[] } {
  const proxies: MetadataProxyPlan[] = [];
  const tables: NftTablePlan[] = [];
  if (socket === undefined) return { proxies, tables };
  for (const r of routers) {
    if (!r.ports.some((p) => p.kind === 'internal')) continue;
    const proxy = routerMetadataProxyFor(r.routerId, home, socket);
    if (!proxy) continue;
    proxies.push(proxy);
    tables.push(nftTable(r.ns, METADATA_FAMILY, METADATA_TABLE, metadataTableBody()));
  }
  return { proxies, tables };
}
