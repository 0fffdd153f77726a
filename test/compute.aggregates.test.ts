/** Host aggregates over HTTP: CRUD, hosts, metadata, and the zones they give their hosts. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, type TestCloud } from './helpers/cloud.js';
import { needs, nova, startCloudWithNovaClients, userId, type Nova } from './helpers/compute-catalog.js';
import { deleteFakeServer, fakeServer, registerHost } from './helpers/compute-hosts.js';
import { hostZones } from '../src/compute/catalog/zones.js';

describe('compute: host aggregates', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    await registerHost(cloud, 'compute2');
    await registerHost(cloud, 'compute3');
  });
  after(async () => cloud.destroy());

  const create = (aggregate: Record<string, unknown>) => admin('POST', '/os-aggregates', { body: { aggregate } });
  const action = (id: number, body: Record<string, unknown>) => admin('POST', `/os-aggregates/${id}/action`, { body });
  let rack: number;
  let zoned: number;

  it('creates aggregates (admin), with or without a zone, unique by name', async () => {
    const res = await create({ name: 'rack1' });
    assert.equal(res.status, 200);
    const a = res.body.aggregate;
    assert.equal(typeof a.id, 'number');
    assert.equal(a.availability_zone, null);
    assert.equal(a.deleted, false);
    assert.match(a.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal('hosts' in a, false, 'create answers without hosts and metadata');
    rack = a.id;
    const withZone = await create({ name: 'fast', availability_zone: 'az-fast' });
    assert.equal(withZone.body.aggregate.availability_zone, 'az-fast');
    zoned = withZone.body.aggregate.id;
    assert.equal((await create({ name: 'rack1' })).status, 409);
    for (const bad of [{ name: '' }, { name: 'x'.repeat(256) }, { name: 'y', availability_zone: 'a:b' }, { name: 'z', color: 1 }, {}]) {
      assert.equal((await create(bad)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await demo('POST', '/os-aggregates', { body: { aggregate: { name: 'mine' } } })).status, 403);
  });

  it('lists and shows aggregates with hosts and metadata (admin only)', async () => {
    const list = await admin('GET', '/os-aggregates');
    assert.deepEqual(list.body.aggregates.map((a: { name: string }) => a.name), ['rack1', 'fast']);
    const shown = await admin('GET', `/os-aggregates/${zoned}`);
    assert.deepEqual(shown.body.aggregate.metadata, { availability_zone: 'az-fast' });
    assert.deepEqual(shown.body.aggregate.hosts, []);
    assert.equal((await admin('GET', '/os-aggregates/9999')).status, 404);
    assert.equal((await admin('GET', '/os-aggregates/abc')).status, 400);
    assert.equal((await demo('GET', '/os-aggregates')).status, 403);
    assert.equal((await demo('GET', `/os-aggregates/${rack}`)).status, 403);
  });

  it('adds and removes compute hosts; a zoned aggregate moves its hosts into its zone', async () => {
    const add = await action(zoned, { add_host: { host: 'compute2' } });
    assert.equal(add.status, 200);
    assert.deepEqual(add.body.aggregate.hosts, ['compute2']);
    assert.equal((await hostZones(cloud.store.db)).get('compute2'), 'az-fast');
    const zones = (await demo('GET', '/os-availability-zone')).body.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName);
    assert.deepEqual(zones, ['az-fast', 'nova']);
    const service = (await admin('GET', '/os-services?host=compute2')).body.services[0];
    assert.equal(service.zone, 'az-fast');
    assert.equal((await action(zoned, { add_host: { host: 'compute2' } })).status, 409);
    assert.equal((await action(zoned, { add_host: { host: 'nowhere' } })).status, 404);
    assert.equal((await demo('POST', `/os-aggregates/${zoned}/action`, { body: { add_host: { host: 'compute3' } } })).status, 403);
    assert.equal((await action(rack, { add_host: { host: 'compute2' } })).status, 200, 'a zone-less aggregate can share the host');
    const otherZone = await create({ name: 'slow', availability_zone: 'az-slow' });
    const clash = await action(otherZone.body.aggregate.id, { add_host: { host: 'compute2' } });
    assert.equal(clash.status, 409, 'a host is in one zone only');
    assert.equal((await admin('DELETE', `/os-aggregates/${otherZone.body.aggregate.id}`)).status, 200);
    assert.equal((await action(rack, { remove_host: { host: 'compute2' } })).status, 200);
    assert.equal((await action(rack, { remove_host: { host: 'compute2' } })).status, 404);
    assert.equal((await action(rack, { fly: {} })).status, 400);
  });

  it('refuses to move a host with servers to another zone', async () => {
    const server = await fakeServer(cloud, { projectId: await projectId(cloud, 'demo'), userId: await userId(cloud, 'demo'), host: 'compute2' });
    assert.equal((await action(zoned, { remove_host: { host: 'compute2' } })).status, 409);
    assert.equal((await admin('PUT', `/os-aggregates/${zoned}`, { body: { aggregate: { availability_zone: 'az-other' } } })).status, 400);
    await deleteFakeServer(cloud, server);
  });

  it('updates the name and zone, and replaces metadata (null removes a key)', async () => {
    const res = await admin('PUT', `/os-aggregates/${zoned}`, { body: { aggregate: { name: 'faster', availability_zone: 'az-faster' } } });
    assert.equal(res.status, 200);
    assert.equal(res.body.aggregate.name, 'faster');
    assert.equal(res.body.aggregate.availability_zone, 'az-faster');
    assert.match(res.body.aggregate.updated_at, /^\d{4}-/);
    assert.equal((await hostZones(cloud.store.db)).get('compute2'), 'az-faster');
    assert.equal((await admin('PUT', `/os-aggregates/${zoned}`, { body: { aggregate: { name: 'rack1' } } })).status, 409);
    assert.equal((await admin('PUT', `/os-aggregates/${zoned}`, { body: { aggregate: {} } })).status, 400);
    const meta = await action(rack, { set_metadata: { metadata: { ssd: 'true', gpu: 'no' } } });
    assert.deepEqual(meta.body.aggregate.metadata, { ssd: 'true', gpu: 'no' });
    const removed = await action(rack, { set_metadata: { metadata: { gpu: null } } });
    assert.deepEqual(removed.body.aggregate.metadata, { ssd: 'true' });
    assert.equal((await action(rack, { set_metadata: { metadata: { availability_zone: '' } } })).status, 400);
  });

  it('deletes only empty aggregates (200), then 404', async () => {
    assert.equal((await admin('DELETE', `/os-aggregates/${zoned}`)).status, 400);
    assert.equal((await action(zoned, { remove_host: { host: 'compute2' } })).status, 200);
    assert.equal((await hostZones(cloud.store.db)).get('compute2'), 'nova', 'back to its own zone');
    assert.equal((await demo('DELETE', `/os-aggregates/${zoned}`)).status, 403);
    assert.equal((await admin('DELETE', `/os-aggregates/${zoned}`)).status, 200);
    assert.equal((await admin('DELETE', `/os-aggregates/${zoned}`)).status, 404);
  });

  it('shows the uuid from 2.41', needs('2.41'), async () => {
    const res = await admin('GET', `/os-aggregates/${rack}`, { version: '2.41' });
    assert.match(res.body.aggregate.uuid, /^[0-9a-f-]{36}$/);
    assert.equal('uuid' in (await admin('GET', `/os-aggregates/${rack}`)).body.aggregate, false);
  });
});
