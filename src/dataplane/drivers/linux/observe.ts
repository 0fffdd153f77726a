/**
 * Reads one host's data plane from the kernel: the recorded namespaces that exist, their links
 * (`ip -j -d addr`), the VXLAN FDB (`bridge -j fdb`) and permanent neighbours, and each
 * network's dnsmasq (pid file verified against /proc, its files, its leases), and Kumo's
 * nftables tables in the namespaces the scope names, and each network's and router's metadata proxy.
 */
import { join } from 'node:path';
import { dhcpNamespace } from '../../names.js';
import { listNamespaces, showFdb, showLinks, showLinksMany, showNeighbours, type IpLinkJson } from '../../linux/ip.js';
import { processArgv, verifiedPidFromFile } from '../../linux/proc.js';
import { readTextOrNull } from '../../../util/files.js';
import { parseLeases, type ObservedDhcp, type ObservedHost, type ObservedLink, type ObservedMetadataProxy, type ObserveScope } from '../../observed.js';
import type { DataplaneRecord } from '../../record.js';
import type { RouteEntry } from '../../plan-router.js';
import { observeHostAccess } from './host-access.js';
import { observeL3Namespaces } from './observe-l3.js';
import { observeTables } from './nft.js';
import { observeProxy } from './metadata-proxy.js';

export function toObservedLink(l: IpLinkJson): ObservedLink {
  const info = l.linkinfo?.info_data;
  const kind = l.linkinfo?.info_kind ?? null;
  return {
    name: l.ifname,
    kind,
    master: l.master ?? null,
    mtu: l.mtu,
    mac: l.address?.toLowerCase() ?? null,
    up: l.flags.includes('UP'),
    addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    ...(kind === 'vxlan' && info ? {
      vxlan: { id: info.id ?? -1, local: info.local ?? null, dev: info.link ?? null, port: info.port ?? 0, learning: info.learning ?? true, proxy: info.proxy ?? false },
    } : {}),
  };
}

/** dnsmasq of one network: running only if its pid file names a live process started with that pid file. */
export function observeDhcp(networkId: string, dir: string): ObservedDhcp {
  const pidFile = join(dir, 'pid');
  const pid = verifiedPidFromFile(pidFile, `--pid-file=${pidFile}`);
  return {
    networkId,
    dir,
    pid,
    argv: pid !== null ? processArgv(pid) : null,
    files: { host: readTextOrNull(join(dir, 'host')), opts: readTextOrNull(join(dir, 'opts')), addn_hosts: readTextOrNull(join(dir, 'addn_hosts')) },
    leases: parseLeases(readTextOrNull(join(dir, 'leases'))),
  };
}

