/**
 * Identity benchmarks (issue: foundation): time from `npm start` to the first token, token
 * issue and token validate latency. Each figure is a median of several runs and is reported
 * with a baseline measured in the same run on the same machine: Node's own start-up for the
 * start time, and the unauthenticated version document (GET /) for the API calls.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, timeMany } from './stats.js';
import { ADMIN_PASSWORD, ROOT, freePort, removeHome, startKumo, type Dataplane } from './kumo.js';

const PASSWORD = ADMIN_PASSWORD;

function authBody(): string {
  return JSON.stringify({ auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: PASSWORD } } },
    scope: { project: { name: 'admin', domain: { id: 'default' } } },
  } });
}

async function issue(base: string): Promise<string> {
  const res = await fetch(`${base}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: authBody() });
  if (res.status !== 201) throw new Error(`token issue: ${res.status}`);
  await res.arrayBuffer();
  return res.headers.get('x-subject-token') as string;
}

/** Spawns a command and measures until the first token is issued (or the process exits). */
async function timeToFirstToken(command: string, args: string[], home: string, dataplane: Dataplane): Promise<number> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const start = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, KUMO_HOME: home, KUMO_LISTEN: `127.0.0.1:${port}`, KUMO_ADMIN_PASSWORD: PASSWORD, KUMO_PROVISION_DEMO: '0', KUMO_DATAPLANE: dataplane },
    stdio: 'ignore',
    // Its own process group: npm runs bash runs node, and SIGTERM to npm alone leaves the
    // cloud running (orphaned, still holding its port and state directory).
    detached: true,
  });
  let exited = false;
  child.on('exit', () => { exited = true; });
  try {
    for (;;) {
      if (exited) throw new Error(`${command} exited before answering`);
      try {
        await issue(base);
        return performance.now() - start;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  } finally {
    await stopGroup(child.pid ?? 0);
  }
}

/** SIGTERM to the whole process group, then wait until every member (the cloud too) is gone. */
async function stopGroup(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (pgid <= 0 || !alive()) return;
  process.kill(-pgid, 'SIGTERM');
  for (let waited = 0; alive(); waited += 20) {
    if (waited > 15_000) process.kill(-pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function nodeStartup(): Promise<number> {
  const start = performance.now();
  await new Promise((r) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).once('exit', r));
  return performance.now() - start;
}

export interface IdentityBenchResult {
  readonly [name: string]: { readonly p50: number; readonly p90?: number; readonly n: number; readonly baselineP50?: number; readonly ratio?: number };
}

export async function benchIdentity(runs = 5, dataplane: Dataplane = 'fake'): Promise<IdentityBenchResult> {
  const result: Record<string, { p50: number; p90?: number; n: number; baselineP50?: number; ratio?: number }> = {};
  const nodeBase: number[] = [];
  const firstStart: number[] = [];
  const resume: number[] = [];
  for (let i = 0; i < runs; i++) {
    const home = mkdtempSync(join(tmpdir(), 'kumo-bench-'));
    try {
      nodeBase.push(await nodeStartup());
      firstStart.push(await timeToFirstToken('npm', ['start', '--silent'], home, dataplane));
      resume.push(await timeToFirstToken('npm', ['start', '--silent'], home, dataplane));
    } finally {
      removeHome(home);
    }
  }
  const nb = median(nodeBase);
  result['npm start → first token (new KUMO_HOME)'] = { p50: median(firstStart), n: runs, baselineP50: nb, ratio: median(firstStart) / nb };
  result['npm start → first token (existing KUMO_HOME)'] = { p50: median(resume), n: runs, baselineP50: nb, ratio: median(resume) / nb };

  // API latency against one running cloud (started as the other suites start theirs: it waits
  // for the first token as long as a loaded machine needs, where a fixed 4 s wait did not).
  const kumo = await startKumo({ dataplane });
  const base = kumo.base;
  const token = kumo.client.token;
  try {
    const baseline = await timeMany(500, async () => { await (await fetch(`${base}/`)).arrayBuffer(); });
    const validate = await timeMany(500, async () => {
      const res = await fetch(`${base}/v3/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } });
      if (res.status !== 200) throw new Error(`validate: ${res.status}`);
      await res.arrayBuffer();
    });
    const issued = await timeMany(30, async () => { await issue(base); }, 2);
    const b = median(baseline);
    result['GET / (baseline)'] = { p50: b, p90: percentile(baseline, 90), n: baseline.length };
    result['token validate'] = { p50: median(validate), p90: percentile(validate, 90), n: validate.length, baselineP50: b, ratio: median(validate) / b };
    result['token issue (password)'] = { p50: median(issued), p90: percentile(issued, 90), n: issued.length, baselineP50: b, ratio: median(issued) / b };
  } finally {
    await kumo.stop();
  }
  return result;
}
