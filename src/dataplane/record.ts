/**
 * The record of every kernel object and process the data plane made for one KUMO_HOME: what
 * `kumo down` removes, and all it removes. One small file per object under
 * `$KUMO_HOME/dataplane/record/` (created and deleted atomically, so several agents of one home
 * never race on a shared file). A namespace is noted BEFORE it is created and forgotten only
 * after it is gone, so a crash in between leaves a record of something that may exist, never
 * an object nobody recorded. Processes are recorded by PID and start time, and instances'
 * cgroups by path (noted before mkdir too). Everything else Kumo creates lives inside these
 * namespaces and goes with them.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type NamespaceKind = 'host' | 'fabric' | 'dhcp' | 'router' | 'upstream' | 'outside' | 'instance' | 'test';

export interface RecordedNamespace {
  readonly name: string;
  /** The host (agent) that owns it; the fabric belongs to the home, not to one host. */
  readonly host: string | null;
  readonly kind: NamespaceKind;
  readonly createdAt: string;
}

export interface RecordedProcess {
  readonly pid: number;
  /** /proc/<pid>/stat starttime: a recycled PID has another, so a stale record never kills a stranger. */
  readonly startTime: number;
  readonly namespace: string;
  readonly purpose: string;
  /** A path the process's command line must contain (its pid file), checked before any signal. */
  readonly marker: string;
}

export interface RecordedCgroup {
  /** The group's directory name: the home's prefix, then what it holds. */
  readonly name: string;
  /** Its full path under the cgroup2 mount. */
  readonly path: string;
  /** An instance's group, or the home's parent of them (removed last, once empty). */
  readonly kind: 'instance' | 'parent';
  readonly host: string | null;
}

/**
 * A link Kumo made in the root namespace: only opt-in host access's one veth (issue 7). Noted
 * before it is created, forgotten once deleted, like a namespace.
 */
export interface RecordedRootLink {
  readonly name: string;
  readonly purpose: string;
  readonly createdAt: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

export class DataplaneRecord {
  readonly dir: string;

  constructor(readonly home: string) {
    this.dir = join(home, 'dataplane', 'record');
  }

  private write(sub: string, key: string, value: unknown): void {
    if (!NAME.test(key)) throw new Error(`record: bad key ${JSON.stringify(key)}`);
    const dir = join(this.dir, sub);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${key}.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    renameSync(tmp, join(dir, `${key}.json`));
  }

  private read<T>(sub: string): T[] {
    let files: string[];
    try {
      files = readdirSync(join(this.dir, sub));
    } catch {
      return [];
    }
    const out: T[] = [];
    for (const f of files.filter((n) => n.endsWith('.json')).sort()) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, sub, f), 'utf8')) as T);
      } catch {
        // A torn write cannot happen (rename is atomic); an unreadable file is skipped, not fatal.
      }
    }
    return out;
  }

  noteNamespace(name: string, host: string | null, kind: NamespaceKind): void {
    this.write('netns', name, { name, host, kind, createdAt: new Date().toISOString() } satisfies RecordedNamespace);
  }

  forgetNamespace(name: string): void {
    rmSync(join(this.dir, 'netns', `${name}.json`), { force: true });
  }

  namespaces(): RecordedNamespace[] {
    return this.read<RecordedNamespace>('netns');
  }

  noteRootLink(name: string, purpose: string): void {
    this.write('link', name, { name, purpose, createdAt: new Date().toISOString() } satisfies RecordedRootLink);
  }

  forgetRootLink(name: string): void {
    rmSync(join(this.dir, 'link', `${name}.json`), { force: true });
  }

  rootLinks(): RecordedRootLink[] {
    return this.read<RecordedRootLink>('link');
  }

  noteProcess(p: RecordedProcess): void {
    this.write('proc', String(p.pid), p);
  }

  forgetProcess(pid: number): void {
    rmSync(join(this.dir, 'proc', `${pid}.json`), { force: true });
  }

  processes(): RecordedProcess[] {
    return this.read<RecordedProcess>('proc');
  }

  noteCgroup(c: RecordedCgroup): void {
    this.write('cgroup', c.name, c);
  }

  forgetCgroup(name: string): void {
    rmSync(join(this.dir, 'cgroup', `${name}.json`), { force: true });
  }

  cgroups(): RecordedCgroup[] {
    return this.read<RecordedCgroup>('cgroup');
  }
}
