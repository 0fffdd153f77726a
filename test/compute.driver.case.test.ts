/**
 * The compute driver suite: what every driver must do, run against each driver named in
 * KUMO_TEST_COMPUTE_DRIVERS (default: fake). The Linux driver runs the same cases on the
 * local host when it is added to the list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createDriver } from '../src/compute/driver/select.js';
import { InstanceNotFoundOnHost, PowerState, type ComputeDriver, type InstanceSpec, type Vif } from '../src/compute/driver/driver.js';

const DRIVERS = (process.env.KUMO_TEST_COMPUTE_DRIVERS || 'fake').split(',').map((d) => d.trim()).filter(Boolean);
const HOST = process.env.KUMO_TEST_COMPUTE_HOST || hostname();

function spec(uuid = randomUUID()): InstanceSpec {
  return {
    uuid, name: `instance-${uuid.slice(0, 8)}`, host: HOST, hostname: 'vm', vcpus: 1, memoryMb: 64, rootGb: 1,
    imageRef: randomUUID(), keyData: null, userData: null, adminPass: null, metadata: {},
  };
}

function vif(n: number): Vif {
  const portId = randomUUID();
  return {
    portId, networkId: randomUUID(), macAddress: `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`, mtu: 1450,
    devname: `tap${portId.slice(0, 11)}`, fixedIps: [{ subnetId: randomUUID(), ipAddress: `10.0.0.${n + 10}` }],
  };
}

for (const name of DRIVERS) {
  describe(`compute driver: ${name}`, () => {
    const driver: ComputeDriver = createDriver({ KUMO_COMPUTE_DRIVER: name });

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
      assert.ok((await driver.instances(HOST)).some((i) => i.uuid === s.uuid));
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
      assert.ok((await driver.consoleOutput(HOST, s.uuid)).length > 0);
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
