/**
 * The compute driver suite: what every driver must do, run against each driver: `fake` always,
 * `linux` as root (real containers on a real host namespace; skipped with its reason when not
 * root). KUMO_TEST_COMPUTE_DRIVERS=fake (or linux) narrows the list. The Linux run boots the
 * cirros image built by scripts/build-cirros.sh and, afterwards, checks that teardown left no
 * namespace, process, cgroup or mount behind and the root namespace as it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createDriver } from '../src/compute/driver/select.js';
import { InstanceNotFoundOnHost, PowerState, type ComputeDriver, type InstanceSpec, type Vif } from '../src/compute/driver/driver.js';
import { LinuxComputeDriver } from '../src/compute/driver/linux/linux-driver.js';
import { initMarker } from '../src/compute/driver/linux/state.js';
import { runJson } from '../src/dataplane/linux/exec.js';
import { waitFor } from './helpers/dataplane.js';
import { instanceInits, linuxHostSkip, prepareLinuxHost, type LinuxHost } from './helpers/linux-host.js';

const HOST = process.env.KUMO_TEST_COMPUTE_HOST || hostname();

interface Harness {
  readonly name: 'fake' | 'linux';
  readonly skip: string | false;
  /** Prepares the host (a home, the image, the host namespace) and returns the driver and the image id. */
  setUp(): Promise<{ driver: ComputeDriver; imageRef: string }>;
  /**
   * The instance as its guest sees it: NICs (`ens<slot> <mac>`) and how many inits run. Linux
   * reads the kernel (the instance's namespace, its processes); the fake can only echo itself.
   */
  guest(driver: ComputeDriver, uuid: string): Promise<{ nics: string[]; inits: number }>;
  tearDown(): Promise<void>;
}

function fakeHarness(): Harness {
  return {
    name: 'fake', skip: false,
    async setUp() { return { driver: createDriver({ KUMO_COMPUTE_DRIVER: 'fake' }), imageRef: randomUUID() }; },
    async guest(driver, uuid) {
      const inst = await driver.instance(HOST, uuid);
      return { nics: (inst?.interfaces ?? []).map((i) => `ens${i.slot} ${i.macAddress}`), inits: inst?.powerState === PowerState.RUNNING ? 1 : 0 };
    },
    async tearDown() {},
  };
}

function linuxHarness(): Harness {
  let host: LinuxHost | null = null;
  return {
    name: 'linux', skip: linuxHostSkip(),
    async setUp() {
      host = await prepareLinuxHost(HOST, 'kumo-compute-case-');
      return { driver: createDriver({ KUMO_COMPUTE_DRIVER: 'linux' }, { home: host.home, linuxDataplane: true }), imageRef: host.imageRef };
    },
    async guest(driver, uuid) {
      const ns = (driver as LinuxComputeDriver).files.read(uuid)?.ns as string;
      const links = await runJson<{ ifname: string; address: string }[]>(['ip', '-n', ns, '-j', 'link', 'show']);
      const inits = await instanceInits(ns, initMarker(uuid));
      return { nics: links.filter((l) => l.ifname.startsWith('ens')).map((l) => `${l.ifname} ${l.address}`), inits: inits.length };
    },
    async tearDown() {
      await host?.teardown();
    },
  };
}

const ONLY = (process.env.KUMO_TEST_COMPUTE_DRIVERS ?? '').split(',').map((d) => d.trim()).filter(Boolean);
const HARNESSES = [fakeHarness(), linuxHarness()].filter((h) => ONLY.length === 0 || ONLY.includes(h.name));

function vif(n: number): Vif {
  const portId = randomUUID();
  return {
    portId, networkId: randomUUID(), macAddress: `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`, mtu: 1450,
    devname: `tap${portId.slice(0, 11)}`, fixedIps: [{ subnetId: randomUUID(), ipAddress: `10.0.0.${n + 10}` }],
  };
}

