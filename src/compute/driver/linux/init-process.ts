/**
 * Starting and stopping an instance's init. The init runs detached from Kumo (its own session,
 * console.log as stdout and stderr), so instances outlive a Kumo restart; Kumo finds it again by
 * the PID and start time recorded in state.json and by the marker in its argv, never by name.
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
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
  /** The instance's cgroup.procs: the launcher joins the group before it forks anything. */
  readonly cgroupProcs: string | null;
  /** The FIFO boot.sh waits at before it starts the guest (null: no wait). */
  readonly gate: string | null;
}

/**
 * Lets a boot.sh waiting at its gate go on: one line into the FIFO, written once boot.sh has
 * it open (until then the open fails with ENXIO, or ENOENT before boot.sh has made it).
 */
export async function openGate(gate: string, waiting: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && waiting()) {
    try {
      const fd = openSync(gate, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(fd, '\n');
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENXIO' && code !== 'ENOENT') throw err;
    }
    await sleep(2);
  }
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
 * PID 1 as the host sees it once it runs /sbin/init (the marker is in its argv). With a gate,
 * boot.sh makes its mounts while `ready` is pending and starts the guest once it resolves.
 */
export async function launch(l: Launch, ready: Promise<unknown> = Promise.resolve(), timeoutMs = 10_000): Promise<ProcessRef> {
  const out = openSync(l.consoleLog, 'a');
  let waiter: number | undefined;
  try {
    const argv = ['nsenter', `--net=${l.netnsPath}`, '--', 'unshare', '--mount', '--uts', '--pid', '--fork', '--propagation', 'private', '--',
      '/bin/sh', l.bootScript, 'inner', l.instanceDir, l.lowerDir, l.marker, ...(l.gate ? [l.gate] : [])];
    // The group is joined by the launcher itself (its PID, then exec): every process of the
    // instance is born inside it, none can escape by forking first.
    const full = l.cgroupProcs ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', l.cgroupProcs, ...argv] : argv;
    const child = spawn(full[0] as string, full.slice(1), {
      detached: true, stdio: ['ignore', out, out], env: { PATH, LC_ALL: 'C', HOME: '/root', TERM: 'linux' },
    });
    child.on('error', () => undefined);
    child.unref();
    waiter = child.pid;
  } finally {
    closeSync(out);
  }
  if (waiter === undefined) throw new Error('could not start the instance (nsenter/unshare missing?)');
  const launcher = waiter;
  await ready;
  if (l.gate) await openGate(l.gate, () => processStartTime(launcher) !== null);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const init = initAmong(children(waiter), l.marker);
    if (init) return init;
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

/** The instance's PID 1 among these processes: its argv is the image's init with the marker. */
function initAmong(pids: readonly number[], marker: string): ProcessRef | null {
  for (const pid of pids) {
    const argv = processArgv(pid);
    const start = processStartTime(pid);
    if (argv && start !== null && argv.some((a) => a === marker) && argv.some((a) => a.endsWith('/sbin/init'))) return { pid, startTime: start };
  }
  return null;
}

/**
 * An init already running in the instance's namespace that no state file names: a Kumo killed
 * between launching it and writing state.json leaves one. It is adopted, never started twice;
 * one still in boot.sh (the marker is in its argv too) is waited for.
 */
export async function findRunningInit(pidsInNamespace: () => Promise<number[]>, marker: string, gate: string, timeoutMs = 10_000): Promise<ProcessRef | null> {
  const deadline = Date.now() + timeoutMs;
  let opened = false;
  for (;;) {
    const pids = await pidsInNamespace();
    const init = initAmong(pids, marker);
    if (init) return init;
    const booting = pids.filter((pid) => processArgv(pid)?.includes(marker));
    if (booting.length === 0 || Date.now() > deadline) return null;
    // A boot.sh the crashed Kumo left waiting at its gate goes on now.
    if (!opened) await openGate(gate, () => booting.some((pid) => processStartTime(pid) !== null), 1000);
    opened = true;
    await sleep(20);
  }
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
  // PID 1 of a PID namespace ignores a signal from the host it has no handler for, and an init
  // still booting may not have installed its trap yet: TERM again until the grace period ends.
  const deadline = Date.now() + graceMs;
  let nextTerm = 0;
  while (Date.now() < deadline && processStartTime(ref.pid) === ref.startTime) {
    if (Date.now() >= nextTerm) {
      signalVerified(id, 'SIGTERM');
      nextTerm = Date.now() + 250;
    }
    await sleep(20);
  }
  if (processStartTime(ref.pid) === ref.startTime) signalVerified(id, 'SIGKILL');
  for (let i = 0; i < 250 && processStartTime(ref.pid) === ref.startTime; i++) await sleep(20);
}
