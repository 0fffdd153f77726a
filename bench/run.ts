/**
 * `npm run bench [-- SUITE...] [options]`: runs the benchmark suites (all by default) and prints
 * medians with their same-run baselines. Suites: identity, network, compute, api-latency, and
 * dataplane, floating-ip and security-groups (root only: real instances on the Linux data plane;
 * said and skipped otherwise).
 */
import { parseArgs } from 'node:util';
import { benchIdentity, type IdentityBenchResult } from './identity.js';
import { benchNetwork } from './network.js';
import { benchCompute } from './compute.js';
import { benchDataplane, dataplaneBenchUnavailable } from './dataplane.js';
import { benchFloatingIp } from './floating-ip.js';
import { benchSecurityGroups } from './security-groups.js';
import { runApiLatency } from './api-latency.js';
import { cpuPressure, load, machineState, printRows, writeJson } from './report.js';
import type { Row } from './measure.js';
import type { SuiteOptions } from './suite.js';
import type { Dataplane } from './kumo.js';

const SUITES = ['identity', 'network', 'compute', 'api-latency', 'dataplane', 'floating-ip', 'security-groups'] as const;
type Suite = typeof SUITES[number];

const USAGE = `usage: npm run bench -- [${SUITES.join('|')} ...] [options]
  --json FILE        also write every row (and the api-latency JSON path) to FILE
  --rounds N         rounds per figure (default 5; each round times the baseline, then the operation)
  --per-round N      timed calls per round (default 40; lists take a quarter)
  --load-seconds S   seconds per round of the 8-client load test (default 3)
  --clients N        clients of the load test (default 8)
  --quick            3 rounds of 15 calls, 2 s load rounds (a smoke run)
  --full             api-latency.mjs with its own defaults (about 200 iterations each) instead of quick mode
  --profile DIR      run each Kumo child under node --cpu-prof, profiles written to DIR
  --dataplane MODE   KUMO_DATAPLANE of the children: fake (default; the agent runs but touches no kernel), off, or linux (root; kumo down after)
  --debug-log        KUMO_LOG_LEVEL=debug in the children (per-request server times in $KUMO_HOME/logs) and keep their KUMO_HOME
The dataplane suite needs root and iperf3 (scripts/bench-deps.sh installs it); it always ends with kumo down.
Environment: KUMO_BENCH_RUNS (identity start-ups, default 5), KUMO_BENCH_NODE_ARGS (extra node flags for the children).`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'string' }, rounds: { type: 'string' }, 'per-round': { type: 'string' }, 'load-seconds': { type: 'string' },
    clients: { type: 'string' }, quick: { type: 'boolean' }, full: { type: 'boolean' }, profile: { type: 'string' },
    'debug-log': { type: 'boolean' }, dataplane: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = positionals.filter((p) => !(SUITES as readonly string[]).includes(p));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}
const suites: readonly Suite[] = positionals.length ? positionals as Suite[] : SUITES;
const num = (v: string | undefined, quick: number, normal: number) => (v !== undefined ? Number(v) : values.quick ? quick : normal);

if (values['debug-log']) process.env.KUMO_BENCH_KEEP = '1';
const dataplane = (values.dataplane ?? 'fake') as Dataplane;
if (!['off', 'fake', 'linux'].includes(dataplane)) {
  console.error(`--dataplane must be off, fake or linux\n${USAGE}`);
  process.exit(2);
}
const options: SuiteOptions = {
  rounds: num(values.rounds, 3, 5),
  perRound: num(values['per-round'], 15, 40),
  loadSeconds: num(values['load-seconds'], 2, 3),
  clients: num(values.clients, 8, 8),
  kumo: {
    dataplane,
    ...(values['debug-log'] ? { env: { KUMO_LOG_LEVEL: 'debug' } } : {}),
    ...(values.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] } : {}),
  },
};

/** The identity suite predates the common rows; its figures are mapped onto them with issue 2's targets. */
function identityRows(r: IdentityBenchResult): Row[] {
  const targets: Record<string, [Row['target'], string | null]> = {
    'npm start → first token (new KUMO_HOME)': [{ op: '<', value: 1500 }, '1.9 s + MariaDB'],
    'npm start → first token (existing KUMO_HOME)': [{ op: '<', value: 1500 }, '1.9 s + MariaDB'],
    'token validate': [{ op: '<', value: 1 }, '45 ms'],
    'token issue (password)': [{ op: '<', value: 240 }, '240 ms'],
  };
  return Object.entries(r).map(([name, x]) => {
    const [target, openstack] = targets[name] ?? [null, null];
    const pass = target ? x.p50 < target.value : null;
    return { suite: 'identity', name, unit: 'ms', median: x.p50, p90: x.p90 ?? null, n: x.n, baseline: x.baselineP50 ?? null, ratio: x.ratio ?? null, target, pass, openstack, roundMedians: [], cpuMs: null };
  });
}

const started = new Date().toISOString();
const loadStart = load();
const pressureStart = cpuPressure();
const rows: Row[] = [];
const extra: Record<string, unknown> = {};
for (const suite of suites) {
  const before = machineState();
  switch (suite) {
    case 'identity': {
      const runs = Number(process.env.KUMO_BENCH_RUNS ?? 5);
      const r = identityRows(await benchIdentity(runs, dataplane));
      printRows(`Identity (issue 2): ${runs} start-ups (Node start-up is the start baseline); latency medians over hundreds of calls`, r);
      rows.push(...r);
      break;
    }
    case 'network': {
      const r = await benchNetwork(options);
      printRows(`Network (issues 3 and 4): ${options.rounds} rounds x ${options.perRound} calls, data plane ${dataplane}; at the start: ${before}`, r);
      rows.push(...r);
      break;
    }
    case 'compute': {
      const r = await benchCompute(options);
      printRows(`Compute (issue 5, fake compute driver): ${options.rounds} rounds x ${options.perRound} calls, data plane ${dataplane}; at the start: ${before}`, r);
      rows.push(...r);
      break;
    }
    case 'dataplane': {
      const why = dataplaneBenchUnavailable();
      if (why) {
        console.log(`\nData plane (issue 6): skipped: ${why}`);
        break;
      }
      const r = await benchDataplane(options);
      printRows(`Data plane (issue 6, linux data plane and compute driver): ${options.rounds} rounds; at the start: ${before}`, r);
      rows.push(...r);
      break;
    }
    case 'floating-ip': {
      const r = await benchFloatingIp(options);
      if (r.length) printRows(`Floating IPs (issue 7, Linux data plane, real packets from the outside host): ${options.rounds} rounds; at the start: ${before}`, r);
      rows.push(...r);
      break;
    }
    case 'security-groups': {
      const r = await benchSecurityGroups(options);
      if (r.length) printRows(`Security groups (issue 7, Linux data plane, real instances): ${options.rounds} rounds; at the start: ${before}`, r);
      rows.push(...r);
      break;
    }
    case 'api-latency':
      extra.apiLatencyJson = await runApiLatency(Boolean(values.full), options.kumo);
      break;
  }
}

const missed = rows.filter((r) => r.pass === false);
console.log(`\n${missed.length ? `missed targets: ${missed.map((r) => r.name).join('; ')}` : 'every measured target met'}` +
  '\n(numbers on a shared 2-core machine are noisy: compare ratios across runs, and take the final figures on a quiet machine)');
if (values.json) writeJson(values.json, rows, { started, loadavgStart: loadStart, cpuPressureStart: pressureStart, suites, options: { ...options, kumo: undefined, dataplane }, ...extra });
