/**
 * Starting and stopping an instance's init. The init runs detached from Kumo (its own session,
 * console.log as stdout and stderr), so instances outlive a Kumo restart; Kumo finds it again by
 * the PID and start time recorded in state.json and by the marker in its argv, never by name.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { isSameProcess, processArgv, processStartTime, signalVerified } from '../../../dataplane/linux/proc.js';
import type { ProcessRef } from './state.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** /usr/sbin holds nsenter and unshare on some systems. */
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Launch {
  readonly bootScript: string;
  readonly instanceDir: string;
  readonly lowerDir: string;
  readonly netnsPath: string;
  readonly consoleLog: string;
  readonly marker: string;
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * nsenter joins the instance's network namespace, unshare makes the new mount, UTS and PID
 * namespaces and forks PID 1, which runs boot.sh and execs the image's init. Resolves with
 * PID 1 as the host sees it once it runs /sbin/init (the marker is in its argv).
 */
export async function launch(l: Launch, timeoutMs = 10_000): Promise<ProcessRef> {
  const out = openSync(l.consoleLog, 'a');
  let waiter: number | undefined;
  try {
    const child = spawn('nsenter', [`--net=${l.netnsPath}`, '--', 'unshare', '--mount', '--uts', '--pid', '--fork', '--propagation', 'private', '--',
      '/bin/sh', l.bootScript, 'inner', l.instanceDir, l.lowerDir, l.marker], {
      detached: true, stdio: ['ignore', out, out], env: { PATH, LC_ALL: 'C', HOME: '/root', TERM: 'linux' },
    });
    child.on('error', () => undefined);
    child.unref();
    waiter = child.pid;
  } finally {
    closeSync(out);
  }
  if (waiter === undefined) throw new Error('could not start the instance (nsenter/unshare missing?)');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const pid of children(waiter)) {
      const argv = processArgv(pid);
      const start = processStartTime(pid);
      if (argv && start !== null && argv.some((a) => a === l.marker) && argv.some((a) => a.endsWith('/sbin/init'))) return { pid, startTime: start };
    }
    if (processStartTime(waiter) === null) break;
    await sleep(5);
  }
  let tail = '';
  try {
    tail = readFileSync(l.consoleLog, 'utf8').split('\n').slice(-5).join('\n');
  } catch {
    // No console output at all.
  }
  signalVerified({ pid: waiter, startTime: null, marker: l.bootScript }, 'SIGKILL');
  throw new Error(`instance init did not start: ${tail.trim() || 'no output'}`);
}

export function alive(ref: ProcessRef | null, marker: string): boolean {
  return ref !== null && isSameProcess({ pid: ref.pid, startTime: ref.startTime, marker });
}

/** TERM (the init's halt trap), then KILL after the grace period; PID 1 dying ends its namespace. */
export async function halt(ref: ProcessRef, marker: string, graceMs = 3000): Promise<void> {
  const id = { pid: ref.pid, startTime: ref.startTime, marker };
  if (!isSameProcess(id)) return;
  // A stopped (paused) init cannot run its trap: wake it first.
  signalVerified(id, 'SIGCONT');
  signalVerified(id, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processStartTime(ref.pid) === ref.startTime) await sleep(20);
  if (processStartTime(ref.pid) === ref.startTime) signalVerified(id, 'SIGKILL');
  for (let i = 0; i < 250 && processStartTime(ref.pid) === ref.startTime; i++) await sleep(20);
}
