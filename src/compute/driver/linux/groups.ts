/**
 * Instances' cgroups: each instance's processes in a v2 group of their own
 * (`kumo-<home hash>/kumo-<home hash>-instance-%08x`), so pause and suspend freeze them all at
 * once through the cgroup freezer and a stopped instance leaves no straggler (cgroup.kill).
 * Both the parent and each group are recorded before they are made, so `kumo down` removes
 * exactly them. Without a usable cgroup2 hierarchy an instance has no group (null) and pause
 * falls back to SIGSTOP/SIGCONT of its PID namespace's members.
 */
import { join } from 'node:path';
import { createGroup, isFrozen, killGroup, removeGroup, setFrozen, usableParent } from '../../../dataplane/linux/cgroup.js';
import { processState } from '../../../dataplane/linux/proc.js';
import type { DataplaneRecord } from '../../../dataplane/record.js';
import { signalMembers } from './pidns.js';

export class InstanceGroups {
  private parent: string | null | undefined;
  /** Why instances get no group here (null while groups work or before the first try). */
  fallbackReason: string | null = null;

  /** `enabled` false: no groups at all, pause by signals (what a host without cgroup2 gets). */
  constructor(private readonly record: DataplaneRecord, private readonly hash: string, enabled = true) {
    if (!enabled) {
      this.parent = null;
      this.fallbackReason = 'instance cgroups turned off';
    }
  }

  private parentPath(): string | null {
    if (this.parent !== undefined) return this.parent;
    const name = `kumo-${this.hash}`;
    const found = usableParent(this.hash, (path) => this.record.noteCgroup({ name, path, kind: 'parent', host: null }));
    if ('why' in found) {
      this.record.forgetCgroup(name);
      this.fallbackReason = found.why;
      this.parent = null;
    } else {
      this.parent = found.path;
    }
    return this.parent;
  }

  /** The instance's group (made and recorded; kept if it exists), or null to use signals. */
  ensure(name: string, host: string, existing: string | null | undefined): string | null {
    const path = existing ?? (this.parentPath() === null ? null : join(this.parentPath() as string, name));
    if (path === null) return null;
    this.record.noteCgroup({ name, path, kind: 'instance', host });
    createGroup(path);
    return path;
  }

  /** Pause or suspend (on) and their undoing: the freezer when the instance has a group. */
  async freeze(group: string | null, initPid: number, on: boolean): Promise<void> {
    if (group) await setFrozen(group, on);
    else await signalMembers(initPid, on ? 'SIGSTOP' : 'SIGCONT');
  }

  /** What the kernel says: the group frozen, or (signals) the init stopped. */
  frozen(group: string | null, initPid: number): boolean {
    return group ? isFrozen(group) : processState(initPid) === 'T';
  }

  /** Thaws a frozen group so its init can run its halt trap. */
  async thaw(group: string | null): Promise<void> {
    if (group && isFrozen(group)) await setFrozen(group, false);
  }

  /** Kills whatever is left in the group (nothing, after a clean halt). */
  async empty(group: string | null): Promise<void> {
    if (group) await killGroup(group);
  }

  async remove(name: string, group: string | null): Promise<void> {
    if (!group) return;
    await killGroup(group);
    await removeGroup(group);
    this.record.forgetCgroup(name);
  }
}
