/**
 * The lifecycle across restarts (level-triggered): a build left in BUILD is finished by the
 * next start, a delete left half done is completed, and servers the host lost are spawned again
 * so the store's ACTIVE/SHUTOFF servers exist on their host after a restart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { action, boot, bootActive, fakeDriver, makeNetwork, nova, settle, show } from './helpers/servers-fixtures.js';

async function withBuildDelay<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const before = process.env.KUMO_COMPUTE_BUILD_DELAY_MS;
  process.env.KUMO_COMPUTE_BUILD_DELAY_MS = String(ms);
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.KUMO_COMPUTE_BUILD_DELAY_MS;
    else process.env.KUMO_COMPUTE_BUILD_DELAY_MS = before;
  }
}

describe('server lifecycle across restarts', () => {
  it('finishes a build the previous run left in BUILD', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kumo-lifecycle-'));
    let cloud: TestCloud | undefined;
    try {
      cloud = await withBuildDelay(60_000, () => startTestCloud({ home }));
      const token = await cloud.token('demo');
      const net = await makeNetwork(cloud, token);
      const created = await boot(cloud, nova(cloud, token), net.networkId);
      await cloud.stop();
      cloud = await withBuildDelay(0, () => startTestCloud({ home }));
      await settle(cloud);
      const s = await show(nova(cloud, await cloud.token('demo')), created.id);
      assert.equal(s.status, 'ACTIVE');
      assert.equal(s.addresses.net1.length, 1);
    } finally {
      await cloud?.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('completes a delete left half done, and respawns the servers its host lost, stopped ones stopped', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kumo-lifecycle-'));
    let cloud: TestCloud | undefined;
    try {
      cloud = await startTestCloud({ home });
      const token = await cloud.token('demo');
      const api = nova(cloud, token);
      const net = await makeNetwork(cloud, token);
      const doomed = await bootActive(cloud, api, net.networkId);
      const kept = await bootActive(cloud, api, net.networkId);
      const stopped = await bootActive(cloud, api, net.networkId);
      await action(api, stopped.id, { 'os-stop': null });
      await settle(cloud);
      await cloud.stop();
      // As if the process died right after accepting the delete.
      const { openStore } = await import('../src/store/store.js');
      const store = await openStore({ databaseUrl: null, sqliteFile: join(home, 'kumo.sqlite') });
      await store.db.updateTable('instances').set({ task_state: 'deleting' }).where('uuid', '=', doomed.id).execute();
      await store.close();

      cloud = await startTestCloud({ home });
      await settle(cloud);
      const again = nova(cloud, await cloud.token('demo'));
      assert.equal((await again('GET', `/servers/${doomed.id}`)).status, 404);
      const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${doomed.id}`, { token: await cloud.token('admin') });
      assert.deepEqual(ports.body.ports, []);
      const host = cloud.localHost.name;
      assert.equal((await fakeDriver(cloud).instance(host, kept.id))?.powerState, 1);
      assert.equal((await fakeDriver(cloud).instance(host, stopped.id))?.powerState, 4);
      assert.equal((await show(again, kept.id)).status, 'ACTIVE');
      assert.equal((await show(again, stopped.id)).status, 'SHUTOFF');
    } finally {
      await cloud?.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
