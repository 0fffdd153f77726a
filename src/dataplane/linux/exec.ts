/**
 * The one way the data plane runs a host command: argv only (never a shell, so no value from
 * the API can become syntax), a timeout that kills a hung command, stdin for `-batch -`, and an
 * error that says what ran and what it printed.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Written to the command's stdin, then closed. */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Exit codes that are not failures (e.g. `kill -0` style probes). */
  readonly okCodes?: readonly number[];
  /** Extra environment variables (the rest is inherited). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(readonly argv: readonly string[], readonly result: RunResult | null, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** /usr/sbin and /sbin hold ip, bridge, dnsmasq; a non-login root shell may not have them. */
const PATH = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).join(':');

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, PATH, LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError(argv, null, `${argv.join(' ')}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (timedOut) return reject(new CommandError(argv, result, `${argv.join(' ')}: timed out`));
      if (code === 0 || (code !== null && options.okCodes?.includes(code))) return resolve(result);
      const why = signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new CommandError(argv, result, `${argv.join(' ')}: ${why}: ${(stderr || stdout).trim().slice(0, 2000)}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and parses stdout as JSON (`ip -j`, `bridge -j`, `nft -j`); empty output is []. */
export async function runJson<T>(argv: readonly string[], options: RunOptions = {}): Promise<T> {
  const { stdout } = await run(argv, options);
  const text = stdout.trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}
