/**
 * Data-plane benchmarks (issue 6; root only): real cirros containers on the Linux data plane
 * and the Linux compute driver, each figure against a baseline measured in the same run.
 *  (a) server create → ACTIVE and pingable (from its network's qdhcp- namespace), against the
 *      same plumbing done by hand (namespace, veth into the bridge, DHCP lease, first reply),
 *      and create → the guest has applied its metadata from 169.254.169.254 (issue 7);
 *  (b) 100 servers asked for at once until all are ACTIVE and pingable, against 100 of those
 *      hand-made NICs at once;
 *  (c) memory per idle instance: the PSS of its processes plus its share of kernel memory;
 *  (d) TCP throughput between two instances on one host, against a bare veth–bridge–veth pair.
 * The cloud's home is always removed with `kumo down` at the end (kumo.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceFiles } from '../src/compute/driver/linux/state.js';
import { groupPids } from '../src/dataplane/linux/cgroup.js';
import { namespacePids } from '../src/dataplane/linux/ip.js';
import { bridgeName, dhcpNamespace, homeHash, instanceNamespace } from '../src/dataplane/names.js';
import { DataplaneRecord } from '../src/dataplane/record.js';
import { linuxUnavailable } from '../src/dataplane/select.js';
import { roomForServers } from './compute.js';
import { firstReply, kernelKb, pssKb, RawPlumbing, tcpThroughput } from './dataplane-kernel.js';
import type { Client } from './http.js';
import { startKumo } from './kumo.js';
import { latencyRounds, latencyRow, seriesOf, type Row, type Series } from './measure.js';
import { median, percentile } from './stats.js';
import { NET, NOVA, type SuiteOptions } from './suite.js';
import { sleep } from './until.js';

const SUITE = 'dataplane';
const BULK = 100;
const CREATE = 'server create → ACTIVE and pingable';
const METADATA = 'server create → metadata applied in the guest';

interface Server { readonly id: string; readonly name: string; readonly status: string; readonly addresses: Record<string, { addr: string; version: number }[]>; readonly fault?: { message: string } }
interface Port { readonly id: string; readonly mac_address: string; readonly fixed_ips: { ip_address: string }[] }

const ipv4 = (s: Server) => Object.values(s.addresses ?? {}).flat().find((a) => a.version === 4)?.addr;

/** Why this suite cannot run here, or null. */
export function dataplaneBenchUnavailable(): string | null {
  return linuxUnavailable();
}

const hasIperf3 = () => existsSync('/usr/bin/iperf3') || existsSync('/usr/local/bin/iperf3');

/** Resolves with performance.now() once the instance's console shows its login banner (printed after the metadata step). */
async function bannerAt(home: string, id: string, name: string, timeoutMs: number): Promise<number> {
  const log = join(home, 'instances', id, 'console.log');
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // Not written yet.
    }
    if (text.includes(`${name} login:`)) {
      if (!text.includes('metadata: from http://169.254.169.254')) throw new Error(`${name} booted without its metadata:\n${text}`);
      return performance.now();
    }
    if (performance.now() > deadline) throw new Error(`${name} showed no login banner within ${timeoutMs} ms`);
    await sleep(10);
  }
}

async function server(c: Client, id: string): Promise<Server> {
  const s = (await c.call<{ server: Server }>('GET', `${NOVA}/servers/${id}`)).server;
  if (s.status === 'ERROR') throw new Error(`server ${id} went to ERROR: ${s.fault?.message ?? ''}`);
  return s;
}

/** Polls the server until `until` holds; resolves with performance.now() of that answer. */
async function pollServer(c: Client, id: string, until: (s: Server) => boolean): Promise<{ s: Server; at: number }> {
  for (;;) {
    const s = await server(c, id);
    if (until(s)) return { s, at: performance.now() };
    // Often enough to time a few hundred ms finely, rarely enough not to load the cloud it times.
    await sleep(10);
  }
}

