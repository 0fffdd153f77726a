/** Reads the in-memory kernel into the same ObservedHost shape the Linux driver produces. */
import { join } from 'node:path';
import type { ObservedDhcp, ObservedHost, ObservedLink, ObservedMetadataProxy, ObserveScope } from '../../observed.js';
import type { FakeKernel, FakeLink } from './driver.js';
import { observeHostAccess } from './l3.js';
import type { RouteEntry } from '../../plan-router.js';
import { observeTables } from './nft.js';

function toObserved(l: FakeLink): ObservedLink {
  return {
    name: l.name, kind: l.kind, master: l.master, mtu: l.mtu, mac: l.mac, up: l.up, addresses: [...l.addresses].filter((a) => !a.startsWith('127.')),
    ...(l.vxlan ? { vxlan: { ...l.vxlan } } : {}),
  };
}

export function observe(kernel: FakeKernel, scope: ObserveScope): ObservedHost {
  const namespaces = new Set<string>();
  const recorded = new Set<string>();
  for (const [name, n] of kernel.namespaces) {
    if (n.host === scope.host || n.kind === 'fabric' || n.kind === 'upstream' || n.kind === 'outside') namespaces.add(name);
    if (n.host === scope.host && (n.kind === 'dhcp' || n.kind === 'host' || n.kind === 'router')) recorded.add(name);
  }
  const dirOf = new Map(scope.dhcp.map((d) => [d.networkId, d.dir]));
  const networks = new Set(scope.dhcp.map((d) => d.networkId));
  for (const ns of recorded) if (ns.startsWith('qdhcp-')) networks.add(ns.slice('qdhcp-'.length));

  const links = new Map<string, Map<string, ObservedLink>>();
  const l3 = [...(scope.routers ?? []), ...(scope.outside ? [scope.outside.upstreamNs, scope.outside.outsideNs] : [])];
  const wanted = new Set([scope.hostNs, scope.fabricNs, ...[...networks].map((id) => `qdhcp-${id}`), ...l3]);
  for (const name of wanted) {
    const n = kernel.namespaces.get(name);
    if (n && namespaces.has(name)) links.set(name, new Map([...n.links].map(([k, l]) => [k, toObserved(l)])));
  }
  const hostNs = kernel.namespaces.get(scope.hostNs);
  const fdb = new Map<string, { mac: string; dst: string }[]>();
  const neighbours = new Map<string, { ip: string; mac: string }[]>();
  for (const dev of scope.vxlanDevices) {
    if (hostNs?.links.get(dev)?.kind !== 'vxlan') continue;
    fdb.set(dev, [...(hostNs.fdb.get(dev) ?? [])]);
    neighbours.set(dev, [...(hostNs.neighbours.get(dev) ?? [])]);
  }
  const dhcp = new Map<string, ObservedDhcp>();
  for (const networkId of networks) {
    const d = kernel.dnsmasq.get(networkId);
    const files = kernel.files.get(networkId);
    dhcp.set(networkId, {
      networkId,
      dir: dirOf.get(networkId) ?? join('/fake', 'dhcp', networkId),
      pid: d?.pid ?? null,
      argv: d ? [...d.argv] : null,
      files: { host: files?.host ?? null, opts: files?.opts ?? null, addn_hosts: files?.addn_hosts ?? null },
      leases: (kernel.leases.get(networkId) ?? []).map((l) => ({ expiry: 0, mac: l.mac, ip: l.ip, hostname: '*', clientId: l.clientId })),
    });
  }
  const routes = new Map<string, RouteEntry[]>();
  const forwarding = new Map<string, boolean>();
  for (const ns of l3.filter((n) => namespaces.has(n))) {
    routes.set(ns, [...(kernel.routes.get(ns) ?? [])]);
    forwarding.set(ns, kernel.forwarding.get(ns) ?? false);
  }
  const hostAccess = scope.outside ? observeHostAccess(kernel, scope.outside.hostAccessDev) : null;
  const nft = observeTables(kernel, (scope.nftNamespaces ?? []).filter((ns) => namespaces.has(ns)));
  const proxyDirs = new Map((scope.metadata ?? []).map((m) => [m.id, m.dir]));
  const routerIds = [...recorded].filter((ns) => ns.startsWith('qrouter-')).map((ns) => ns.slice('qrouter-'.length));
  const metadata = new Map<string, ObservedMetadataProxy>();
  for (const id of new Set([...proxyDirs.keys(), ...networks, ...routerIds])) {
    metadata.set(id, {
      id, dir: proxyDirs.get(id) ?? join('/fake', 'metadata-proxy', id),
      pid: kernel.proxies.get(id)?.pid ?? null, config: kernel.proxyConfigs.get(id) ?? null,
    });
  }
  return { namespaces, recorded, links, fdb, neighbours, dhcp, routes, forwarding, hostAccess, nft, metadata };
}
