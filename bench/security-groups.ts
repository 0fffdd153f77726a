/**
 * Security-group benchmarks (issue 7, root only): two cirros servers on one host of a Kumo child
 * with the Linux data plane.
 *  (a) TCP throughput (iperf3, one stream, run in the servers' network namespaces) with both
 *      ports in a group of 100 ingress rules (the one that admits iperf3 last), against the same
 *      ports in a group of 1 rule in the same round (the cost of rules), and that against port
 *      security off (the cost of br_netfilter and conntrack themselves);
 *  (b) rule change → effect: from POST of a rule opening a TCP port to the first connection
 *      accepted through it (a client in the other server retrying every few ms), against the
 *      same-round GET / baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { homeHash, instanceNamespace } from '../src/dataplane/names.js';
import { run } from '../src/dataplane/linux/exec.js';
import { linuxUnavailable } from '../src/dataplane/select.js';
import { tcpThroughput } from './dataplane-kernel.js';
import type { Client } from './http.js';
import { startKumo } from './kumo.js';
import { latencyRounds, latencyRow, seriesOf, type Row } from './measure.js';
import { median } from './stats.js';
import { NET, NOVA, rootBaseline, type SuiteOptions } from './suite.js';
import { sleep, until } from './until.js';

const SUITE = 'security-groups';
const RULES = 100;
const CHANGE = 'security-group rule create → first TCP connection through it';
const PROBE_PORT = 7000;

/** Connects every 10 ms (each attempt given up after 10 ms) until one succeeds; prints Date.now() of that. */
const PROBE = `const net=require('net');const [ip,port]=process.argv.slice(1);
const attempt=()=>{const s=net.connect(Number(port),ip);const t=setTimeout(()=>{s.destroy();attempt();},10);
s.on('connect',()=>{clearTimeout(t);console.log(Date.now());process.exit(0);});s.on('error',()=>{clearTimeout(t);setTimeout(attempt,5);});};attempt();`;

const LISTEN = `require('net').createServer((s)=>s.end()).listen(${PROBE_PORT});`;

