/**
 * The fake kernel's L3: routes with a gateway and ip_forward per namespace, and the host access
 * veth in a stand-in root namespace. As strict as the kernel where it matters: a route needs a
 * gateway on a connected subnet of an up link in its namespace, and host access steps refuse a
 * device they did not make.
 */
import type { Action } from '../../actions.js';
import { cidrContains, parseCidr, parseIp } from '../../../network/ipam/ip.js';
import type { ObservedRootLink } from '../../observed.js';
import type { FakeKernel, FakeLink } from './driver.js';

/** The peer namespace name a root-namespace link's fabric end points back to. */
export const FAKE_ROOT_NS = '(root)';

function onLink(kernel: FakeKernel, ns: string, via: string): boolean {
  const ip = parseIp(via);
  if (!ip) return false;
  for (const l of kernel.namespaces.get(ns)?.links.values() ?? []) {
    if (!l.up) continue;
    for (const a of l.addresses) {
      const c = parseCidr(a);
      if (c && c.version === ip.version && cidrContains(c, ip.version, ip.value)) return true;
    }
  }
  return false;
}

/** Routes whose gateway is no longer on-link go, as the kernel drops them with their link. */
export function pruneRoutes(kernel: FakeKernel, ns: string): void {
  const list = kernel.routes.get(ns);
  if (list) kernel.routes.set(ns, list.filter((r) => onLink(kernel, ns, r.via)));
}

function rootLink(kernel: FakeKernel, dev: string): FakeLink & { forwarding: boolean } {
  const l = kernel.rootLinks.get(dev);
  if (!l) throw new Error(`host access: ${dev} is not recorded; not touching it`);
  return l;
}

/** Applies an L3 action; false when the action is not one of these. */
export function applyL3(kernel: FakeKernel, a: Action): boolean {
  switch (a.op) {
    case 'route.replace': {
      if (!kernel.namespaces.has(a.ns)) throw new Error(`Cannot open network namespace "${a.ns}"`);
      if (!onLink(kernel, a.ns, a.via)) throw new Error(`[${a.ns}] Error: Nexthop has invalid gateway (${a.via})`);
      kernel.routes.set(a.ns, [...(kernel.routes.get(a.ns) ?? []).filter((r) => r.dst !== a.dst), { dst: a.dst, via: a.via }]);
      return true;
    }
    case 'route.delete': {
      const list = kernel.routes.get(a.ns) ?? [];
      if (!list.some((r) => r.dst === a.dst && r.via === a.via)) throw new Error(`[${a.ns}] RTNETLINK answers: No such process`);
      kernel.routes.set(a.ns, list.filter((r) => !(r.dst === a.dst && r.via === a.via)));
      return true;
    }
    case 'arp.announce':
      if (!kernel.namespaces.get(a.ns)?.links.get(a.dev)?.addresses.some((c) => c.startsWith(`${a.ip}/`))) throw new Error(`[${a.ns}] arping: ${a.ip} is not on ${a.dev}`);
      return true;
    case 'nat.conntrack':
      // The fake kernel keeps no connections; the step is recorded like every other.
      if (!kernel.namespaces.has(a.ns)) throw new Error(`Cannot open network namespace "${a.ns}"`);
      return true;
    case 'sysctl.set':
      if (!kernel.namespaces.has(a.ns)) throw new Error(`Cannot open network namespace "${a.ns}"`);
      kernel.forwarding.set(a.ns, a.value === 1);
      return true;
    case 'hostaccess.add': {
      if (kernel.rootLinks.has(a.dev)) throw new Error(`RTNETLINK answers: File exists (${a.dev})`);
      const fabric = kernel.namespaces.get(a.peer.ns);
      if (!fabric) throw new Error(`Cannot open network namespace "${a.peer.ns}"`);
      if (fabric.links.has(a.peer.name)) throw new Error(`[${a.peer.ns}] RTNETLINK answers: File exists (${a.peer.name})`);
      if (a.peer.master && fabric.links.get(a.peer.master)?.kind !== 'bridge') throw new Error(`[${a.peer.ns}] ${a.peer.master} is not a bridge`);
      kernel.rootLinks.set(a.dev, {
        name: a.dev, kind: 'veth', master: null, mtu: a.mtu, mac: '02:00:00:00:ff:01', up: true, addresses: [], forwarding: false,
        peer: { ns: a.peer.ns, name: a.peer.name },
      });
      fabric.links.set(a.peer.name, {
        name: a.peer.name, kind: 'veth', master: a.peer.master ?? null, mtu: a.peer.mtu, mac: '02:00:00:00:ff:02', up: true, addresses: [],
        peer: { ns: FAKE_ROOT_NS, name: a.dev },
      });
      return true;
    }
    case 'hostaccess.secure': {
      const l = rootLink(kernel, a.dev);
      l.forwarding = false;
      l.up = true;
      return true;
    }
    case 'hostaccess.addr.add': {
      const l = rootLink(kernel, a.dev);
      if (l.addresses.includes(a.cidr)) throw new Error(`RTNETLINK answers: File exists (${a.cidr})`);
      l.addresses.push(a.cidr);
      return true;
    }
    case 'hostaccess.addr.delete': {
      const l = rootLink(kernel, a.dev);
      l.addresses = l.addresses.filter((c) => c !== a.cidr);
      return true;
    }
    case 'hostaccess.delete': {
      const l = rootLink(kernel, a.dev);
      kernel.rootLinks.delete(a.dev);
      if (l.peer) kernel.namespaces.get(l.peer.ns)?.links.delete(l.peer.name);
      return true;
    }
    default:
      return false;
  }
}

export function observeHostAccess(kernel: FakeKernel, dev: string): ObservedRootLink | null {
  const l = kernel.rootLinks.get(dev);
  return l ? { name: l.name, kind: l.kind, master: l.master, mtu: l.mtu, mac: l.mac, up: l.up, addresses: [...l.addresses], forwarding: l.forwarding } : null;
}
