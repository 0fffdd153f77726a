/** Admin server operations over HTTP: reset state, live migration, cold migration refusal, diagnostics, external events. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCloud } from './helpers/cloud.js';
import { registerHost } from './helpers/compute-hosts.js';
import { action, bootActive, fakeDriver, makeNetwork, settle, show, startCloudWithNovaClients, type Nova } from './helpers/servers-fixtures.js';

describe('server admin operations', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let net: { networkId: string };

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    net = await makeNetwork(cloud, await cloud.token('demo'));
  });
  after(async () => cloud.destroy());

  it('resets a server to error and back to active, for admins only', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await action(demo, s.id, { 'os-resetState': { state: 'error' } })).status, 403);
    assert.equal((await action(admin, s.id, { 'os-resetState': { state: 'error' } })).status, 202);
    assert.equal((await show(demo, s.id)).status, 'ERROR');
    assert.equal((await action(admin, s.id, { 'os-resetState': { state: 'active' } })).status, 202);
    assert.equal((await show(demo, s.id)).status, 'ACTIVE');
    assert.equal((await action(admin, s.id, { 'os-resetState': { state: 'sideways' } })).status, 400);
  });

  it('refuses a cold migration no other host can take, and one of a suspended server', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await action(admin, s.id, { migrate: null });
    assert.equal(res.status, 400, res.text);
    assert.match(res.body.badRequest.message, /^No valid host was found/);
    await action(demo, s.id, { suspend: null });
    await settle(cloud);
    assert.equal((await action(admin, s.id, { migrate: null })).status, 409);
    assert.equal((await action(admin, s.id, { 'os-migrateLive': { host: null, block_migration: false } })).status, 409);
  });

  it('live-migrates a running server to another host with its ports', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const missing = await action(admin, s.id, { 'os-migrateLive': { host: 'nowhere', block_migration: false } });
    assert.equal(missing.status, 400);
    await registerHost(cloud, 'compute9');
    const res = await action(admin, s.id, { 'os-migrateLive': { host: 'compute9', block_migration: 'auto' } }, '2.30');
    assert.equal(res.status, 202, res.text);
    await settle(cloud);
    const moved = await show(admin, s.id);
    assert.equal(moved.status, 'ACTIVE');
    assert.equal(moved['OS-EXT-SRV-ATTR:host'], 'compute9');
    assert.notEqual(await fakeDriver(cloud).instance('compute9', s.id), null);
    assert.equal(await fakeDriver(cloud).instance(cloud.localHost.name, s.id), null);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${s.id}`, { token: await cloud.token('admin') });
    assert.equal(ports.body.ports[0]['binding:host_id'], 'compute9');
    const actions = await demo('GET', `/servers/${s.id}/os-instance-actions`);
    assert.equal(actions.body.instanceActions[0].action, 'live-migration');
    const migrations = await admin('GET', `/os-migrations?instance_uuid=${s.id}`, { version: '2.80' });
    assert.equal(migrations.status, 200, migrations.text);
    const m = migrations.body.migrations[0];
    assert.deepEqual([m.migration_type, m.status, m.source_compute, m.dest_compute, m.dest_host], ['live-migration', 'completed', cloud.localHost.name, 'compute9', 'compute9']);
    assert.equal((await demo('GET', '/os-migrations')).status, 403);
    assert.deepEqual((await admin('GET', `/servers/${s.id}/migrations`, { version: '2.23' })).body, { migrations: [] });
  });

  it('shows diagnostics to admins only', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await demo('GET', `/servers/${s.id}/diagnostics`)).status, 403);
    const old = await admin('GET', `/servers/${s.id}/diagnostics`);
    assert.equal(old.status, 200);
    assert.equal(old.body.memory, 64 * 1024);
    const v248 = await admin('GET', `/servers/${s.id}/diagnostics`, { version: '2.48' });
    assert.equal(v248.body.state, 'running');
    assert.equal(v248.body.num_nics, 1);
  });

  it('takes external events for servers it knows: 200, 207 when some are unknown, 404 when none are', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const unknown = '6f0b4d5c-7c84-4c1a-9d0e-000000000000';
    const one = await admin('POST', '/os-server-external-events', { body: { events: [{ name: 'network-changed', server_uuid: s.id }] } });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.body.events, [{ name: 'network-changed', server_uuid: s.id, status: 'completed', code: 200 }]);
    const mixed = await admin('POST', '/os-server-external-events', { body: { events: [{ name: 'network-changed', server_uuid: s.id }, { name: 'network-changed', server_uuid: unknown }] } });
    assert.equal(mixed.status, 207);
    assert.equal((await admin('POST', '/os-server-external-events', { body: { events: [{ name: 'network-changed', server_uuid: unknown }] } })).status, 404);
    assert.equal((await demo('POST', '/os-server-external-events', { body: { events: [{ name: 'network-changed', server_uuid: s.id }] } })).status, 403);
  });

  it('reports the usage audit of the last full month, with every compute host not run, to admins only', async () => {
    const list = await admin('GET', '/os-instance_usage_audit_log');
    assert.equal(list.status, 200, list.text);
    const log = list.body.instance_usage_audit_logs;
    assert.deepEqual([...log.hosts_not_run].sort(), [cloud.localHost.name, 'compute9'].sort());
    assert.equal(log.overall_status, '0 of 2 hosts done. 0 errors.');
    const one = await admin('GET', `/os-instance_usage_audit_log/${encodeURIComponent('2024-03-15 10:00:00')}`);
    assert.equal(one.body.instance_usage_audit_log.period_beginning, '2024-02-01 00:00:00');
    assert.equal(one.body.instance_usage_audit_log.period_ending, '2024-03-01 00:00:00');
    assert.equal((await admin('GET', '/os-instance_usage_audit_log/invalid_time')).status, 400);
    assert.equal((await demo('GET', '/os-instance_usage_audit_log')).status, 403);
  });
});