export async function benchSecurityGroups(o: SuiteOptions): Promise<Row[]> {
  const why = linuxUnavailable();
  if (why) {
    console.log(`security-groups: skipped (${why}; it needs the Linux data plane)`);
    return [];
  }
  const kumo = await startKumo({ ...o.kumo, dataplane: 'linux', env: { ...o.kumo?.env, KUMO_PROVISION_DEMO: '0' } });
  const c: Client = kumo.client;
  const children: ChildProcess[] = [];
  try {
    await c.call('PUT', `${NET}/quotas/${kumo.projectId}`, { quota: { security_group_rule: -1 } });
    const net = (await c.call<{ network: { id: string } }>('POST', `${NET}/networks`, { network: { name: 'bench-sg' } })).network;
    await c.call('POST', `${NET}/subnets`, { subnet: { network_id: net.id, cidr: '10.88.0.0/24', ip_version: 4 } });
    const group = (await c.call<{ security_group: { id: string } }>('POST', `${NET}/security-groups`, { security_group: { name: 'bench-100-rules' } })).security_group;
    // 99 rules that do not match iperf3's port, then the one that does: a new connection walks them all.
    for (let i = 0; i < RULES - 1; i++) {
      await c.call('POST', `${NET}/security-group-rules`, { security_group_rule: {
        security_group_id: group.id, direction: 'ingress', protocol: 'tcp', port_range_min: 10000 + i, port_range_max: 10000 + i, remote_ip_prefix: `192.0.2.${i + 1}/32` } });
    }
    const iperfRule = { direction: 'ingress', protocol: 'tcp', port_range_min: 5201, port_range_max: 5201 };
    await c.call('POST', `${NET}/security-group-rules`, { security_group_rule: { security_group_id: group.id, ...iperfRule } });
    const single = (await c.call<{ security_group: { id: string } }>('POST', `${NET}/security-groups`, { security_group: { name: 'bench-1-rule' } })).security_group;
    const singleRule = (await c.call<{ security_group_rule: { id: string } }>('POST', `${NET}/security-group-rules`, { security_group_rule: { security_group_id: single.id, ...iperfRule } })).security_group_rule.id;
    const hundredMarker = `192.0.2.1 `;
    const image = ((await c.call<{ images: { id: string }[] }>('GET', '/image/v2/images?name=cirros')).images[0] as { id: string }).id;
    const ids: string[] = [];
    for (const name of ['bench-sg-1', 'bench-sg-2']) {
      ids.push((await c.call<{ server: { id: string } }>('POST', `${NOVA}/servers`, {
        server: { name, flavorRef: '0', imageRef: image, networks: [{ uuid: net.id }], security_groups: [{ name: 'bench-100-rules' }] },
      })).server.id);
    }
    const servers = await Promise.all(ids.map((id) => until(`server ${id} ACTIVE`, async () => {
      const s = (await c.call<{ server: Record<string, string> }>('GET', `${NOVA}/servers/${id}`)).server;
      if (s.status === 'ERROR') throw new Error(`server ${id} ERROR`);
      return s.status === 'ACTIVE' && s;
    }, 180_000, 200)));
    const ports = await Promise.all(ids.map(async (id) => ((await c.call<{ ports: { id: string; fixed_ips: { ip_address: string }[] }[] }>('GET', `${NET}/ports?device_id=${id}`)).ports[0]) as { id: string; fixed_ips: { ip_address: string }[] }));
    const ns = servers.map((s) => instanceNamespace(homeHash(kumo.home), s['OS-EXT-SRV-ATTR:instance_name'] as string));
    const ips = ports.map((p) => p.fixed_ips[0]?.ip_address as string);
    const [nsA, nsB] = ns as [string, string];
    const [, ipB] = ips as [string, string];
    await Promise.all(ns.map((n, i) => until('guest address', async () => (await run(['ip', '-n', n, '-4', '-o', 'addr'])).stdout.includes(`${ips[i]}/`), 60_000, 100)));

    type Mode = 'off' | 'one' | 'hundred';
    const setSecurity = async (mode: Mode) => {
      for (const p of ports) {
        await c.call('PUT', `${NET}/ports/${p.id}`, { port: mode === 'off' ? { security_groups: [], port_security_enabled: false }
          : { port_security_enabled: true, security_groups: [mode === 'one' ? single.id : group.id] } });
      }
      const hostNs = `kumo-${homeHash(kumo.home)}-host-`;
      // Applied once the host's firewall lists the ports with the chosen group's rules (or not at all).
      await until('firewall applied', async () => {
        const hosts = (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] as string).filter((n) => n.startsWith(hostNs));
        const listing = (await Promise.all(hosts.map((h) => run(['ip', 'netns', 'exec', h, 'nft', 'list', 'ruleset'], { okCodes: [1] })))).map((r) => r.stdout).join('\n');
        if (mode === 'off') return ports.every((p) => !listing.includes(`ingress-${p.id}`));
        return ports.every((p) => listing.includes(`ingress-${p.id}`)) && listing.includes(singleRule) === (mode === 'one') && listing.includes(hundredMarker) === (mode === 'hundred');
      }, 20_000, 50);
    };

    // (a) Throughput with 100 rules against 1 rule and against no firewall, within each round.
    const seconds = o.rounds <= 3 ? 2 : 3;
    const bps: Record<Mode, number[]> = { off: [], one: [], hundred: [] };
    for (let r = 0; r < o.rounds; r++) {
      for (const mode of ['off', 'one', 'hundred'] as const) {
        await setSecurity(mode);
        bps[mode].push(await tcpThroughput(nsB, ipB, nsA, seconds));
      }
    }
    const gbit = (list: number[]) => list.map((b) => b / 1e9);
    const ratio = (a: number[], b: number[]) => a.map((x, i) => x / (b[i] as number));
    const perRule = ratio(bps.hundred, bps.one);
    const perFirewall = ratio(bps.one, bps.off);
    const note = `iperf3, one stream, ${seconds} s per round in the servers' namespaces; the three settings alternate within each round`;
    const rows: Row[] = [{
      suite: SUITE, name: `TCP instance → instance, ${RULES} rules per port`, unit: 'Gbit/s', median: median(gbit(bps.hundred)), p90: null, n: bps.hundred.length,
      baseline: median(gbit(bps.one)), ratio: median(perRule), target: null, pass: null, openstack: null, roundMedians: gbit(bps.hundred), cpuMs: null,
      note: `${note}; baseline: the same ports in a group with 1 rule`,
    }, {
      suite: SUITE, name: `TCP with ${RULES} rules / with 1 rule`, unit: '%', median: median(perRule) * 100, p90: null, n: perRule.length,
      baseline: null, ratio: null, target: { op: '>=', value: 90 }, pass: median(perRule) * 100 >= 90, openstack: null, roundMedians: perRule.map((x) => x * 100), cpuMs: null,
    }, {
      suite: SUITE, name: 'TCP with the firewall (1 rule) / port security off', unit: '%', median: median(perFirewall) * 100, p90: null, n: perFirewall.length,
      baseline: null, ratio: null, target: null, pass: null, openstack: null, roundMedians: perFirewall.map((x) => x * 100), cpuMs: null,
      note: `br_netfilter and conntrack on the bridge path (DESIGN.md measured ~70%); no firewall: ${median(gbit(bps.off)).toFixed(2)} Gbit/s`,
    }];
    await setSecurity('hundred');

    // (b) Rule change to effect: a port closed, a client retrying, then the rule that opens it.
    children.push(spawn('ip', ['netns', 'exec', nsB, process.execPath, '-e', LISTEN], { stdio: 'ignore' }));
    let ruleId: string | null = null;
    const result = await latencyRounds(CHANGE, {
      rounds: o.rounds, perRound: Math.max(3, Math.round(o.perRound / 8)), warmup: 1, baseline: rootBaseline(c), cpu: kumo.cpuMs,
      op: async () => {
        if (ruleId) {
          await c.call('DELETE', `${NET}/security-group-rules/${ruleId}`);
          ruleId = null;
          await sleep(1500);
        }
        const probe = run(['ip', 'netns', 'exec', nsA, process.execPath, '-e', PROBE, ipB, String(PROBE_PORT)], { timeoutMs: 20_000 });
        await sleep(300);
        const t0 = Date.now();
        ruleId = (await c.call<{ security_group_rule: { id: string } }>('POST', `${NET}/security-group-rules`, { security_group_rule: {
          security_group_id: group.id, direction: 'ingress', protocol: 'tcp', port_range_min: PROBE_PORT, port_range_max: PROBE_PORT } })).security_group_rule.id;
        const at = Number((await probe).stdout.trim());
        return { [CHANGE]: at - t0 };
      },
    });
    rows.push(latencyRow(CHANGE, seriesOf(result, CHANGE), result.baseline, {
      suite: SUITE, target: { op: '<', value: 200 }, openstack: null, cpu: result.opCpu,
      note: 'from the POST to the first TCP connection accepted by the other server through the new rule (client retries every ~10 ms)',
    }));
    return rows;
  } finally {
    for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL');
    await kumo.stop();
  }
}
