/**
 * Pause and suspend on the Linux compute driver stop every process of the instance, and
 * unpause lets them run again (root only; skipped with the reason otherwise). The instance's
 * user data runs a busy loop; paused, that loop gets no CPU time at all; unpaused, it does.
 * With cgroup v2 the whole group is frozen at once (cgroup.freeze) and every process of the
 * instance is in it; without (cgroups turned off, as on a host with no writable cgroup2) each
 * process of its PID namespace is stopped with SIGSTOP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PowerState, type InstanceSpec } from '../src/compute/driver/driver.js';
import { LinuxComputeDriver } from '../src/compute/driver/linux/linux-driver.js';
import { pidNamespaceMembers } from '../src/compute/driver/linux/pidns.js';
import { cgroup2Mount, groupPids, isFrozen } from '../src/dataplane/linux/cgroup.js';
import { processArgv } from '../src/dataplane/linux/proc.js';
import { configDriveFiles } from '../src/metadata/config-drive.js';
import { sleep, waitFor } from './helpers/dataplane.js';
import { linuxHostSkip, prepareLinuxHost, type LinuxHost } from './helpers/linux-host.js';

const HOST = 'pause-host';
const BUSY = '#!/bin/sh\nwhile :; do :; done\n';

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(rest[11]) + Number(rest[12]);
}

for (const cgroups of [true, false]) {
  const skip = linuxHostSkip() || (cgroups && !cgroup2Mount() && 'no cgroup2 hierarchy is mounted here');
  describe(`compute linux: pause stops every process of the instance (${cgroups ? 'cgroup v2 freezer' : 'SIGSTOP, no cgroups'})`, { skip }, () => {
    let host: LinuxHost;
    let driver: LinuxComputeDriver;

    before(async () => {
      host = await prepareLinuxHost(HOST, 'kumo-pause-');
      driver = new LinuxComputeDriver({ home: host.home, imagesDir: `${host.home}/images`, cgroups });
    });

    after(async () => {
      await host?.teardown();
    });

    async function busyInstance(): Promise<{ spec: InstanceSpec; busy: number }> {
      const uuid = randomUUID();
      const spec: InstanceSpec = {
        uuid, name: `instance-${uuid.slice(0, 8)}`, host: HOST, hostname: 'busy', vcpus: 1, memoryMb: 64, rootGb: 1,
        imageRef: host.imageRef, keyData: null, userData: Buffer.from(BUSY).toString('base64'), adminPass: null, metadata: {},
        configDrive: configDriveFiles({
          uuid, id: 1, hostname: 'busy', name: 'busy', projectId: 'p', availabilityZone: 'nova', launchIndex: 0, reservationId: 'r-busy',
          imageId: host.imageRef, flavorName: 'm1.nano', key: null, userData: Buffer.from(BUSY), meta: {}, securityGroups: [], interfaces: [],
        }, { random: (n) => Buffer.alloc(n) }),
      };
      await driver.spawn(spec, []);
      const init = driver.files.read(uuid)?.init?.pid as number;
      const busy = await waitFor('the user-data loop', async () => pidNamespaceMembers(init).find((pid) => processArgv(pid)?.includes('/run/metadata/user-data')));
      return { spec, busy };
    }

    async function ticksOver(pid: number, ms: number): Promise<number> {
      const before = cpuTicks(pid);
      await sleep(ms);
      return cpuTicks(pid) - before;
    }

    it('pause and suspend stop the busy loop (no CPU time at all), unpause and resume restart it', async () => {
      const { spec, busy } = await busyInstance();
      const group = driver.files.read(spec.uuid)?.cgroup ?? null;
      if (cgroups) {
        assert.ok(group, 'the instance has a cgroup');
        const init = driver.files.read(spec.uuid)?.init?.pid as number;
        assert.deepEqual(pidNamespaceMembers(init).filter((pid) => !groupPids(group).includes(pid)), [], 'every process of the instance is in its group');
      } else {
        assert.equal(group, null);
      }
      assert.ok(await ticksOver(busy, 300) > 0, 'the loop runs');
      for (const [stop, go, state] of [['pause', 'unpause', PowerState.PAUSED], ['suspend', 'resume', PowerState.SUSPENDED]] as const) {
        await driver[stop](HOST, spec.uuid);
        assert.equal((await driver.instance(HOST, spec.uuid))?.powerState, state);
        if (group) assert.equal(isFrozen(group), true, 'the kernel reports the group frozen');
        assert.equal(await ticksOver(busy, 500), 0, `${stop}d: the loop gets no CPU time`);
        await driver[go](HOST, spec.uuid);
        assert.equal((await driver.instance(HOST, spec.uuid))?.powerState, PowerState.RUNNING);
        assert.ok(await ticksOver(busy, 300) > 0, `${go}d: the loop runs again`);
      }
      await driver.destroy(HOST, spec.uuid);
      if (group) assert.equal(groupPids(group).length, 0, 'the group is gone with the instance');
    });
  });
}
