/** Applies one action to the in-memory kernel, failing where the real kernel would. */
import type { Action, VethEnd } from '../../actions.js';
import { releaseLease, reloadDnsmasq, startDnsmasq, stopDnsmasq, writeFiles } from './dhcp.js';
import { deleteTable, replaceTable } from './nft.js';
import type { FakeKernel, FakeLink, FakeNamespace } from './driver.js';
import { applyL3, FAKE_ROOT_NS, pruneRoutes } from './l3.js';

function ns(kernel: FakeKernel, name: string): FakeNamespace {
  const found = kernel.namespaces.get(name);
  if (!found) throw new Error(`Cannot open network namespace "${name}": No such file or directory`);
  return found;
}

function link(kernel: FakeKernel, nsName: string, name: string): FakeLink {
  const found = ns(kernel, nsName).links.get(name);
  if (!found) throw new Error(`[${nsName}] Cannot find device "${name}"`);
  return found;
}

function addLink(kernel: FakeKernel, nsName: string, l: FakeLink): void {
  const links = ns(kernel, nsName).links;
  if (links.has(l.name)) throw new Error(`[${nsName}] RTNETLINK answers: File exists (${l.name})`);
  links.set(l.name, l);
}

function deleteLink(kernel: FakeKernel, nsName: string, name: string): void {
  const n = ns(kernel, nsName);
  const l = link(kernel, nsName, name);
  n.links.delete(name);
  n.fdb.delete(name);
  n.neighbours.delete(name);
  for (const other of n.links.values()) if (other.master === name) other.master = null;
  // A veth goes with its peer, as in the kernel.
  if (l.peer) kernel.namespaces.get(l.peer.ns)?.links.delete(l.peer.name);
  if (l.peer?.ns === FAKE_ROOT_NS) kernel.rootLinks.delete(l.peer.name);
  pruneRoutes(kernel, nsName);
  if (l.peer) pruneRoutes(kernel, l.peer.ns);
}

function setMaster(kernel: FakeKernel, nsName: string, l: FakeLink, master: string | undefined | null): void {
  if (master === undefined) return;
  if (master !== null && link(kernel, nsName, master).kind !== 'bridge') throw new Error(`[${nsName}] ${master} is not a bridge`);
  l.master = master;
}

let macs = 0;
const randomMac = () => `02:00:00:00:${((++macs >> 8) & 0xff).toString(16).padStart(2, '0')}:${(macs & 0xff).toString(16).padStart(2, '0')}`;

function vethEnd(e: VethEnd, peer: VethEnd): FakeLink {
  return { name: e.name, kind: 'veth', master: null, mtu: e.mtu, mac: e.mac ?? randomMac(), up: false, addresses: [], peer: { ns: peer.ns, name: peer.name } };
}

