/**
 * Kumo as a real child process (`node dist/src/cli/main.js start`), exactly what `npm start`
 * runs, on a free loopback port with its own KUMO_HOME: for end-to-end and crash tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface KumoProcessOptions {
  /** Reuse a home (for restarts); a new temporary one otherwise. */
  readonly home?: string;
  /** Listen on this port (for restarts); a free one otherwise. */
  readonly port?: number;
  /** Extra KUMO_* settings. Nothing from the test runner's own KUMO_* environment leaks in. */
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

export interface KumoProcess {
  readonly pid: number;
  readonly home: string;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly authUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** The generated keystonerc_admin, as `KEY -> value` (shell quoting undone). */
  adminRc(): Readonly<Record<string, string>>;
  /** Sends the signal to this process only, and resolves once it has exited. */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

// Children still running when the test process exits are killed, so a failed test leaves
// no server behind.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Parses `export NAME='value'` lines as a POSIX shell would for the quoting rc files use. */
export function parseRc(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1]) continue;
    const raw = match[2] ?? '';
    vars[match[1]] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll(`'\\''`, "'") : raw;
  }
  return vars;
}

function childEnv(home: string, port: number, extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('KUMO_') && !key.startsWith('OS_')) env[key] = value;
  }
  // No first-start demo provisioning unless a test asks for it (KUMO_PROVISION_DEMO=1), and no
  // data-plane agent (it would leave kernel objects behind) unless a test asks (KUMO_DATAPLANE).
  return { ...env, KUMO_HOME: home, KUMO_LISTEN: `127.0.0.1:${port}`, KUMO_PROVISION_DEMO: '0', KUMO_DATAPLANE: 'off', ...extra };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v3`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function launch(home: string, port: number, options: KumoProcessOptions): Promise<KumoProcess | 'port-taken'> {
  const child = spawn(process.execPath, [MAIN, 'start'], { env: childEnv(home, port, options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  // Ready means the banner is out: it is printed only after the catalog and the rc files are
  // written, whereas the port answers a little earlier.
  while (!/Kumo is up/.test(output) || !(await answers(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/EADDRINUSE/.test(output) && options.port === undefined) return 'port-taken';
      throw new Error(`kumo exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited(child);
      throw new Error(`kumo did not start within the timeout:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    pid: child.pid as number,
    home,
    port,
    url,
    authUrl: `${url}/v3`,
    output: () => output,
    adminRc: () => parseRc(readFileSync(join(home, 'keystonerc_admin'), 'utf8')),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, signal);
      await exited(child);
    },
  };
}

/** Starts Kumo and waits until it serves requests; rejects with its output if it cannot. */
export async function startKumoProcess(options: KumoProcessOptions = {}): Promise<KumoProcess> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'kumo-proc-'));
  // A free port can be taken by a parallel test before Kumo binds it: then try another.
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await launch(home, options.port ?? (await freePort()), options);
    if (started !== 'port-taken') return started;
  }
  throw new Error('no free port found for kumo after 5 attempts');
}

/** Deletes a home made by startKumoProcess (the process must be stopped first). */
export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}
