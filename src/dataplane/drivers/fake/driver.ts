/**
 * The fake data-plane driver: an in-memory kernel (namespaces, links, FDB, neighbours, dnsmasq
 * processes and files, nftables tables, metadata proxies) that applies actions as strictly as the
 * real one (adding what exists or deleting what does not fails), and records every action. Used without root, and by the driver
 * suite to pin the agent's behaviour on machines where the Linux driver cannot run.
 */
import type { Action } from '../../actions.js';
import type { DataplaneDriver, TeardownReport } from '../../driver.js';
import type { ObservedHost, ObserveScope } from '../../observed.js';
import type { DhcpFiles } from '../../plan.js';
import type { RouteEntry } from '../../plan-router.js';
import type { NamespaceKind } from '../../record.js';
import { apply } from './apply.js';
import type { FakeNftTable } from './nft.js';
import { observe } from './observe.js';
import { teardown } from './teardown.js';

export interface FakeLink {
  name: string;
  kind: string | null;
  master: string | null;
  mtu: number;
  mac: string | null;
  up: boolean;
  addresses: string[];
  peer?: { ns: string; name: string };
  vxlan?: { id: number; local: string; dev: string; port: number; learning: boolean; proxy: boolean };
}

export interface FakeNamespace {
  readonly host: string | null;
  readonly kind: NamespaceKind;
  readonly links: Map<string, FakeLink>;
  readonly fdb: Map<string, { mac: string; dst: string }[]>;
  readonly neighbours: Map<string, { ip: string; mac: string }[]>;
}

export interface FakeDnsmasq {
  pid: number;
  readonly ns: string;
  readonly argv: readonly string[];
  reloads: number;
}

/** The in-memory kernel; drivers of several simulated hosts of one home share one. */
export class FakeKernel {
  readonly namespaces = new Map<string, FakeNamespace>();
  readonly dnsmasq = new Map<string, FakeDnsmasq>();
  readonly files = new Map<string, DhcpFiles>();
  readonly leases = new Map<string, { mac: string; ip: string; clientId: string }[]>();
  readonly released: { networkId: string; ip: string; mac: string }[] = [];
  /** Routes with a gateway and ip_forward, per namespace (fake/l3.ts). */
  readonly routes = new Map<string, RouteEntry[]>();
  readonly forwarding = new Map<string, boolean>();
  /** Host access veths, standing in for the root namespace. */
  readonly rootLinks = new Map<string, FakeLink & { forwarding: boolean }>();
  /** nftables tables per namespace, by nftKey. */
  readonly nft = new Map<string, Map<string, FakeNftTable>>();
  /** Metadata proxies (haproxy) by network or router id, and their configs. */
  readonly proxies = new Map<string, { pid: number; readonly ns: string; readonly argv: readonly string[] }>();
  readonly proxyConfigs = new Map<string, string>();
  nextPid = 1000;

  /** A lease as dnsmasq would write it after a client's DHCPACK. */
  grantLease(networkId: string, mac: string, ip: string): void {
    const list = (this.leases.get(networkId) ?? []).filter((l) => l.ip !== ip);
    list.push({ mac, ip, clientId: `01:${mac}` });
    this.leases.set(networkId, list);
  }
}

export class FakeDataplane implements DataplaneDriver {
  readonly kind = 'fake' as const;
  /** Every action applied, in order (what a test on a machine without root can assert on). */
  readonly actions: Action[] = [];

  constructor(readonly home: string, readonly kernel: FakeKernel = new FakeKernel()) {}

  async observe(scope: ObserveScope): Promise<ObservedHost> {
    return observe(this.kernel, scope);
  }

  async apply(actions: readonly Action[]): Promise<void> {
    for (const a of actions) {
      this.actions.push(a);
      apply(this.kernel, a);
    }
  }

  async teardown(host?: string): Promise<TeardownReport> {
    return teardown(this.kernel, host);
  }
}
