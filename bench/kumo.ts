/** Starts a throwaway Kumo child process for a benchmark suite: fresh KUMO_HOME under /tmp, a free loopback port, an admin token. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from './http.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ADMIN_PASSWORD = 'bench-secret';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => res(port));
    });
    server.on('error', rej);
  });
}

export function adminAuthBody(password = ADMIN_PASSWORD): unknown {
  return { auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
    scope: { project: { name: 'admin', domain: { id: 'default' } } },
  } };
}

/** KUMO_DATAPLANE for the child: the API figures are taken with the agent running, as `npm start` runs it. */
export type Dataplane = 'off' | 'fake' | 'linux';

export interface KumoOptions {
  /**
   * fake by default: the agent's passes (load, compile, diff) run in the API process as they
   * always do, but touch no kernel, so a bench needs no root and leaves nothing behind.
   */
  readonly dataplane?: Dataplane;
  /** Extra environment for the child (KUMO_LOG_LEVEL=debug to get per-request server times in the log). */
  readonly env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x'] (KUMO_BENCH_NODE_ARGS adds to them). */
  readonly nodeArgs?: readonly string[];
}

export interface Kumo {
  readonly home: string;
  readonly base: string;
  readonly client: Client;
  readonly projectId: string;
  readonly pid: number;
  /** CPU time of the cloud's main thread (event loop and SQLite) so far, in ms; NaN off Linux. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** /proc/<pid>/schedstat starts with the nanoseconds the task has run: a precise CPU clock. */
function threadCpuMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/**
 * Removes a stopped cloud's KUMO_HOME. Namespaces and dnsmasq outlive the process, and only
 * the record in KUMO_HOME says which are this cloud's, so `kumo down` runs before the home goes.
 */
export function removeHome(home: string): void {
  if (existsSync(join(home, 'dataplane', 'record'))) {
    spawnSync(process.execPath, ['dist/src/cli/main.js', 'down'], { cwd: ROOT, env: { ...process.env, KUMO_HOME: home }, stdio: 'ignore' });
  }
  if (!process.env.KUMO_BENCH_KEEP) rmSync(home, { recursive: true, force: true });
}

function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

/** Starts Kumo and returns once an admin project token is in hand. */
export async function startKumo(options: KumoOptions = {}): Promise<Kumo> {
  const home = mkdtempSync(join(tmpdir(), 'kumo-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stderr = openSync(join(home, 'stderr.log'), 'a');
  const extraNodeArgs = (process.env.KUMO_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...extraNodeArgs, 'dist/src/cli/main.js', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env, KUMO_HOME: home, KUMO_LISTEN: `127.0.0.1:${port}`, KUMO_ADMIN_PASSWORD: ADMIN_PASSWORD,
      KUMO_PROVISION_DEMO: '0', KUMO_DATAPLANE: options.dataplane ?? 'fake', ...options.env,
    },
    stdio: ['ignore', 'ignore', stderr],
  });
  const client = new Client(base);
  const stop = async () => {
    client.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitExit(child);
    removeHome(home);
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`kumo exited with ${child.exitCode}; see ${home}/stderr.log`);
      if (Date.now() > deadline) throw new Error('kumo did not answer within 60 s');
      try {
        const r = await client.raw('POST', '/v3/auth/tokens', adminAuthBody());
        if (r.status === 201) {
          client.token = String(r.headers['x-subject-token']);
          const projectId = (JSON.parse(r.text) as { token: { project: { id: string } } }).token.project.id;
          const pid = child.pid ?? 0;
          return { home, base, client, projectId, pid, cpuMs: () => threadCpuMs(pid), stop };
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
