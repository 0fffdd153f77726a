/**
 * Real-packet test tools: why a root-only test must skip here (said, never silent), "instance"
 * NICs made the way the compute driver will make them (a namespace of the test's own, recorded
 * in the home's record so `kumo down` removes it too, with a veth whose host end is
 * tap<port id[:11]> in the host namespace), a busybox DHCP client, ping, and leftover checks.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { scopeOf } from '../../src/agent/agent.js';
import { diff } from '../../src/dataplane/diff.js';
import type { DataplaneDriver } from '../../src/dataplane/driver.js';
import type { HostPlan } from '../../src/dataplane/plan.js';
import { run } from '../../src/dataplane/linux/exec.js';
import { addNamespace, ipBatch, line, listNamespaces } from '../../src/dataplane/linux/ip.js';
import { homeHash, homePrefix, tapMac, tapName } from '../../src/dataplane/names.js';
import { DataplaneRecord } from '../../src/dataplane/record.js';
import { linuxUnavailable } from '../../src/dataplane/select.js';

/** Why the Linux data-plane tests cannot run here (shown as the skip reason), or false. */
export function rootSkip(): string | false {
  const why = linuxUnavailable();
  if (why) return `needs root on Linux: ${why}`;
  for (const bin of ['/usr/sbin/dnsmasq', '/bin/busybox']) {
    if (!existsSync(bin) && !existsSync(bin.replace('/bin/', '/usr/bin/'))) return `${bin} missing (run scripts/dataplane-deps.sh as root)`;
  }
  return false;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export interface TestNic {
  readonly ns: string;
  readonly dev: string;
}

/** A namespace standing in for an instance, its eth0 plugged as tap<port> into the host namespace. */
export async function plugTestNic(home: string, host: string, hostNs: string, name: string, port: { id: string; mac: string }, mtu: number): Promise<TestNic> {
  const ns = `${homePrefix(homeHash(home))}test-${name}`;
  new DataplaneRecord(home).noteNamespace(ns, host, 'test');
  await addNamespace(ns);
  await ipBatch(ns, [
    line('link', 'set', 'lo', 'up'),
    line('link', 'add', 'eth0', 'mtu', mtu, 'address', port.mac, 'type', 'veth', 'peer', 'name', tapName(port.id), 'mtu', mtu, 'address', tapMac(port.mac), 'netns', hostNs),
    line('link', 'set', 'eth0', 'up'),
  ]);
  await ipBatch(hostNs, [line('link', 'set', tapName(port.id), 'up')]);
  return { ns, dev: 'eth0' };
}

/** The variables udhcpc handed its script on `bound`. */
export type DhcpAnswer = Record<string, string>;

const SCRIPT = `#!/bin/busybox sh
# udhcpc event script for tests: apply the lease like an instance's init would, and report it.
case "$1" in
  bound|renew)
    busybox ip addr flush dev "$interface"
    busybox ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$mtu" ] && busybox ip link set dev "$interface" mtu "$mtu"
    [ -n "$router" ] && busybox ip route replace default via "\${router%% *}" dev "$interface"
    { echo "ip=$ip"; echo "mask=$mask"; echo "router=$router"; echo "mtu=$mtu"; echo "dns=$dns"; echo "hostname=$hostname"; echo "domain=$domain"; echo "staticroutes=$staticroutes"; echo "lease=$lease"; } > "$0.out"
    ;;
esac
exit 0
`;

/** Runs busybox udhcpc once on the NIC (the lease is applied to it) and returns what it got. */
export async function dhcpClient(nic: TestNic, workDir: string, name: string): Promise<DhcpAnswer> {
  const script = join(workDir, `udhcpc-${name}.sh`);
  writeFileSync(script, SCRIPT);
  chmodSync(script, 0o755);
  await run(['ip', 'netns', 'exec', nic.ns, 'busybox', 'udhcpc', '-i', nic.dev, '-f', '-q', '-n', '-t', '10', '-T', '1', '-A', '1',
    '-s', script, '-O', 'mtu', '-O', 'staticroutes'], { timeoutMs: 30_000 });
  const answer: DhcpAnswer = {};
  for (const row of readFileSync(`${script}.out`, 'utf8').split('\n')) {
    const i = row.indexOf('=');
    if (i > 0) answer[row.slice(0, i)] = row.slice(i + 1);
  }
  return answer;
}

export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
  readonly ttl: number | null;
  readonly output: string;
}

export async function ping(ns: string, ip: string, count = 3): Promise<PingResult> {
  const r = await run(['ip', 'netns', 'exec', ns, 'busybox', 'ping', '-c', String(count), '-W', '2', ip], { okCodes: [1], timeoutMs: 20_000 });
  const stats = /(\d+) packets transmitted, (\d+) packets received/.exec(r.stdout);
  const ttl = /ttl=(\d+)/.exec(r.stdout);
  return { transmitted: Number(stats?.[1] ?? 0), received: Number(stats?.[2] ?? 0), ttl: ttl ? Number(ttl[1]) : null, output: r.stdout };
}

/** Namespaces of this home still present: with its prefix, or named in `also` (e.g. qdhcp- ones). */
export async function leftoverNamespaces(home: string, also: readonly string[] = []): Promise<string[]> {
  const prefix = homePrefix(homeHash(home));
  return [...(await listNamespaces())].filter((n) => n.startsWith(prefix) || also.includes(n));
}

/** PIDs of live processes whose command line mentions the text (e.g. the home's path). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** diff → apply until nothing is left to do; returns the number of passes that changed something. */
export async function converge(driver: DataplaneDriver, plan: HostPlan): Promise<number> {
  for (let pass = 0; pass < 4; pass++) {
    const actions = diff(plan, await driver.observe(scopeOf(plan)));
    if (actions.length === 0) return pass;
    await driver.apply(actions);
  }
  assert.deepEqual(diff(plan, await driver.observe(scopeOf(plan))), [], 'did not converge');
  return 4;
}
