/**
 * Real-packet tools for the L3 tests: commands on the sandboxed outside host and in router
 * namespaces, commands inside instances (`kumo exec`), an OpenSSH client call that never asks
 * anything, and a TCP listener on the outside host that reports the source address each
 * connection arrives from (what SNAT made of it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../../src/dataplane/linux/exec.js';
import { homeHash, outsideNamespace } from '../../src/dataplane/names.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs argv in a namespace; a non-zero exit is returned, not thrown. */
export function inNamespace(ns: string, argv: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs, okCodes: [1, 2, 255] });
}

export function inOutside(home: string, argv: readonly string[], timeoutMs?: number): Promise<RunResult> {
  return inNamespace(outsideNamespace(homeHash(home)), argv, timeoutMs);
}

/** `kumo exec <server> -- argv` for the home (the guest's busybox tools). */
export function inServer(home: string, server: string, argv: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return run(['node', MAIN, 'exec', server, '--', ...argv], { timeoutMs, okCodes: [1, 2, 255], env: { KUMO_HOME: home } });
}

/**
 * The TTL of the answer to one ping of ip from the namespace (busybox ping), or 0 when none
 * came: it tells who answered (each router on the way back takes one off the guest's 64).
 */
export async function pingTtl(ns: string, ip: string): Promise<number> {
  const r = await inNamespace(ns, ['busybox', 'ping', '-c', '1', '-W', '1', ip]);
  return /1 packets received/.test(r.stdout) ? Number(/ttl=(\d+)/.exec(r.stdout)?.[1] ?? -1) : 0;
}

export async function pings(ns: string, ip: string): Promise<boolean> {
  return (await pingTtl(ns, ip)) > 0;
}

/** `ssh -i key user@host cmd` with OpenSSH, non-interactive, no host key bookkeeping. */
export function sshArgv(key: string, user: string, host: string, command: string): string[] {
  return ['ssh', '-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', '-o', 'IdentitiesOnly=yes', `${user}@${host}`, command];
}

const LISTENER = `
const net = require('node:net');
const server = net.createServer((s) => { process.stdout.write(s.remoteAddress + '\\n'); s.end('hello\\n'); });
server.listen(Number(process.argv[1]), '0.0.0.0', () => process.stdout.write('listening\\n'));
`;

export interface SourceListener {
  /** Resolves with the source address of the next connection. */
  next(timeoutMs?: number): Promise<string>;
  stop(): void;
}

/** A TCP listener in a namespace that reports each connection's source address. */
export async function sourceListener(ns: string, port: number): Promise<SourceListener> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTENER, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen: string[] = [];
  const waiters: ((a: string) => void)[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let i: number;
      while ((i = buffered.indexOf('\n')) >= 0) {
        const row = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (row === 'listening') resolve();
        else {
          const w = waiters.shift();
          if (w) w(row);
          else seen.push(row);
        }
      }
    });
  });
  return {
    next(timeoutMs = 10_000) {
      const ready = seen.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no connection reached the listener')), timeoutMs);
        waiters.push((a) => {
          clearTimeout(t);
          resolve(a);
        });
      });
    },
    // Our own child, by its PID.
    stop: () => { child.kill('SIGKILL'); },
  };
}

export interface PersistentPing {
  /** performance.now() of the last echo reply with this TTL (0: none yet). */
  lastReply(): number;
  stop(): void;
}

/**
 * One long-running `busybox ping` (one ICMP id, so one conntrack flow the whole time) from the
 * namespace, noting when replies with the given TTL arrive.
 */
export function persistentPing(ns: string, ip: string, ttl: number, intervalSeconds = 0.1): PersistentPing {
  const child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-i', String(intervalSeconds), '-W', '1', ip], { stdio: ['ignore', 'pipe', 'ignore'] });
  let last = 0;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    if (new RegExp(`ttl=${ttl}\\b`).test(d)) last = performance.now();
  });
  // Our own child, by its PID.
  return { lastReply: () => last, stop: () => { child.kill('SIGKILL'); } };
}
