/**
 * Nova benchmarks (issue 5) with the fake driver: server create accepted (202), BUILD → ACTIVE
 * as a client polling the server sees it, and the detail list of 1,000 servers, each against the
 * same-round GET / baseline on one Kumo child process.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Client } from './http.js';
import { startKumo, type Kumo } from './kumo.js';
import { latencyRounds, latencyRow, seriesOf, type Row } from './measure.js';
import { NET, NOVA, rootBaseline, type SuiteOptions } from './suite.js';
import { sleep } from './until.js';

const SUITE = 'compute';
const SERVERS_LISTED = 1000;

interface Server { readonly id: string; readonly status: string; readonly fault?: { message: string } }

/**
 * A 2-core host admits 32 m1.nano servers (Nova's 16× vCPU ratio) and its disk a few hundred:
 * too few for a 1,000-server list. The bench raises the capacity the bench host recorded in
 * its own throwaway store, so every server is scheduled and becomes ACTIVE with a port.
 */
function enlargeHost(home: string): void {
  const db = new Database(join(home, 'kumo.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('UPDATE hosts SET vcpus = ?, memory_mb = ?, disk_gb = ?').run(4096, 4 << 20, 1 << 20);
  } finally {
    db.close();
  }
}

/** Lifts the bench project's network and compute quotas and enlarges its host, so every server the suite boots fits. */
export async function roomForServers(kumo: Kumo): Promise<void> {
  await kumo.client.call('PUT', `${NET}/quotas/${kumo.projectId}`, { quota: { network: -1, subnet: -1, port: -1 } });
  await kumo.client.call('PUT', `${NOVA}/os-quota-sets/${kumo.projectId}`, { quota_set: { instances: -1, cores: -1, ram: -1 } });
  enlargeHost(kumo.home);
}

async function poll(c: Client, id: string, until: (s: Server) => boolean): Promise<Server> {
  for (;;) {
    const s = (await c.call<{ server: Server }>('GET', `${NOVA}/servers/${id}`)).server;
    if (s.status === 'ERROR') throw new Error(`server ${id} went to ERROR: ${s.fault?.message ?? ''}`);
    if (until(s)) return s;
    // A short gap, so polling does not starve the lifecycle it waits for on the same 2 cores.
    await sleep(1);
  }
}

/** Creates servers with `parallel` clients until `total` exist, then waits until none is building. */
async function fillServers(c: Client, create: (name: string) => Promise<string>, total: number, parallel: number): Promise<{ active: number; error: number }> {
  const have = (await c.call<{ servers: unknown[] }>('GET', `${NOVA}/servers`)).servers.length;
  let next = have;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < total) await create(`bench-fill-${next++}`);
  }));
  for (;;) {
    const servers = (await c.call<{ servers: Server[] }>('GET', `${NOVA}/servers/detail`)).servers;
    const count = (st: string) => servers.filter((s) => s.status === st).length;
    if (count('BUILD') === 0) return { active: count('ACTIVE'), error: count('ERROR') };
    await sleep(500);
  }
}

export async function benchCompute(o: SuiteOptions): Promise<Row[]> {
  const kumo = await startKumo(o.kumo);
  const c = kumo.client;
  const rows: Row[] = [];
  try {
    await roomForServers(kumo);
    const net = (await c.call<{ network: { id: string } }>('POST', `${NET}/networks`, { network: { name: 'bench-servers' } })).network.id;
    await c.call('POST', `${NET}/subnets`, { subnet: { network_id: net, cidr: '10.100.0.0/16', ip_version: 4 } });
    const image = (await c.call<{ images: { id: string }[] }>('GET', '/image/v2/images?name=cirros')).images[0]?.id;
    if (!image) throw new Error('no cirros image in the bench cloud');
    const create = async (name: string) => (await c.call<{ server: { id: string } }>('POST', `${NOVA}/servers`,
      { server: { name, imageRef: image, flavorRef: '0', networks: [{ uuid: net }] } })).server.id;
    const baseline = rootBaseline(c);

    // One server at a time: the create is timed to its 202, then the client polls it until
    // ACTIVE, so the next create never overlaps an earlier build's background work.
    const lifecycle = await latencyRounds('server create (accepted)', {
      rounds: o.rounds, perRound: o.perRound, baseline, warmup: 3, cpu: () => kumo.cpuMs(),
      op: async (i) => {
        const t0 = performance.now();
        const id = await create(`bench-vm-${i}`);
        const accepted = performance.now() - t0;
        await poll(c, id, (s) => s.status === 'ACTIVE');
        return { 'server create (accepted)': accepted, 'server BUILD → ACTIVE': performance.now() - t0 };
      },
    });
    const delay = process.env.KUMO_COMPUTE_BUILD_DELAY_MS ?? '20';
    rows.push(latencyRow('GET / (baseline)', lifecycle.baseline, null, { suite: SUITE, target: null, openstack: null, cpu: lifecycle.baselineCpu }));
    rows.push(latencyRow('server create (accepted)', seriesOf(lifecycle, 'server create (accepted)'), lifecycle.baseline, { suite: SUITE, target: { op: '<', value: 10 }, openstack: '155 ms' }));
    rows.push(latencyRow('server BUILD → ACTIVE', seriesOf(lifecycle, 'server BUILD → ACTIVE'), lifecycle.baseline, {
      suite: SUITE, target: { op: '<', value: 50 }, openstack: null, cpu: lifecycle.opCpu,
      note: `from the create request to the first GET showing ACTIVE (polled every ~1 ms); includes the conductor's deliberate ${delay} ms wait before scheduling (KUMO_COMPUTE_BUILD_DELAY_MS); its CPU is the whole build with the polling GETs`,
    }));

    const filled = await fillServers(c, create, SERVERS_LISTED, 4);
    const list = await latencyRounds('server list detail (1,000 servers)', {
      rounds: o.rounds, perRound: Math.max(3, Math.round(o.perRound / 4)), warmup: 2, baseline, cpu: () => kumo.cpuMs(),
      op: async () => {
        const n = (await c.call<{ servers: unknown[] }>('GET', `${NOVA}/servers/detail`)).servers.length;
        if (n !== SERVERS_LISTED) throw new Error(`listed ${n} servers, expected ${SERVERS_LISTED}`);
      },
    });
    rows.push(latencyRow('server list detail (1,000 servers)', seriesOf(list, 'server list detail (1,000 servers)'), list.baseline, {
      suite: SUITE, target: { op: '<', value: 100 }, openstack: '69 ms (a few servers)', cpu: list.opCpu, note: `${filled.active} ACTIVE, ${filled.error} ERROR, one port each`,
    }));
    return rows;
  } finally {
    await kumo.stop();
  }
}