/** Ports made untimed for the hand-made baseline NICs, once dnsmasq's host file lists them all. */
async function preparePorts(c: Client, home: string, networkId: string, n: number): Promise<Port[]> {
  const ports = (await c.call<{ ports: Port[] }>('POST', `${NET}/ports`, { ports: Array.from({ length: n }, () => ({ network_id: networkId })) })).ports;
  const hostFile = join(home, 'dhcp', networkId, 'host');
  for (let waited = 0; ; waited += 20) {
    let text = '';
    try {
      text = readFileSync(hostFile, 'utf8');
    } catch {
      // Not written yet.
    }
    if (ports.every((p) => text.includes(p.mac_address))) return ports;
    if (waited > 30_000) throw new Error('dnsmasq was not given the baseline ports within 30 s');
    await sleep(20);
  }
}

function series(values: readonly number[]): Series {
  return { samples: [...values], rounds: values.map((v) => [v]) };
}

/** (d): iperf3 between two instances against a bare veth–bridge–veth pair at the same MTU, round by round. */
async function benchTcp(c: Client, home: string, raw: RawPlumbing, ids: readonly string[], mtu: number, rounds: number): Promise<Row[]> {
  const [one, two] = await Promise.all(ids.map((id) => server(c, id)));
  if (!one || !two) throw new Error('two instances are needed for the TCP figure');
  const nsOf = (s: Server) => instanceNamespace(homeHash(home), (s as unknown as Record<string, string>)['OS-EXT-SRV-ATTR:instance_name'] as string);
  const pair = await raw.vethPair(mtu);
  const seconds = rounds <= 3 ? 2 : 3;
  const rawBps: number[] = [];
  const instBps: number[] = [];
  for (let r = 0; r < rounds; r++) {
    rawBps.push(await tcpThroughput(pair.b, pair.ipB, pair.a, seconds));
    instBps.push(await tcpThroughput(nsOf(two), ipv4(two) as string, nsOf(one), seconds));
  }
  const gbit = (bps: number[]) => bps.map((b) => b / 1e9);
  const ratios = instBps.map((b, i) => b / (rawBps[i] as number));
  return [{
    suite: SUITE, name: 'TCP instance → instance, same host', unit: 'Gbit/s', median: median(gbit(instBps)), p90: null, n: instBps.length,
    baseline: median(gbit(rawBps)), ratio: median(ratios), target: null, pass: null, openstack: null, roundMedians: gbit(instBps), cpuMs: null,
    note: `iperf3, one stream, ${seconds} s per round, run in the instances' network namespaces; baseline: a bare veth–bridge–veth pair at the same MTU (${mtu})`,
  }, {
    suite: SUITE, name: 'TCP instance / raw veth pair', unit: '%', median: median(ratios) * 100, p90: null, n: ratios.length,
    baseline: null, ratio: null, target: { op: '>=', value: 85 }, pass: median(ratios) * 100 >= 85, openstack: null, roundMedians: ratios.map((x) => x * 100), cpuMs: null,
  }];
}

