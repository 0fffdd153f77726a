/**
 * Where a Linux instance lives on the host and what is known about it: one directory per
 * instance under `$KUMO_HOME/instances/<uuid>/` (overlay upper/work, the mount point, the
 * config drive, console.log) and its state.json, written atomically. The state file, not memory,
 * is the truth, so a restarted Kumo adopts running instances instead of recreating them.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NicState {
  readonly portId: string;
  readonly mac: string;
  readonly slot: number;
  readonly tap: string;
  readonly mtu: number;
  /** The port's network (absent in older state files): its bridge is brq<network id[:11]>. */
  readonly networkId?: string;
}

/** A process Kumo started, identified beyond its PID (PIDs are reused). */
export interface ProcessRef {
  readonly pid: number;
  readonly startTime: number;
}

export interface InstanceState {
  readonly uuid: string;
  readonly name: string;
  readonly host: string;
  readonly ns: string;
  readonly hostNs: string;
  readonly imageId: string;
  readonly nics: readonly NicState[];
  /** The next PCI-like slot a hot-plugged NIC takes; never reused while the instance lives. */
  readonly nextSlot: number;
  /** PID 1 of the instance's PID namespace, as the host sees it; null while stopped. */
  readonly init: ProcessRef | null;
  /** Set while paused or suspended (processes stopped). */
  readonly frozen: 'paused' | 'suspended' | null;
  /** The instance's cgroup v2 directory; null (or absent in older state files) where pause uses signals. */
  readonly cgroup?: string | null;
}

export class InstanceFiles {
  constructor(readonly home: string) {}

  get root(): string {
    return join(this.home, 'instances');
  }

  dir(uuid: string): string {
    return join(this.root, uuid);
  }

  consoleLog(uuid: string): string {
    return join(this.dir(uuid), 'console.log');
  }

  read(uuid: string): InstanceState | null {
    try {
      return JSON.parse(readFileSync(join(this.dir(uuid), 'state.json'), 'utf8')) as InstanceState;
    } catch {
      return null;
    }
  }

  write(state: InstanceState): void {
    const dir = this.dir(state.uuid);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.state.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, join(dir, 'state.json'));
  }

  all(): InstanceState[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.flatMap((n) => {
      const s = this.read(n);
      return s ? [s] : [];
    });
  }
}

/** The marker in PID 1's argv (`/bin/sh /sbin/init kumo-instance=<uuid>`), checked before any signal. */
export const initMarker = (uuid: string): string => `kumo-instance=${uuid}`;
