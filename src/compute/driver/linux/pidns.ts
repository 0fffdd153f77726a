/**
 * The processes of one instance: every process whose PID namespace is its init's (read from
 * /proc/<pid>/ns/pid), which is how pause reaches them all without matching any name.
 */
import { readdirSync, readlinkSync } from 'node:fs';

function pidNs(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

export function pidNamespaceMembers(initPid: number): number[] {
  const ns = pidNs(initPid);
  if (ns === null) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && pidNs(pid) === ns) out.push(pid);
  }
  return out;
}

/** SIGSTOP or SIGCONT to each member; a process that exited meanwhile is skipped. */
export function signalMembers(initPid: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const pid of pidNamespaceMembers(initPid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}
