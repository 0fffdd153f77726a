/**
 * cgroup v2 groups for instances: one Kumo-owned parent per home (`kumo-<home hash>`, under the
 * cgroup Kumo itself runs in, so the instances stay inside whatever limits Kumo was given) and
 * one child per instance. The freezer (`cgroup.freeze`) stops every process of the group at
 * once, and `cgroup.kill` ends them all, which signalling PIDs one by one cannot do atomically.
 * Where no writable cgroup2 hierarchy exists (or it has no freezer), `usableParent` says so
 * and callers fall back to signals. Only paths this module created (and the record holds) are
 * ever written to or removed.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The mount point of the cgroup2 hierarchy (pure v2: /sys/fs/cgroup; hybrid: often /sys/fs/cgroup/unified). */
export function cgroup2Mount(): string | null {
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  for (const row of info.split('\n')) {
    // mountinfo: id parent major:minor root mount-point options [optional...] - fstype source super-options
    const [left, right] = row.split(' - ');
    if (!left || !right || right.split(' ')[0] !== 'cgroup2') continue;
    const point = left.split(' ')[4];
    if (point) return point.replace(/\\040/g, ' ');
  }
  return null;
}

/** This process's own cgroup v2 path (the `0::` line of /proc/self/cgroup). */
function ownPath(): string | null {
  try {
    const row = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
    return row ? row.slice(3) : null;
  } catch {
    return null;
  }
}

/**
 * The parent for this home's instance groups, created if needed (`note` records its path
 * first), or the reason there is none: no cgroup2, not writable, or no v2 freezer (before 5.2).
 */
export function usableParent(hash: string, note: (path: string) => void): { path: string } | { why: string } {
  const mount = cgroup2Mount();
  if (!mount) return { why: 'no cgroup2 hierarchy is mounted' };
  const own = ownPath();
  if (own === null) return { why: 'this process has no cgroup v2 path' };
  const path = join(mount, own, `kumo-${hash}`);
  note(path);
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    return { why: `cannot create ${path}: ${(err as Error).message}` };
  }
  if (!existsSync(join(path, 'cgroup.freeze'))) {
    rmdirSync(path);
    return { why: `${path} has no cgroup.freeze (kernel before 5.2)` };
  }
  return { path };
}

export function createGroup(path: string): void {
  mkdirSync(path, { recursive: true });
}

/** The processes in the group (empty when it is gone). */
export function groupPids(path: string): number[] {
  try {
    return readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function events(path: string): Record<string, string> {
  try {
    return Object.fromEntries(readFileSync(join(path, 'cgroup.events'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  } catch {
    return {};
  }
}

export function isFrozen(path: string): boolean {
  return events(path).frozen === '1';
}

export function isPopulated(path: string): boolean {
  return events(path).populated === '1';
}

/** Freezes or thaws the whole group and waits until the kernel reports it done. */
export async function setFrozen(path: string, frozen: boolean, timeoutMs = 5000): Promise<void> {
  writeFileSync(join(path, 'cgroup.freeze'), frozen ? '1' : '0');
  const deadline = Date.now() + timeoutMs;
  // An empty group is never reported frozen: there is nothing to wait for.
  while (isPopulated(path) && isFrozen(path) !== frozen) {
    if (Date.now() > deadline) throw new Error(`${path} did not ${frozen ? 'freeze' : 'thaw'} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Every process of the group, SIGKILLed at once (cgroup.kill, Linux 5.14+, or one by one). */
export async function killGroup(path: string, timeoutMs = 5000): Promise<void> {
  if (!existsSync(path) || !isPopulated(path)) return;
  if (existsSync(join(path, 'cgroup.kill'))) {
    writeFileSync(join(path, 'cgroup.kill'), '1');
  } else {
    for (const pid of groupPids(path)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    if (isFrozen(path)) writeFileSync(join(path, 'cgroup.freeze'), '0');
  }
  const deadline = Date.now() + timeoutMs;
  while (isPopulated(path) && Date.now() < deadline) await sleep(10);
}

/** Removes an empty group; a group already gone is success. */
export async function removeGroup(path: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      rmdirSync(path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY while the last processes are still being reaped.
      if (code !== 'EBUSY' || Date.now() > deadline) throw err;
      await sleep(10);
    }
  }
}

/** memory.current of the group in bytes, when the memory controller is enabled for it. */
export function memoryCurrent(path: string): number | null {
  try {
    return Number(readFileSync(join(path, 'memory.current'), 'utf8').trim());
  } catch {
    return null;
  }
}
