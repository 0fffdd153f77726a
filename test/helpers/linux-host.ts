/**
 * A local host for the Linux compute driver without a whole cloud: a temporary KUMO_HOME, the
 * cirros image built by scripts/build-cirros.sh as one Glance image file, and the host
 * namespace the agent would make on its first pass. Teardown removes everything the home
 * recorded and checks that no namespace, process, cgroup or mount is left and the root
 * namespace is as it was.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../../src/agent/compile.js';
import { scopeOf } from '../../src/agent/agent.js';
import { diff } from '../../src/dataplane/diff.js';
import { LinuxDataplane } from '../../src/dataplane/drivers/linux/driver.js';
import { homeHash } from '../../src/dataplane/names.js';
import { namespacePids } from '../../src/dataplane/linux/ip.js';
import { processArgv, processParent } from '../../src/dataplane/linux/proc.js';
import { leftoverNamespaces, processesMentioning, rootSkip } from './dataplane.js';
import { assertRootNetnsUnchanged, rootMounts, snapshotRootNetns } from './root-netns.js';

export const CIRROS_ROOTFS = fileURLToPath(new URL('../../../.cache/images/cirros-rootfs.tar', import.meta.url));

/** Why the Linux compute driver cannot run here (a visible skip reason), or false. */
export function linuxHostSkip(): string | false {
  const why = rootSkip();
  if (why) return why;
  if (!existsSync(CIRROS_ROOTFS)) return `the cirros image is not built (${CIRROS_ROOTFS}; run scripts/setup.sh as root)`;
  return false;
}

export interface LinuxHost {
  readonly home: string;
  readonly host: string;
  /** The Glance image id the cirros root filesystem is stored under. */
  readonly imageRef: string;
  /** Removes what the home recorded, then asserts nothing of it is left. */
  teardown(): Promise<void>;
}

export async function prepareLinuxHost(host: string, prefix = 'kumo-linux-host-'): Promise<LinuxHost> {
  const root = await snapshotRootNetns();
  const mounts = await rootMounts();
  const home = mkdtempSync(join(tmpdir(), prefix));
  const imageRef = randomUUID();
  mkdirSync(join(home, 'images'), { recursive: true });
  symlinkSync(CIRROS_ROOTFS, join(home, 'images', imageRef));
  const plan = compile({ hosts: [{ name: host, underlayIp: '100.64.0.1' }], networks: [], subnets: [], ports: [], dhcpHosts: new Map() }, {
    host, home, homeHash: homeHash(home), underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
  });
  const dataplane = new LinuxDataplane(home);
  await dataplane.apply(diff(plan, await dataplane.observe(scopeOf(plan))));
  return {
    home, host, imageRef,
    async teardown() {
      const groups = dataplane.record.cgroups().map((c) => c.path);
      await dataplane.teardown();
      assert.deepEqual(groups.filter((g) => existsSync(g)), [], 'teardown left cgroups');
      assert.deepEqual(await leftoverNamespaces(home), [], 'teardown left namespaces');
      assert.deepEqual(processesMentioning(home), [], 'teardown left processes');
      assert.deepEqual(await rootMounts(), mounts, 'mounts changed in the root mount namespace');
      await assertRootNetnsUnchanged(root, home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * The instance inits running in a namespace: processes whose argv is `.../sbin/init` (with the
 * instance's marker when given) and whose parent is not one of them. The cirros init is a shell
 * script, and a command substitution forks a subshell that shows the same argv until it execs;
 * counting those would see two inits where one runs.
 */
export async function instanceInits(ns: string, marker?: string): Promise<number[]> {
  const looksLikeInit = (pid: number): boolean => {
    const argv = processArgv(pid) ?? [];
    return argv.some((a) => a.endsWith('/sbin/init')) && (marker === undefined || argv.includes(marker));
  };
  const candidates = (await namespacePids(ns)).filter(looksLikeInit);
  const set = new Set(candidates);
  return candidates.filter((pid) => !set.has(processParent(pid) ?? -1));
}
