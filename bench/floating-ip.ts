/**
 * Floating IP benchmark (issue 7, root only): on a Kumo child with the Linux data plane and the
 * first-start provisioning (public, private, router1), one cirros server on `private` answers
 * ping; each timed call associates a floating IP with it and waits for the first echo reply the
 * sandboxed outside host gets from the server through that address (ttl 62: the server answers
 * two routers away, not router1 holding the address). A `busybox ping -i 0.01` runs on the
 * outside host for the whole suite, so the figure has 10 ms resolution. Before each call the
 * floating IP is disassociated and silent again (untimed). The same-round baseline is GET /.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { homeHash, outsideNamespace } from '../src/dataplane/names.js';
import { linuxUnavailable } from '../src/dataplane/select.js';
import type { Client } from './http.js';
import { startKumo } from './kumo.js';
import { latencyRounds, latencyRow, seriesOf, type Row } from './measure.js';
import { NET, NOVA, rootBaseline, type SuiteOptions } from './suite.js';
import { until } from './until.js';

const SUITE = 'floating-ip';
const ASSOCIATE_TO_PING = 'floating IP associate → first ping answered by the server';
const ASSOCIATE_TO_ACTIVE = 'floating IP associate → status ACTIVE';

/** Echo replies from the server (ttl 62) as they arrive, with their arrival times. */
class Pinger {
  private child: ChildProcess;
  lastReply = 0;

  constructor(ns: string, ip: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-i', '0.01', '-W', '1', ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (/ttl=62\b/.test(d)) this.lastReply = performance.now();
    });
  }

  // Our own child, by its PID.
  stop(): void {
    this.child.kill('SIGKILL');
  }
}

export async function benchFloatingIp(o: SuiteOptions): Promise<Row[]> {
  const why = linuxUnavailable();
  if (why) {
    console.log(`floating-ip: skipped (${why}; it needs the Linux data plane)`);
    return [];
  }
  const kumo = await startKumo({ ...o.kumo, dataplane: 'linux', env: { ...o.kumo?.env, KUMO_PROVISION_DEMO: '1' } });
  const c: Client = kumo.client;
  let pinger: Pinger | null = null;
  try {
    const first = async <T>(path: string, key: string): Promise<T> => ((await c.call<Record<string, T[]>>('GET', path))[key] as T[])[0] as T;
    const privateNet = await first<{ id: string }>(`${NET}/networks?name=private`, 'networks');
    const publicNet = await first<{ id: string }>(`${NET}/networks?name=public`, 'networks');
    const sg = await first<{ id: string }>(`${NET}/security-groups?name=default&project_id=${kumo.projectId}`, 'security_groups');
    await c.call('POST', `${NET}/security-group-rules`, { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'icmp' } });
    const image = await first<{ id: string }>('/image/v2/images?name=cirros', 'images');
    const server = (await c.call<{ server: { id: string } }>('POST', `${NOVA}/servers`, {
      server: { name: 'bench-fip', flavorRef: '0', imageRef: image.id, networks: [{ uuid: privateNet.id }] },
    })).server.id;
    await until('server ACTIVE', async () => (await c.call<{ server: { status: string } }>('GET', `${NOVA}/servers/${server}`)).server.status === 'ACTIVE', 120_000, 200);
    const port = await first<{ id: string }>(`${NET}/ports?device_id=${server}`, 'ports');
    const fip = (await c.call<{ floatingip: { id: string; floating_ip_address: string } }>('POST', `${NET}/floatingips`, {
      floatingip: { floating_network_id: publicNet.id },
    })).floatingip;
    const status = async () => (await c.call<{ floatingip: { status: string } }>('GET', `${NET}/floatingips/${fip.id}`)).floatingip.status;
    pinger = new Pinger(outsideNamespace(homeHash(kumo.home)), fip.floating_ip_address);
    const p = pinger;
    // The guest takes its address by DHCP after boot: the first association waits for that.
    await c.call('PUT', `${NET}/floatingips/${fip.id}`, { floatingip: { port_id: port.id } });
    await until('the server answering at its floating IP', () => p.lastReply > 0, 60_000, 50);

    const result = await latencyRounds(ASSOCIATE_TO_PING, {
      rounds: o.rounds, perRound: Math.max(3, Math.round(o.perRound / 8)), warmup: 1, baseline: rootBaseline(c), cpu: kumo.cpuMs,
      op: async () => {
        await c.call('PUT', `${NET}/floatingips/${fip.id}`, { floatingip: { port_id: null } });
        await until('floating IP DOWN', async () => (await status()) === 'DOWN', 10_000, 20);
        // Silent for longer than the pinger's interval and any reply in flight.
        await until('no more replies', () => performance.now() - p.lastReply > 300, 10_000, 20);
        const t0 = performance.now();
        await c.call('PUT', `${NET}/floatingips/${fip.id}`, { floatingip: { port_id: port.id } });
        let active = 0;
        await until('ACTIVE and answered', async () => {
          if (!active && (await status()) === 'ACTIVE') active = performance.now() - t0;
          return active > 0 && p.lastReply > t0;
        }, 10_000, 5);
        return { [ASSOCIATE_TO_PING]: p.lastReply - t0, [ASSOCIATE_TO_ACTIVE]: active };
      },
    });
    return [
      latencyRow(ASSOCIATE_TO_PING, seriesOf(result, ASSOCIATE_TO_PING), result.baseline, { suite: SUITE, target: { op: '<', value: 1000 }, openstack: null, cpu: result.opCpu }),
      latencyRow(ASSOCIATE_TO_ACTIVE, seriesOf(result, ASSOCIATE_TO_ACTIVE), result.baseline, { suite: SUITE, target: null, openstack: null }),
    ];
  } finally {
    pinger?.stop();
    await kumo.stop();
  }
}