for (const h of HARNESSES) {
  describe(`compute driver: ${h.name}`, { skip: h.skip }, () => {
    let driver: ComputeDriver;
    let imageRef: string;

    before(async () => {
      ({ driver, imageRef } = await h.setUp());
    });

    after(() => h.tearDown());

    function spec(uuid = randomUUID()): InstanceSpec {
      return {
        uuid, name: `instance-${uuid.slice(0, 8)}`, host: HOST, hostname: 'vm', vcpus: 1, memoryMb: 64, rootGb: 1,
        imageRef, keyData: null, userData: null, adminPass: null, metadata: {}, configDrive: null,
      };
    }

    async function spawned(vifs: Vif[] = [vif(1)]): Promise<InstanceSpec> {
      const s = spec();
      await driver.spawn(s, vifs);
      return s;
    }

    it('spawns a running instance with its interfaces in order, on slots from 3', async () => {
      const vifs = [vif(1), vif(2)];
      const s = await spawned(vifs);
      const inst = await driver.instance(HOST, s.uuid);
      assert.equal(inst?.powerState, PowerState.RUNNING);
      assert.deepEqual(inst?.interfaces.map((i) => [i.portId, i.macAddress, i.slot]), [[vifs[0]?.portId, vifs[0]?.macAddress, 3], [vifs[1]?.portId, vifs[1]?.macAddress, 4]]);
      assert.deepEqual(await h.guest(driver, s.uuid), { nics: [`ens3 ${vifs[0]?.macAddress}`, `ens4 ${vifs[1]?.macAddress}`], inits: 1 });
      assert.ok((await driver.instances(HOST)).some((i) => i.uuid === s.uuid));
      await driver.destroy(HOST, s.uuid);
    });

    it('completes an instance spawned twice (a spawn cut short by a restart) without a second init', async () => {
      const vifs = [vif(1)];
      const s = await spawned(vifs);
      await driver.spawn(s, vifs);
      assert.equal((await driver.instances(HOST)).filter((i) => i.uuid === s.uuid).length, 1);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      assert.deepEqual(await h.guest(driver, s.uuid), { nics: [`ens3 ${vifs[0]?.macAddress}`], inits: 1 });
      await driver.destroy(HOST, s.uuid);
    });

    it('powers off and on, and a second power off changes nothing', async () => {
      const s = await spawned();
      await driver.powerOff(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.SHUTDOWN);
      await driver.powerOff(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.SHUTDOWN);
      await driver.powerOn(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.destroy(HOST, s.uuid);
    });

    it('reboots soft and hard into a running instance', async () => {
      const s = await spawned();
      await driver.reboot(HOST, s.uuid, 'SOFT');
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.powerOff(HOST, s.uuid);
      await driver.reboot(HOST, s.uuid, 'HARD');
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.destroy(HOST, s.uuid);
    });

    it('pauses and unpauses, suspends and resumes', async () => {
      const s = await spawned();
      await driver.pause(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.PAUSED);
      await driver.unpause(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.suspend(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.SUSPENDED);
      await driver.resume(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.pause(HOST, s.uuid);
      await driver.powerOff(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.SHUTDOWN, 'a paused instance powers off');
      await driver.destroy(HOST, s.uuid);
    });

    it('hot-plugs an interface on a new slot, and a re-plugged port comes back on another one with its MAC', async () => {
      const s = await spawned();
      const extra = vif(7);
      await driver.attachInterface(HOST, s.uuid, extra);
      await driver.attachInterface(HOST, s.uuid, extra);
      const plugged = (await driver.instance(HOST, s.uuid))?.interfaces ?? [];
      assert.equal(plugged.length, 2);
      const first = plugged[1];
      assert.equal(first?.portId, extra.portId);
      assert.ok((first?.slot ?? 0) > (plugged[0]?.slot ?? 0));
      assert.ok((await h.guest(driver, s.uuid)).nics.includes(`ens${first?.slot} ${extra.macAddress}`), 'the guest sees the hot-plugged NIC');
      await driver.detachInterface(HOST, s.uuid, extra.portId);
      await driver.detachInterface(HOST, s.uuid, extra.portId);
      assert.equal((await driver.instance(HOST, s.uuid))?.interfaces.length, 1);
      await driver.attachInterface(HOST, s.uuid, extra);
      const again = (await driver.instance(HOST, s.uuid))?.interfaces.find((i) => i.portId === extra.portId);
      assert.equal(again?.macAddress, extra.macAddress);
      assert.ok((again?.slot ?? 0) > (first?.slot ?? 0));
      await driver.destroy(HOST, s.uuid);
    });

    it('has a console log, snapshots the disk, and rescues and unrescues', async () => {
      const s = await spawned();
      // A real guest writes its console as it boots, after spawn returns.
      await waitFor('console output', async () => (await driver.consoleOutput(HOST, s.uuid)).length > 0);
      let bytes = 0;
      for await (const chunk of await driver.snapshot(HOST, s.uuid)) bytes += (chunk as Buffer).length;
      assert.ok(bytes > 0);
      await driver.rescue(HOST, s.uuid, s.imageRef);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.unrescue(HOST, s.uuid);
      assert.equal((await driver.instance(HOST, s.uuid))?.powerState, PowerState.RUNNING);
      await driver.destroy(HOST, s.uuid);
    });

    it('destroys an instance, twice without complaint, and knows no missing instance', async () => {
      const s = await spawned();
      await driver.destroy(HOST, s.uuid);
      await driver.destroy(HOST, s.uuid);
      assert.equal(await driver.instance(HOST, s.uuid), null);
      assert.equal((await driver.instances(HOST)).some((i) => i.uuid === s.uuid), false);
      await assert.rejects(driver.powerOn(HOST, s.uuid), InstanceNotFoundOnHost);
      await assert.rejects(driver.consoleOutput(HOST, s.uuid), InstanceNotFoundOnHost);
      await assert.rejects(driver.attachInterface(HOST, s.uuid, vif(3)), InstanceNotFoundOnHost);
    });
  });
}
