/**
 * The real Debian OpenStack CLIs against Kumo in a child process, run as a user would: after
 * sourcing `$KUMO_HOME/keystonerc_<user>`, in a clean environment with its own HOME. Shared by
 * the seed replay tests.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeHome, startKumoProcess, type KumoProcess, type KumoProcessOptions } from './process.js';

export const NEUTRON = '/usr/bin/neutron';
export const OPENSTACK = '/usr/bin/openstack';

const clientsMissing = !existsSync(NEUTRON) || !existsSync(OPENSTACK);

/** Skipped (visibly) only when the clients are absent and the run said so; otherwise they must be there. */
export const cliSkip: string | false = clientsMissing && process.env.KUMO_TEST_SKIP_CLIENTS === '1'
  ? 'neutron/openstack CLIs not installed and KUMO_TEST_SKIP_CLIENTS=1' : false;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CliUser = 'admin' | 'demo';

/** A dict field of neutronclient's JSON output: JSON text, several dicts separated by newlines (or already a list). */
export function neutronDicts(value: unknown): Record<string, string>[] {
  return (Array.isArray(value) ? value : String(value).split('\n')).filter((v) => v !== '').map((v) => (typeof v === 'string' ? JSON.parse(v) : v));
}

/** Runs bash in a clean environment whose HOME is `home`: the exit code and both outputs, whatever the code. */
function bash(argv: readonly string[], home: string, cwd?: string): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
  return new Promise((resolve) => {
    execFile('bash', argv, { env, cwd, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Runs a shell line in the given environment: its stdout, or an error showing the line and both outputs. */
export function shellOk(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { env, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs a shell line (redirects and pipes included) after sourcing `<kumoHome>/keystonerc_<user>`,
 * in `work`, which is also its HOME: how the seeds' scripts call the clients.
 */
export function shellAs(kumoHome: string, work: string, user: CliUser, line: string): Promise<CliResult> {
  return bash(['-c', `source "${join(kumoHome, `keystonerc_${user}`)}" && ${line}`], work, work);
}

export class CliSession {
  private constructor(
    public kumo: KumoProcess,
    private readonly cliHome: string,
  ) {}

  static async start(options: KumoProcessOptions = {}): Promise<CliSession> {
    if (clientsMissing) throw new Error('the neutron/openstack CLIs are missing: run ../shared/tools/clients/install.sh (or set KUMO_TEST_SKIP_CLIENTS=1)');
    const kumo = await startKumoProcess(options);
    return new CliSession(kumo, mkdtempSync(join(tmpdir(), 'kumo-cli-home-')));
  }

  run(user: CliUser, program: string, args: readonly string[]): Promise<CliResult> {
    const argv = ['-c', 'source "$0" && exec "$@"', join(this.kumo.home, `keystonerc_${user}`), program, ...args];
    return bash(argv, this.cliHome);
  }

  /** Runs and asserts success; returns stdout. */
  async ok(user: CliUser, program: string, ...args: string[]): Promise<string> {
    const res = await this.run(user, program, args);
    assert.equal(res.code, 0, `${program} ${args.join(' ')} failed:\n${res.stderr}`);
    return res.stdout;
  }

  /** Runs with `-f json` and parses the answer. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async json<T = any>(user: CliUser, program: string, ...args: string[]): Promise<T> {
    return JSON.parse(await this.ok(user, program, ...args, '-f', 'json')) as T;
  }

  async stop(): Promise<void> {
    await this.kumo.kill('SIGTERM');
    removeHome(this.kumo.home);
    rmSync(this.cliHome, { recursive: true, force: true });
  }
}
