/**
 * The root network namespace, snapshotted before a data-plane test and compared after: links
 * (name, kind, flags, MTU, MAC, master), addresses, routes of every table, rules, IP forwarding
 * and the nftables ruleset. Kumo must leave all of it exactly as it found it. The one thing
 * other clouds on the machine may change meanwhile is their own opt-in host-access veth
 * (`kumo-<their home hash>`, with its on-link address and route): the comparison leaves those
 * out, and keeps the test's own home's (given its home) in.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run, runJson } from '../../src/dataplane/linux/exec.js';
import { homeHash, hostAccessDev } from '../../src/dataplane/names.js';

interface LinkJson {
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function routes(family: '-4' | '-6'): Promise<string[]> {
  const list = await runJson<Record<string, unknown>[]>(['ip', family, '-j', 'route', 'show', 'table', 'all']);
  return list.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'expires' && k !== 'cache').sort()))).sort();
}

export interface RootSnapshot {
  readonly links: string[];
  readonly routes4: string[];
  readonly routes6: string[];
  readonly rules: string;
  readonly forwarding: string;
  readonly nft: string;
}

export async function snapshotRootNetns(): Promise<RootSnapshot> {
  const links = await runJson<LinkJson[]>(['ip', '-j', '-d', 'addr', 'show']);
  const nft = await run(['nft', 'list', 'ruleset']).then((r) => r.stdout, () => '(nft unavailable)');
  return {
    links: links.map((l) => JSON.stringify({
      name: l.ifname, kind: l.linkinfo?.info_kind ?? null, flags: [...l.flags].sort(), mtu: l.mtu, mac: l.address ?? null, master: l.master ?? null,
      // IPv6 link-local and temporary addresses come and go by themselves; global ones must not.
      addresses: (l.addr_info ?? []).filter((a) => !a.local.startsWith('fe80:')).map((a) => `${a.local}/${a.prefixlen}`).sort(),
    })).sort(),
    routes4: await routes('-4'),
    routes6: (await routes('-6')).filter((r) => !r.includes('"fe80::') && !r.includes('"ff00::')),
    rules: (await run(['ip', 'rule', 'show'])).stdout,
    forwarding: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
    nft,
  };
}

const HOST_ACCESS = /^kumo-[0-9a-f]{8}$/;

/** The snapshot without other homes' host-access veths (links and the routes through them). */
function withoutOtherClouds(s: RootSnapshot, ownHome: string | undefined): RootSnapshot {
  const own = ownHome === undefined ? null : hostAccessDev(homeHash(ownHome));
  const foreign = (dev: string | undefined) => dev !== undefined && HOST_ACCESS.test(dev) && dev !== own;
  const route = (r: string) => !foreign((JSON.parse(r) as { dev?: string }).dev);
  return {
    ...s,
    links: s.links.filter((l) => !foreign((JSON.parse(l) as { name: string }).name)),
    routes4: s.routes4.filter(route),
    routes6: s.routes6.filter(route),
  };
}

/** Compares the root namespace with `before`; `ownHome`'s host-access veth counts, other clouds' do not. */
export async function assertRootNetnsUnchanged(snapshot: RootSnapshot, ownHome?: string): Promise<void> {
  const after = withoutOtherClouds(await snapshotRootNetns(), ownHome);
  const before = withoutOtherClouds(snapshot, ownHome);
  assert.deepEqual(after.links, before.links, 'root namespace links and addresses changed');
  assert.deepEqual(after.routes4, before.routes4, 'root namespace IPv4 routes changed');
  assert.deepEqual(after.routes6, before.routes6, 'root namespace IPv6 routes changed');
  assert.equal(after.rules, before.rules, 'root namespace rules changed');
  assert.equal(after.forwarding, before.forwarding, 'root namespace ip_forward changed');
  assert.equal(after.nft, before.nft, 'root namespace nftables ruleset changed');
}

/**
 * The root mount namespace's mount points, except the nsfs mounts under /run/netns: those come
 * and go with every cloud on the machine (other homes' namespaces), and a test checks its own
 * namespaces separately by name.
 */
export async function rootMounts(): Promise<string[]> {
  return (await run(['findmnt', '-rn', '-o', 'TARGET'])).stdout.split('\n').filter((m) => m !== '' && !m.startsWith('/run/netns/'));
}
