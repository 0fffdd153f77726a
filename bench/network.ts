/**
 * Neutron benchmarks (issue 3, then issue 4's L3 figures on the same cloud): network create,
 * port create, the 1,000-port list and 8 clients creating ports, each against the baseline
 * GET / measured in the same rounds on the same Kumo child process.
 */
import { startKumo } from './kumo.js';
import type { Client } from './http.js';
import { closedLoop, latencyRounds, latencyRow, rateRow, seriesOf, type Row } from './measure.js';
import { benchL3 } from './network-l3.js';
import { NET, rootBaseline, type SuiteOptions } from './suite.js';

const SUITE = 'network';

async function createNetwork(c: Client, name: string): Promise<string> {
  return (await c.call<{ network: { id: string } }>('POST', `${NET}/networks`, { network: { name } })).network.id;
}

async function countPorts(c: Client): Promise<number> {
  return (await c.call<{ ports: unknown[] }>('GET', `${NET}/ports?fields=id`)).ports.length;
}

async function inParallel<T>(items: readonly T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

/** Bulk-creates ports until the whole cloud holds `total` (the list figure is for that many). */
async function fillPorts(c: Client, networkId: string, total: number, ids: string[]): Promise<void> {
  for (let have = await countPorts(c); have < total;) {
    const k = Math.min(100, total - have);
    const body = { ports: Array.from({ length: k }, (_, j) => ({ network_id: networkId, name: `bench-fill-${have + j}` })) };
    const r = await c.call<{ ports: { id: string }[] }>('POST', `${NET}/ports`, body);
    for (const p of r.ports) ids.push(p.id);
    have += r.ports.length;
  }
}

export async function benchNetwork(o: SuiteOptions): Promise<Row[]> {
  const kumo = await startKumo(o.kumo);
  const c = kumo.client;
  const rows: Row[] = [];
  try {
    // Unlimited quotas, as the shared api-latency script sets them, so 1,000+ ports fit.
    await c.call('PUT', `${NET}/quotas/${kumo.projectId}`, { quota: { network: -1, subnet: -1, port: -1, router: -1, floatingip: -1, security_group: -1, security_group_rule: -1 } });
    const baseline = rootBaseline(c);
    const cpu = () => kumo.cpuMs();

    // Network create. Each round's networks are deleted before the next (untimed), so the
    // VNI range and the network table stay the size a real project has.
    const nets: string[] = [];
    const dropNets = async () => { for (const id of nets.splice(0)) await c.call('DELETE', `${NET}/networks/${id}`, undefined, [204, 404]); };
    const netCreate = await latencyRounds('network create', {
      rounds: o.rounds, perRound: o.perRound, baseline, before: dropNets, cpu,
      op: async (i) => { nets.push(await createNetwork(c, `bench-net-${i}`)); },
    });
    await dropNets();
    rows.push(latencyRow('GET / (baseline)', netCreate.baseline, null, { suite: SUITE, target: null, openstack: null, cpu: netCreate.baselineCpu }));
    rows.push(latencyRow('network create', seriesOf(netCreate, 'network create'), netCreate.baseline, { suite: SUITE, target: { op: '<', value: 5 }, openstack: '49 ms', cpu: netCreate.opCpu }));

    // Port create on one network with a /16 (DHCP on, so its DHCP port exists as in Neutron).
    const networkId = await createNetwork(c, 'bench-ports');
    const subnetId = (await c.call<{ subnet: { id: string } }>('POST', `${NET}/subnets`, { subnet: { network_id: networkId, cidr: '10.200.0.0/16', ip_version: 4, name: 'bench-ports' } })).subnet.id;
    const portIds: string[] = [];
    const portCreate = await latencyRounds('port create', {
      rounds: o.rounds, perRound: o.perRound, baseline, cpu,
      op: async (i) => {
        const r = await c.call<{ port: { id: string } }>('POST', `${NET}/ports`, { port: { network_id: networkId, name: `bench-port-${i}` } });
        portIds.push(r.port.id);
      },
    });
    rows.push(latencyRow('port create', seriesOf(portCreate, 'port create'), portCreate.baseline, { suite: SUITE, target: { op: '<', value: 5 }, openstack: '131 ms', cpu: portCreate.opCpu }));

    // The list of all ports with 1,000 in the cloud (admin sees them all, as in the issue).
    await fillPorts(c, networkId, 1000, portIds);
    const present = await countPorts(c);
    const list = await latencyRounds('port list (1,000 ports)', {
      rounds: o.rounds, perRound: Math.max(3, Math.round(o.perRound / 4)), warmup: 2, baseline, cpu,
      op: async () => { await c.call('GET', `${NET}/ports`); },
    });
    rows.push(latencyRow('port list (1,000 ports)', seriesOf(list, 'port list (1,000 ports)'), list.baseline,
      { suite: SUITE, target: { op: '<', value: 25 }, openstack: '490 ms', cpu: list.opCpu, note: `${present} ports present` }));

    // L3 (issue 4) before the load test, so it sees the same 1,000-port cloud.
    rows.push(...await benchL3(c, o, baseline, cpu, { networkId, subnetId, portIds }));

    // 8 clients creating ports at once; the baseline is 8 clients asking GET / in the same round.
    const rates: number[] = [];
    const baseRates: number[] = [];
    const latencies: number[] = [];
    const cpuPerCreate: number[] = [];
    let errors = 0;
    let firstError: string | null = null;
    for (let r = 0; r < o.rounds; r++) {
      baseRates.push((await closedLoop(o.clients, Math.max(1, o.loadSeconds / 2), async () => { await baseline(); })).rate);
      const created: string[] = [];
      const c0 = cpu();
      const run = await closedLoop(o.clients, o.loadSeconds, async (cl, k) => {
        created.push((await c.call<{ port: { id: string } }>('POST', `${NET}/ports`, { port: { network_id: networkId, name: `bench-load-${r}-${cl}-${k}` } })).port.id);
      });
      cpuPerCreate.push((cpu() - c0) / Math.max(1, run.latencies.length));
      // Back to the 1,000-port cloud (untimed): port create reads the subnet's allocations, so
      // every round must start from the same population to be comparable.
      await inParallel(created, o.clients, async (id) => { await c.call('DELETE', `${NET}/ports/${id}`, undefined, [204, 404]); });
      rates.push(run.rate);
      latencies.push(...run.latencies);
      errors += run.errors;
      firstError ??= run.firstError;
    }
    rows.push(rateRow(`port create, ${o.clients} clients`, rates, baseRates, latencies, {
      suite: SUITE, target: { op: '>=', value: 500 }, openstack: '4.9/s', cpu: cpuPerCreate,
      note: errors ? `${errors} errors, first: ${firstError}` : `${o.loadSeconds} s per round`,
    }));
    return rows;
  } finally {
    await kumo.stop();
  }
}
