/**
 * The processes of one instance: every process whose PID namespace is its init's (read from
 * /proc/<pid>/ns/pid), which is how pause reaches them all without matching any name.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { processState } from '../../../dataplane/linux/proc.js';

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

/**
 * SIGSTOP or SIGCONT to each member (one that exited meanwhile is skipped), then waits until the
 * kernel shows them all stopped (T) or all running again: a signal is delivered asynchronously.
 */
export async function signalMembers(initPid: number, signal: 'SIGSTOP' | 'SIGCONT', timeoutMs = 5000): Promise<void> {
  const members = pidNamespaceMembers(initPid);
  for (const pid of members) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
  const done = (pid: number) => {
    const state = processState(pid);
    return state === null || (signal === 'SIGSTOP') === (state === 'T');
  };
  const deadline = Date.now() + timeoutMs;
  while (!members.every(done)) {
    if (Date.now() > deadline) throw new Error(`processes of the instance did not ${signal === 'SIGSTOP' ? 'stop' : 'continue'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
