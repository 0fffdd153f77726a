/**
 * Processes by recorded PID, never by name: a PID is only signalled when /proc still shows the
 * same process (its start time) and its command line carries the recorded marker (a pid-file
 * path under this KUMO_HOME), so a recycled PID or someone else's dnsmasq is never touched.
 */
import { readFileSync } from 'node:fs';
import { readTextOrNull } from '../../util/files.js';

/** Field 22 of /proc/<pid>/stat (clock ticks since boot), or null when there is no such process. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return null;
    const start = Number(rest[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

/** The state letter of /proc/<pid>/stat (R, S, T for stopped, Z...), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** The parent PID (field 4 of /proc/<pid>/stat), or null when the process is gone. */
export function processParent(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isFinite(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** The process's argv, or null when it is gone. */
export function processArgv(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, a) => !(s === '' && i === a.length - 1));
  } catch {
    return null;
  }
}

export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: number | null;
  readonly marker: string;
}

/** True when the PID is still the process we started: same start time, marker in its argv. */
export function isSameProcess(p: ProcessIdentity): boolean {
  const start = processStartTime(p.pid);
  if (start === null) return false;
  if (p.startTime !== null && start !== p.startTime) return false;
  const argv = processArgv(p.pid);
  return argv !== null && argv.some((a) => a.includes(p.marker));
}

/** The PID a pid file names when that process is alive and its argv carries the marker, else null. */
export function verifiedPidFromFile(pidFile: string, marker: string): number | null {
  const text = readTextOrNull(pidFile)?.trim() ?? '';
  if (!/^\d+$/.test(text)) return null;
  const pid = Number(text);
  return isSameProcess({ pid, startTime: null, marker }) ? pid : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a signal if (and only if) the PID is still ours; false when it is not. */
export function signalVerified(p: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(p)) return false;
  try {
    process.kill(p.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopVerified(p: ProcessIdentity, graceMs = 2000): Promise<void> {
  const start = processStartTime(p.pid);
  if (!signalVerified(p, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (processStartTime(p.pid) !== start) return;
    await sleep(20);
  }
  signalVerified({ ...p, startTime: start }, 'SIGKILL');
  for (let i = 0; i < 100 && processStartTime(p.pid) === start; i++) await sleep(20);
}