export async function observe(home: string, record: DataplaneRecord, scope: ObserveScope): Promise<ObservedHost> {
  const existing = await listNamespaces();
  const entries = record.namespaces();
  const recorded = new Set(entries.filter((r) => r.host === scope.host && (r.kind === 'dhcp' || r.kind === 'host' || r.kind === 'router')).map((r) => r.name));
  const homeWide = new Set(['fabric', 'upstream', 'outside']);
  const ours = new Set(entries.filter((r) => r.host === scope.host || homeWide.has(r.kind)).map((r) => r.name));
  const namespaces = new Set([...existing].filter((n) => ours.has(n)));

  const dhcpScope = new Map(scope.dhcp.map((d) => [d.networkId, d]));
  for (const ns of recorded) {
    if (!ns.startsWith('qdhcp-')) continue;
    const networkId = ns.slice('qdhcp-'.length);
    if (!dhcpScope.has(networkId)) dhcpScope.set(networkId, { networkId, ns: dhcpNamespace(networkId), dir: join(home, 'dhcp', networkId) });
  }

  // A fixed number of processes per pass, however many networks: the host and the fabric on
  // their own, every qdhcp- namespace in one batch, the FDB and neighbours of all VXLAN devices.
  const inner = [...dhcpScope.values()].map((d) => d.ns).filter((n) => namespaces.has(n));
  const has = (ns: string) => namespaces.has(ns);
  const hasVxlan = scope.vxlanDevices.length > 0 && has(scope.hostNs);
  const nftNamespaces = [...new Set(scope.nftNamespaces ?? [])].filter(has);
  // Routers and the outside world: links, routes and forwarding in one more batch.
  const l3 = [...(scope.routers ?? []), ...(scope.outside ? [scope.outside.upstreamNs, scope.outside.outsideNs] : [])].filter(has);
  const [hostList, fabricList, innerLists, fdbList, neighList, nft, l3Observed, root] = await Promise.all([
    has(scope.hostNs) ? showLinks(scope.hostNs) : null,
    has(scope.fabricNs) ? showLinks(scope.fabricNs) : null,
    showLinksMany(inner),
    hasVxlan ? showFdb(scope.hostNs) : [],
    hasVxlan ? showNeighbours(scope.hostNs) : [],
    observeTables(home, nftNamespaces),
    observeL3Namespaces(l3),
    scope.outside ? observeHostAccess(record, scope.outside.hostAccessDev) : null,
  ]);
  const links = new Map<string, Map<string, ObservedLink>>();
  const put = (ns: string, list: IpLinkJson[] | null | undefined) => {
    if (list) links.set(ns, new Map(list.map((l) => [l.ifname, toObservedLink(l)])));
  };
  put(scope.hostNs, hostList);
  put(scope.fabricNs, fabricList);
  for (const [ns, list] of innerLists) put(ns, list);

  const fdb = new Map<string, { mac: string; dst: string }[]>();
  const neighbours = new Map<string, { ip: string; mac: string }[]>();
  const vxlans = new Set(scope.vxlanDevices.filter((d) => links.get(scope.hostNs)?.get(d)?.kind === 'vxlan'));
  for (const dev of vxlans) fdb.set(dev, []);
  for (const e of fdbList) {
    if (e.ifname && vxlans.has(e.ifname) && e.dst !== undefined) fdb.get(e.ifname)?.push({ mac: e.mac.toLowerCase(), dst: e.dst });
  }
  for (const n of neighList) {
    if (!vxlans.has(n.dev) || !n.lladdr || !(n.state ?? []).includes('PERMANENT')) continue;
    neighbours.set(n.dev, [...(neighbours.get(n.dev) ?? []), { ip: n.dst, mac: n.lladdr.toLowerCase() }]);
  }

  const dhcp = new Map<string, ObservedDhcp>();
  for (const d of dhcpScope.values()) dhcp.set(d.networkId, observeDhcp(d.networkId, d.dir));

  const routes = new Map<string, RouteEntry[]>();
  const forwarding = new Map<string, boolean>();
  for (const [ns, o] of l3Observed) {
    put(ns, o.links);
    routes.set(ns, o.routes);
    forwarding.set(ns, o.forwarding);
  }
  const hostAccess = root ? { ...toObservedLink(root), forwarding: root.forwarding } : null;
  // Proxies live in qdhcp- and qrouter- namespaces: those planned, and those of every recorded
  // namespace (a proxy no longer planned is seen, so that it is stopped).
  const proxyDirs = new Map((scope.metadata ?? []).map((m) => [m.id, m.dir]));
  const routerIds = [...recorded].filter((ns) => ns.startsWith('qrouter-')).map((ns) => ns.slice('qrouter-'.length));
  const metadata = new Map<string, ObservedMetadataProxy>();
  for (const id of new Set([...proxyDirs.keys(), ...dhcpScope.keys(), ...routerIds])) {
    metadata.set(id, observeProxy(id, proxyDirs.get(id) ?? join(home, 'metadata-proxy', id)));
  }
  return { namespaces, recorded, links, fdb, neighbours, dhcp, routes, forwarding, hostAccess, nft, metadata };
}
