/** The server lifecycle on PostgreSQL: concurrent creates, actions, interfaces, snapshots, shelving, live migration, delete. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { createTestDatabase, postgresUrl } from './helpers/postgres.js';
import { registerHost } from './helpers/compute-hosts.js';
import { action, boot, bootActive, cirrosId, makeNetwork, nova, roomForServers, settle, show, type Nova } from './helpers/servers-fixtures.js';

const base = postgresUrl();

describe('servers on PostgreSQL', { skip: base ? false : 'KUMO_TEST_PG_URL is not set (npm test sets it)' }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let cloud: TestCloud;
  let demo: Nova;
  let admin: Nova;
  let net: { networkId: string };

  before(async () => {
    database = await createTestDatabase(base as string);
    cloud = await startTestCloud({ databaseUrl: database.url });
    const token = await cloud.token('demo');
    demo = nova(cloud, token);
    admin = nova(cloud, await cloud.token('admin'));
    net = await makeNetwork(cloud, token);
    await roomForServers(cloud, 'demo');
  });
  after(async () => {
    await cloud?.destroy();
    await database?.drop();
  });

  it('creates ten servers at once, each ACTIVE with its own address and instance name', async () => {
    const image = await cirrosId(cloud);
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => demo('POST', '/servers', {
      body: { server: { name: `pg-${i}`, flavorRef: '0', imageRef: image, networks: [{ uuid: net.networkId }] } },
    })));
    for (const res of created) assert.equal(res.status, 202, res.text);
    await settle(cloud);
    const list = await admin('GET', '/servers/detail?all_tenants=1&name=^pg-');
    assert.equal(list.body.servers.length, 10);
    assert.ok(list.body.servers.every((s: { status: string }) => s.status === 'ACTIVE'));
    const addrs = list.body.servers.map((s: { addresses: { net1: { addr: string }[] } }) => s.addresses.net1[0]?.addr);
    assert.equal(new Set(addrs).size, 10);
    const names = list.body.servers.map((s: Record<string, string>) => s['OS-EXT-SRV-ATTR:instance_name']);
    assert.equal(new Set(names).size, 10);
    assert.ok(names.every((n: string) => /^instance-[0-9a-f]{8}$/.test(n)));
  });

  it('runs power actions, interface attach and detach, a snapshot, shelving and a live migration', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    for (const [body, status] of [[{ 'os-stop': null }, 'SHUTOFF'], [{ 'os-start': null }, 'ACTIVE'], [{ reboot: { type: 'HARD' } }, 'ACTIVE'], [{ pause: null }, 'PAUSED'], [{ unpause: null }, 'ACTIVE']] as const) {
      assert.equal((await action(demo, s.id, body)).status, 202);
      await settle(cloud);
      assert.equal((await show(demo, s.id)).status, status);
    }
    const attached = await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { net_id: net.networkId } } });
    assert.equal(attached.status, 200, attached.text);
    assert.equal((await demo('DELETE', `/servers/${s.id}/os-interface/${attached.body.interfaceAttachment.port_id}`)).status, 202);
    const snap = await action(demo, s.id, { createImage: { name: 'pg-snap' } }, '2.45');
    assert.equal(snap.status, 202, snap.text);
    await settle(cloud);
    const image = await cloud.request('GET', `/image/v2/images/${snap.body.image_id}`, { token: await cloud.token('demo') });
    assert.equal(image.body.status, 'active');
    assert.equal((await action(demo, s.id, { shelve: null })).status, 202);
    await settle(cloud);
    assert.equal((await show(demo, s.id)).status, 'SHELVED_OFFLOADED');
    assert.equal((await action(demo, s.id, { unshelve: null })).status, 202);
    await settle(cloud);
    assert.equal((await show(demo, s.id)).status, 'ACTIVE');
    await registerHost(cloud, 'pg-compute2');
    assert.equal((await action(admin, s.id, { 'os-migrateLive': { host: 'pg-compute2', block_migration: false } })).status, 202);
    await settle(cloud);
    assert.equal((await show(admin, s.id))['OS-EXT-SRV-ATTR:host'], 'pg-compute2');
    const actions = await demo('GET', `/servers/${s.id}/os-instance-actions`);
    assert.equal(actions.body.instanceActions.length, 12);
    const one = await admin('GET', `/servers/${s.id}/os-instance-actions/${actions.body.instanceActions[0].request_id}`);
    assert.equal(one.body.instanceAction.events[0].result, 'Success');
  });

  it('deletes a server with its port and refuses a create over quota without writing anything', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await demo('DELETE', `/servers/${s.id}`)).status, 204);
    await settle(cloud);
    assert.equal((await demo('GET', `/servers/${s.id}`)).status, 404);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${s.id}`, { token: await cloud.token('admin') });
    assert.deepEqual(ports.body.ports, []);
    const created = await boot(cloud, demo, net.networkId, { flavorRef: '99' }).catch((err: Error) => err);
    assert.ok(created instanceof Error);
    await settle(cloud);
  });
});