export async function benchDataplane(o: SuiteOptions): Promise<Row[]> {
  const kumo = await startKumo({ ...o.kumo, dataplane: 'linux' });
  const c = kumo.client;
  const rows: Row[] = [];
  try {
    await roomForServers(kumo);
    // Security groups are enforced: as in Neutron, pings from the qdhcp- namespace need an ICMP rule.
    const group = (await c.call<{ security_groups: { id: string }[] }>('GET', `${NET}/security-groups?name=default&project_id=${kumo.projectId}`)).security_groups[0];
    if (!group) throw new Error('no default security group in the bench project');
    await c.call('POST', `${NET}/security-group-rules`, { security_group_rule: { security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } });
    const net = (await c.call<{ network: { id: string; mtu: number } }>('POST', `${NET}/networks`, { network: { name: 'bench-dataplane' } })).network;
    await c.call('POST', `${NET}/subnets`, { subnet: { network_id: net.id, cidr: '10.200.0.0/16', ip_version: 4 } });
    const image = (await c.call<{ images: { id: string }[] }>('GET', '/image/v2/images?name=cirros')).images[0]?.id;
    if (!image) throw new Error('no cirros image in the bench cloud');
    const create = async (name: string) => (await c.call<{ server: { id: string } }>('POST', `${NOVA}/servers`,
      { server: { name, imageRef: image, flavorRef: '0', networks: [{ uuid: net.id }] } })).server.id;
    const qdhcp = dhcpNamespace(net.id);

    // The first server makes the host namespace, the bridge and dnsmasq (and unpacks the image).
    const first = await create('bench-first');
    const firstIp = ipv4((await pollServer(c, first, (s) => s.status === 'ACTIVE' && ipv4(s) !== undefined)).s) as string;
    await firstReply(qdhcp, firstIp, 0.05, 60_000);
    const hostEntry = new DataplaneRecord(kumo.home).namespaces().find((n) => n.kind === 'host');
    if (!hostEntry?.host) throw new Error('no host namespace recorded');
    const raw = new RawPlumbing(kumo.home, hostEntry.host, hostEntry.name);
    const bridge = bridgeName(net.id);

    // (a) One server at a time, each against one hand-made NIC of the same round.
    const warmup = 2;
    const perRound = Math.max(3, Math.round(o.perRound / 8));
    let spare: Port[] = await preparePorts(c, kumo.home, net.id, warmup);
    const created: string[] = [];
    const single = await latencyRounds(CREATE, {
      rounds: o.rounds, perRound, warmup,
      before: async () => { spare = await preparePorts(c, kumo.home, net.id, perRound); },
      baseline: async () => {
        const port = spare.shift() as Port;
        await raw.leasedNic({ id: port.id, mac: port.mac_address }, bridge, net.mtu);
        await firstReply(qdhcp, port.fixed_ips[0]?.ip_address as string, 0.01, 30_000);
      },
      op: async (i) => {
        const t0 = performance.now();
        const id = await create(`bench-one-${i}`);
        created.push(id);
        const banner = bannerAt(kumo.home, id, `bench-one-${i}`, 30_000);
        const ip = ipv4((await pollServer(c, id, (s) => ipv4(s) !== undefined)).s) as string;
        const [active, reply] = await Promise.all([pollServer(c, id, (s) => s.status === 'ACTIVE'), firstReply(qdhcp, ip, 0.01, 30_000)]);
        return { [CREATE]: Math.max(active.at, reply) - t0, [METADATA]: await banner - t0 };
      },
    });
    rows.push(latencyRow(CREATE, seriesOf(single, CREATE), single.baseline, {
      suite: SUITE, target: { op: '<', value: 300 }, openstack: null,
      note: 'from POST /servers to both ACTIVE in the API and the first echo reply to its DHCP address from qdhcp-; baseline: the same plumbing by hand (netns, veth into the bridge, udhcpc lease, first reply)',
    }));
    rows.push(latencyRow(METADATA, seriesOf(single, METADATA), single.baseline, {
      suite: SUITE, target: null, openstack: null,
      note: 'from POST /servers to the guest\'s login banner, printed once it has read its hostname, key and user data from 169.254.169.254 (haproxy in qdhcp-, the metadata service\'s socket); baseline as above',
    }));

    // (d) Two idle instances of (a) on this host, against a bare veth–bridge–veth pair.
    if (hasIperf3()) rows.push(...await benchTcp(c, kumo.home, raw, created.slice(-2), net.mtu, o.rounds));
    else console.log('  (TCP throughput skipped: iperf3 is not installed; scripts/bench-deps.sh installs it as root)');

    // (b) 100 servers in one request, against 100 hand-made NICs at once; (c) their memory.
    const bulkRounds = Math.min(o.rounds, 3);
    const rawBulk: number[] = [];
    const bulk: number[] = [];
    const pss: number[] = [];
    const kernel: number[] = [];
    for (let r = 0; r < bulkRounds; r++) {
      const ports = await preparePorts(c, kumo.home, net.id, BULK);
      const t0 = performance.now();
      const namespaces = await Promise.all(ports.map(async (p) => {
        const ns = await raw.leasedNic({ id: p.id, mac: p.mac_address }, bridge, net.mtu);
        await firstReply(qdhcp, p.fixed_ips[0]?.ip_address as string, 0.05, 60_000);
        return ns;
      }));
      rawBulk.push(performance.now() - t0);
      for (const ns of namespaces) await raw.remove(ns);
      for (const p of ports) await c.call('DELETE', `${NET}/ports/${p.id}`);

      const kernelBefore = kernelKb();
      const prefix = `bench-bulk-${r}`;
      const b0 = performance.now();
      await c.call('POST', `${NOVA}/servers`, { server: { name: prefix, imageRef: image, flavorRef: '0', networks: [{ uuid: net.id }], min_count: BULK, max_count: BULK } });
      const watching = new Map<string, Promise<number>>();
      const activeAt = new Map<string, number>();
      let mine: Server[] = [];
      while (activeAt.size < BULK) {
        mine = (await c.call<{ servers: Server[] }>('GET', `${NOVA}/servers/detail`)).servers.filter((s) => s.name.startsWith(prefix));
        const failed = mine.find((s) => s.status === 'ERROR');
        if (failed) throw new Error(`server ${failed.id} went to ERROR: ${failed.fault?.message ?? ''}`);
        const now = performance.now();
        for (const s of mine) {
          const ip = ipv4(s);
          if (ip && !watching.has(s.id)) watching.set(s.id, firstReply(qdhcp, ip, 0.05, 120_000));
          if (s.status === 'ACTIVE' && !activeAt.has(s.id)) activeAt.set(s.id, now);
        }
        if (now - b0 > 180_000) throw new Error(`only ${activeAt.size} of ${BULK} ACTIVE after 180 s`);
        await sleep(100);
      }
      const replies = await Promise.all([...watching.entries()].map(async ([id, p]) => Math.max(await p, activeAt.get(id) as number)));
      bulk.push(Math.max(...replies) - b0);

      // (c) Idle: every instance has booted and answered; let DHCP and sshd settle.
      await sleep(3000);
      const files = new InstanceFiles(kumo.home);
      for (const s of mine) {
        const st = files.read(s.id);
        const pids = st?.cgroup ? groupPids(st.cgroup) : st ? await namespacePids(st.ns) : [];
        pss.push(pssKb(pids) / 1024);
      }
      kernel.push((kernelKb() - kernelBefore) / 1024 / BULK);
      await Promise.all(mine.map((s) => c.call('DELETE', `${NOVA}/servers/${s.id}`)));
      for (let waited = 0; (await c.call<{ servers: Server[] }>('GET', `${NOVA}/servers`)).servers.some((s) => s.name.startsWith(prefix)); waited += 200) {
        if (waited > 120_000) throw new Error('the bulk servers were not deleted within 120 s');
        await sleep(200);
      }
    }
    rows.push(latencyRow(`${BULK} servers at once → all ACTIVE and pingable`, series(bulk), series(rawBulk), {
      suite: SUITE, target: { op: '<', value: 20_000 }, openstack: null,
      note: `one POST /servers with min_count=max_count=${BULK}; baseline: ${BULK} hand-made NICs at once (netns, veth, udhcpc lease, first reply)`,
    }));
    const kernelShare = median(kernel);
    rows.push({
      suite: SUITE, name: 'memory per idle instance: processes (PSS)', unit: 'MB', median: median(pss), p90: percentile(pss, 90), n: pss.length,
      baseline: null, ratio: null, target: null, pass: null, openstack: null, roundMedians: [], cpuMs: null,
      note: 'init (sh), udhcpc, dropbear, sleep: smaps_rollup Pss, shared pages split among the instances',
    });
    rows.push({
      suite: SUITE, name: 'memory per idle instance: kernel objects', unit: 'MB', median: kernelShare, p90: null, n: kernel.length,
      baseline: null, ratio: null, target: null, pass: null, openstack: null, roundMedians: kernel, cpuMs: null,
      note: `(Slab + KernelStack + PageTables) after ${BULK} instances minus before, per instance; machine-wide, so other work on the machine adds noise`,
    });
    const total = median(pss) + Math.max(0, kernelShare);
    rows.push({
      suite: SUITE, name: 'memory per idle instance: total', unit: 'MB', median: total, p90: null, n: pss.length,
      baseline: null, ratio: null, target: { op: '<', value: 4 }, pass: total < 4, openstack: null, roundMedians: [], cpuMs: null,
    });
    return rows;
  } finally {
    await kumo.stop();
  }
}
