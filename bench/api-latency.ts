/**
 * Runs the shared api-latency.mjs (the script that measured real OpenStack on this machine)
 * against a fresh Kumo child, saves its JSON under /tmp and prints its figures next to the
 * issues' real OpenStack ones. Quick mode by default; full mode uses the script's defaults.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ADMIN_PASSWORD, ROOT, startKumo, type KumoOptions } from './kumo.js';
import { machineState } from './report.js';

/** The shared script: next to the checkout (../shared), or next to the working directory when the bench runs from a private build. */
const SCRIPT_CANDIDATES = [ROOT, process.cwd()].map((dir) => resolve(dir, '..', 'shared', 'tools', 'bench', 'api-latency.mjs'));
export const API_LATENCY_SCRIPT = process.env.KUMO_API_LATENCY_SCRIPT ?? SCRIPT_CANDIDATES.find((p) => existsSync(p)) ?? SCRIPT_CANDIDATES[0] as string;

/** A few minutes at most against Kumo; enough iterations for a stable p50. */
const QUICK = ['--iterations', '30', '--list-iterations', '10', '--server-iterations', '20', '--list-ports', '1000', '--duration', '5'];

/** What real OpenStack (Debian's packages) measured on this machine, from issues 2-5. */
const OPENSTACK: Readonly<Record<string, string>> = {
  'keystone.token_issue': '240 ms', 'keystone.token_validate': '45 ms', 'network.create': '49 ms', 'port.create': '131 ms',
  'port.list': '490 ms', 'port.create x8': '4.9/s', 'router.add_interface': '431 ms', 'floatingip.create': '289 ms',
  'floatingip.associate': '326 ms', 'compute.server_create': '155 ms', 'compute.server_list_detail': '69 ms',
};

interface ScriptRow { op: string; n: number; errors: number; p50_ms: number | null; p90_ms: number | null; ops_per_s: number | null; note?: string; first_error?: string }

export async function runApiLatency(full: boolean, kumoOptions: KumoOptions = {}, extraArgs: readonly string[] = []): Promise<string> {
  if (!existsSync(API_LATENCY_SCRIPT)) throw new Error(`${API_LATENCY_SCRIPT} not found (set KUMO_API_LATENCY_SCRIPT)`);
  const out = `/tmp/kumo-api-latency-${full ? 'full' : 'quick'}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const kumo = await startKumo(kumoOptions);
  try {
    const args = [API_LATENCY_SCRIPT, '--ext-physnet', 'physnet1', '--out', out, ...(full ? [] : QUICK), ...extraArgs];
    const env = {
      ...process.env, OS_AUTH_URL: `${kumo.base}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: ADMIN_PASSWORD, OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
    };
    const code = await new Promise<number>((res, rej) => {
      const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
      child.on('error', rej);
      child.on('exit', (c) => res(c ?? 1));
    });
    if (code !== 0) throw new Error(`api-latency.mjs exited with ${code}`);
  } finally {
    await kumo.stop();
  }
  printComparison(out);
  return out;
}

function printComparison(file: string): void {
  const rows = (JSON.parse(readFileSync(file, 'utf8')) as { results: ScriptRow[] }).results;
  console.log(`\napi-latency.mjs against Kumo vs real OpenStack on this machine (JSON: ${file}; ${machineState()})`);
  console.log(`${'op'.padEnd(28)}  ${'Kumo p50'.padStart(10)}  ${'Kumo p90'.padStart(10)}  ${'ops/s'.padStart(8)}  ${'OpenStack'.padStart(10)}`);
  for (const r of rows) {
    const ref = OPENSTACK[r.op];
    if (!ref) continue;
    const cell = (x: number | null) => (x === null ? '' : `${x.toFixed(1)} ms`).padStart(10);
    console.log(`${r.op.padEnd(28)}  ${cell(r.p50_ms)}  ${cell(r.p90_ms)}  ${String(r.ops_per_s ?? '').padStart(8)}  ${ref.padStart(10)}${r.errors ? `  (${r.errors} errors: ${r.first_error ?? ''})` : ''}`);
  }
}