export function apply(kernel: FakeKernel, a: Action): void {
  switch (a.op) {
    case 'netns.add':
      if (kernel.namespaces.has(a.ns)) throw new Error(`Cannot create namespace file "/run/netns/${a.ns}": File exists`);
      kernel.namespaces.set(a.ns, { host: a.host, kind: a.kind, links: new Map([['lo', { name: 'lo', kind: null, master: null, mtu: 65536, mac: '00:00:00:00:00:00', up: true, addresses: ['127.0.0.1/8'] }]]), fdb: new Map(), neighbours: new Map() });
      return;
    case 'netns.delete': {
      const n = ns(kernel, a.ns);
      for (const name of [...n.links.keys()]) deleteLink(kernel, a.ns, name);
      for (const [id, d] of kernel.dnsmasq) if (d.ns === a.ns) kernel.dnsmasq.delete(id);
      kernel.nft.delete(a.ns);
      for (const [id, p] of kernel.proxies) if (p.ns === a.ns) kernel.proxies.delete(id);
      kernel.namespaces.delete(a.ns);
      kernel.routes.delete(a.ns);
      kernel.forwarding.delete(a.ns);
      return;
    }
    case 'link.add.bridge':
      addLink(kernel, a.ns, { name: a.name, kind: 'bridge', master: null, mtu: a.mtu, mac: randomMac(), up: true, addresses: [] });
      return;
    case 'link.add.vxlan': {
      if (!ns(kernel, a.ns).links.has(a.dev)) throw new Error(`[${a.ns}] Cannot find device "${a.dev}"`);
      const l: FakeLink = { name: a.name, kind: 'vxlan', master: null, mtu: a.mtu, mac: randomMac(), up: true, addresses: [],
        vxlan: { id: a.vni, local: a.local, dev: a.dev, port: 4789, learning: false, proxy: true } };
      addLink(kernel, a.ns, l);
      setMaster(kernel, a.ns, l, a.master);
      return;
    }
    case 'link.add.veth': {
      ns(kernel, a.b.ns);
      if (ns(kernel, a.b.ns).links.has(a.b.name)) throw new Error(`[${a.b.ns}] RTNETLINK answers: File exists (${a.b.name})`);
      const la = vethEnd(a.a, a.b);
      const lb = vethEnd(a.b, a.a);
      addLink(kernel, a.a.ns, la);
      addLink(kernel, a.b.ns, lb);
      setMaster(kernel, a.a.ns, la, a.a.master);
      setMaster(kernel, a.b.ns, lb, a.b.master);
      la.up = true;
      lb.up = true;
      return;
    }
    case 'link.set': {
      const l = link(kernel, a.ns, a.name);
      setMaster(kernel, a.ns, l, a.master);
      if (a.mtu !== undefined) l.mtu = a.mtu;
      if (a.mac !== undefined) l.mac = a.mac;
      if (a.up !== undefined) l.up = a.up;
      if (a.up === false) pruneRoutes(kernel, a.ns);
      return;
    }
    case 'link.delete': return deleteLink(kernel, a.ns, a.name);
    case 'addr.add': {
      const l = link(kernel, a.ns, a.dev);
      if (l.addresses.includes(a.cidr)) throw new Error(`[${a.ns}] RTNETLINK answers: File exists (${a.cidr})`);
      l.addresses.push(a.cidr);
      return;
    }
    case 'addr.delete': {
      const l = link(kernel, a.ns, a.dev);
      if (!l.addresses.includes(a.cidr)) throw new Error(`[${a.ns}] RTNETLINK answers: Cannot assign requested address`);
      l.addresses = l.addresses.filter((c) => c !== a.cidr);
      pruneRoutes(kernel, a.ns);
      return;
    }
    case 'fdb.add': {
      link(kernel, a.ns, a.dev);
      const fdb = ns(kernel, a.ns).fdb;
      fdb.set(a.dev, [...(fdb.get(a.dev) ?? []).filter((e) => !(e.mac === a.mac && e.dst === a.dst)), { mac: a.mac, dst: a.dst }]);
      return;
    }
    case 'fdb.delete': {
      const fdb = ns(kernel, a.ns).fdb;
      fdb.set(a.dev, (fdb.get(a.dev) ?? []).filter((e) => !(e.mac === a.mac && e.dst === a.dst)));
      return;
    }
    case 'neigh.add': {
      link(kernel, a.ns, a.dev);
      const neigh = ns(kernel, a.ns).neighbours;
      neigh.set(a.dev, [...(neigh.get(a.dev) ?? []).filter((n) => n.ip !== a.ip), { ip: a.ip, mac: a.mac }]);
      return;
    }
    case 'neigh.delete': {
      const neigh = ns(kernel, a.ns).neighbours;
      neigh.set(a.dev, (neigh.get(a.dev) ?? []).filter((n) => n.ip !== a.ip));
      return;
    }
    case 'dhcp.files': return writeFiles(kernel, a.networkId, a.files);
    case 'dhcp.start': {
      ns(kernel, a.ns);
      return startDnsmasq(kernel, a.networkId, a.ns, a.argv);
    }
    case 'dhcp.reload': return reloadDnsmasq(kernel, a.networkId, a.pid);
    case 'dhcp.stop': return stopDnsmasq(kernel, a.networkId, a.pid);
    case 'dhcp.release': return releaseLease(kernel, a.networkId, a.ip, a.mac);
    case 'nft.table': return replaceTable(kernel, a.ns, a);
    case 'nft.delete': return deleteTable(kernel, a.ns, a.family, a.name);
    case 'firewall.conntrack':
      // The fake kernel keeps no connections; the step is recorded like every other.
      if (!kernel.namespaces.has(a.ns)) throw new Error(`Cannot open network namespace "${a.ns}"`);
      return;
    case 'metadata.config':
      kernel.proxyConfigs.set(a.id, a.config);
      return;
    case 'metadata.start': {
      const n = ns(kernel, a.ns);
      if (kernel.proxies.has(a.id)) throw new Error(`haproxy: cannot bind socket (Address already in use) for ${a.id}`);
      // haproxy binds what its config says: a specific address must be on a link of the namespace.
      const bind = /^ {4}bind (\S+):(\d+)$/m.exec(kernel.proxyConfigs.get(a.id) ?? '');
      if (!bind) throw new Error(`[${a.ns}] haproxy: no bind line in the config of ${a.id}`);
      if (bind[1] !== '0.0.0.0' && ![...n.links.values()].some((l) => l.addresses.some((c) => c.startsWith(`${bind[1]}/`)))) {
        throw new Error(`[${a.ns}] haproxy: cannot bind socket (Cannot assign requested address) [${bind[1]}:${bind[2]}]`);
      }
      kernel.proxies.set(a.id, { pid: kernel.nextPid++, ns: a.ns, argv: [...a.argv] });
      return;
    }
    case 'metadata.stop':
      if (kernel.proxies.get(a.id)?.pid === a.pid) kernel.proxies.delete(a.id);
      return;
    default:
      if (!applyL3(kernel, a)) throw new Error(`fake kernel: unknown action ${a.op}`);
  }
}
