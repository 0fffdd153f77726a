/**
 * The data-plane bench's kernel tools: raw plumbing done by hand as the same-run baseline (a
 * namespace with a veth into the network's bridge and a busybox DHCP lease, the way the shell
 * prototypes in DESIGN.md measured it; a bare veth–bridge–veth pair for TCP), a ping watcher
 * that notes the first reply, iperf3 between two namespaces, and memory readings. Every
 * namespace it makes carries the home's prefix and is recorded, so `kumo down` removes it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/dataplane/linux/exec.js';
import { addNamespace, execIn, ipBatch, line } from '../src/dataplane/linux/ip.js';
import { deleteNs } from '../src/dataplane/drivers/linux/apply.js';
import { homeHash, homePrefix, tapMac, tapName } from '../src/dataplane/names.js';
import { DataplaneRecord } from '../src/dataplane/record.js';

const UDHCPC_SCRIPT = `#!/bin/busybox sh
# Applies the lease the way the cirros image's script does (address only; the bench needs no route).
[ "$1" = bound ] && busybox ip addr add "$ip/\${mask:-24}" dev "$interface"
exit 0
`;

export class RawPlumbing {
  private readonly record: DataplaneRecord;
  private readonly prefix: string;
  private readonly script: string;
  private n = 0;

  constructor(readonly home: string, readonly host: string, readonly hostNs: string) {
    this.record = new DataplaneRecord(home);
    this.prefix = homePrefix(homeHash(home));
    this.script = join(home, 'bench-udhcpc.sh');
    writeFileSync(this.script, UDHCPC_SCRIPT);
    chmodSync(this.script, 0o755);
  }

  /** A new recorded namespace of the bench's own. */
  async namespace(what: string): Promise<string> {
    const ns = `${this.prefix}bench-${what}-${this.n++}`;
    this.record.noteNamespace(ns, this.host, 'test');
    await addNamespace(ns);
    return ns;
  }

  /**
   * What an instance's NIC is without Kumo: a namespace whose eth0 is a veth into the bridge
   * (host end tap<port>), up, with its address from dnsmasq by busybox udhcpc.
   */
  async leasedNic(port: { id: string; mac: string }, bridge: string, mtu: number): Promise<string> {
    const ns = await this.namespace('nic');
    const tap = tapName(port.id);
    await ipBatch(ns, [
      line('link', 'set', 'lo', 'up'),
      line('link', 'add', 'eth0', 'mtu', mtu, 'address', port.mac, 'type', 'veth', 'peer', 'name', tap, 'mtu', mtu, 'address', tapMac(port.mac), 'netns', this.hostNs),
      line('link', 'set', 'eth0', 'up'),
    ]);
    await ipBatch(this.hostNs, [line('link', 'set', tap, 'master', bridge, 'up')]);
    await execIn(ns, ['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '20', '-T', '1', '-s', this.script], 60_000);
    return ns;
  }

  /** A bare veth–bridge–veth pair in namespaces of its own, addressed 192.168.250.1 and .2. */
  async vethPair(mtu: number): Promise<{ a: string; b: string; ipA: string; ipB: string }> {
    const br = await this.namespace('br');
    const a = await this.namespace('pair');
    const b = await this.namespace('pair');
    await ipBatch(br, [line('link', 'set', 'lo', 'up'), line('link', 'add', 'br0', 'mtu', mtu, 'type', 'bridge'), line('link', 'set', 'br0', 'up')]);
    for (const [ns, ip, port] of [[a, '192.168.250.1', 'pa'], [b, '192.168.250.2', 'pb']] as const) {
      await ipBatch(ns, [
        line('link', 'set', 'lo', 'up'),
        line('link', 'add', 'eth0', 'mtu', mtu, 'type', 'veth', 'peer', 'name', port, 'mtu', mtu, 'netns', br),
        line('addr', 'add', `${ip}/24`, 'dev', 'eth0'),
        line('link', 'set', 'eth0', 'up'),
      ]);
      await ipBatch(br, [line('link', 'set', port, 'master', 'br0', 'up')]);
    }
    return { a, b, ipA: '192.168.250.1', ipB: '192.168.250.2' };
  }

  async remove(ns: string): Promise<void> {
    await deleteNs(this.record, ns);
  }
}

/**
 * Resolves with performance.now() of the first echo reply from `ip`, pinged from namespace `ns`
 * every `intervalS` seconds (a ping that gives up early is started again until the deadline).
 */
export async function firstReply(ns: string, ip: string, intervalS: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const at = await new Promise<number | null>((resolve) => {
      const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-i', String(intervalS), '-w', String(seconds), ip], { stdio: ['ignore', 'pipe', 'ignore'] });
      let done = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (!done && d.includes('bytes from')) {
          done = true;
          resolve(performance.now());
          child.kill('SIGKILL');
        }
      });
      child.once('error', () => resolve(null));
      child.once('close', () => {
        if (!done) resolve(null);
      });
    });
    if (at !== null) return at;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no echo reply from ${ip} (pinged from ${ns}) within ${timeoutMs} ms`);
}

/** TCP throughput in bit/s from `clientNs` to an iperf3 server in `serverNs` on `serverIp` (one stream). */
export async function tcpThroughput(serverNs: string, serverIp: string, clientNs: string, seconds: number): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '--forceflush', '-B', serverIp, '-p', '5201'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`iperf3 server did not start: ${out}`)), 10_000);
      server.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Server listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('error', (err) => reject(err));
    });
    const { stdout } = await run(['ip', 'netns', 'exec', clientNs, 'iperf3', '-c', serverIp, '-p', '5201', '-t', String(seconds), '-J'], { timeoutMs: (seconds + 20) * 1000 });
    const report = JSON.parse(stdout) as { end?: { sum_received?: { bits_per_second?: number } } };
    const bps = report.end?.sum_received?.bits_per_second;
    if (!bps) throw new Error(`iperf3 reported no throughput: ${stdout.slice(0, 300)}`);
    return bps;
  } finally {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  }
}

/** Proportional set size of the processes in kB: shared pages (busybox, libraries) split among their users. */
export function pssKb(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += Number(m?.[1] ?? 0);
    } catch {
      // Exited meanwhile.
    }
  }
  return total;
}

/** Kernel memory the whole machine uses for objects (slab, kernel stacks, page tables), in kB. */
export function kernelKb(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0);
  return field('Slab') + field('KernelStack') + field('PageTables');
}
