/**
 * IPAM's "any free address" is the lowest free address of the subnet's pools, in numeric order,
 * however the subnet got where it is: addresses released below earlier allocations, pools
 * edited, allocations rolled back, runs of taken addresses longer than one read, IPv6; and
 * allocations made before ip_key existed take part once the store is upgraded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import Database from 'better-sqlite3';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { allocationsOf, neutronError, newNetwork, newPort, newSubnet, type Json } from './helpers/ports-fixtures.js';
import { migrationProvider } from '../src/store/migrations/index.js';
import { openStore } from '../src/store/store.js';

describe('network: IPAM picks the lowest free address', () => {
  let cloud: TestCloud;
  let demo: string;

  before(async () => {
    cloud = await startTestCloud();
    demo = await cloud.token('demo');
  });
  after(async () => {
    await cloud.destroy();
  });

  const address = (port: Json) => port.fixed_ips[0].ip_address as string;
  const del = async (id: string) => assert.equal((await cloud.request('DELETE', `/network/v2.0/ports/${id}`, { token: demo })).status, 204);

  it('counts in numbers, not text: .9 comes before .10, and a freed low address comes back first', async () => {
    const net = await newNetwork(cloud, demo);
    await newSubnet(cloud, demo, net.id, '10.3.0.0/24', { pools: [{ start: '10.3.0.8', end: '10.3.0.20' }] });
    const ports = [];
    for (let i = 0; i < 5; i++) ports.push(await newPort(cloud, demo, { network_id: net.id }));
    assert.deepEqual(ports.map(address), ['10.3.0.8', '10.3.0.9', '10.3.0.10', '10.3.0.11', '10.3.0.12']);
    await del(ports[1].id);
    await del(ports[3].id);
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), '10.3.0.9');
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), '10.3.0.11');
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), '10.3.0.13');
  });

  it('walks the pools in order, skipping addresses taken by hand, and follows a pool edit', async () => {
    const net = await newNetwork(cloud, demo);
    const s = await newSubnet(cloud, demo, net.id, '10.4.0.0/24', { pools: [{ start: '10.4.0.100', end: '10.4.0.101' }, { start: '10.4.0.10', end: '10.4.0.11' }] });
    const admin = await cloud.token('admin');
    // Taken by hand (admin may pick any address): the next free one is past it.
    const manual = await cloud.request('POST', '/network/v2.0/ports', { token: admin, body: { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.4.0.10' }] } } });
    assert.equal(manual.status, 201, manual.text);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(address(await newPort(cloud, demo, { network_id: net.id })));
    assert.deepEqual(got, ['10.4.0.11', '10.4.0.100', '10.4.0.101']);
    neutronError(await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { port: { network_id: net.id } } }), 409, 'IpAddressGenerationFailure');
    // A pool edit below everything allocated so far: its first address is the next one.
    const edit = await cloud.request('PUT', `/network/v2.0/subnets/${s.id}`, { token: demo, body: { subnet: { allocation_pools: [{ start: '10.4.0.2', end: '10.4.0.11' }, { start: '10.4.0.100', end: '10.4.0.101' }] } } });
    assert.equal(edit.status, 200, edit.text);
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), '10.4.0.2');
  });

  it('finds the first gap after a run of taken addresses longer than one read, and not an address a failed bulk create held', async () => {
    const net = await newNetwork(cloud, demo);
    const s = await newSubnet(cloud, demo, net.id, '10.5.0.0/23');
    const bulk = await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { ports: Array.from({ length: 300 }, () => ({ network_id: net.id })) } });
    assert.equal(bulk.status, 201, bulk.text);
    const ports: Json[] = bulk.body.ports;
    assert.equal(address(ports[0]), '10.5.0.2');
    assert.equal(address(ports[299]), '10.5.1.45');
    await del(ports[200].id);
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), address(ports[200]));
    // A bulk create refused at its second item allocated (and rolled back) the first one's address.
    const refused = await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { ports: [{ network_id: net.id }, { network_id: net.id, mac_address: 'not-a-mac' }] } });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), '10.5.1.46');
    assert.equal((await allocationsOf(cloud, s.id)).length, 301);
  });

  it('does the same on stateful IPv6 subnets', async () => {
    const net = await newNetwork(cloud, demo);
    await newSubnet(cloud, demo, net.id, 'fd00:7::/64', { pools: [{ start: 'fd00:7::9', end: 'fd00:7::20' }] });
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push(await newPort(cloud, demo, { network_id: net.id }));
    assert.deepEqual(ports.map(address), ['fd00:7::9', 'fd00:7::a', 'fd00:7::b']);
    await del(ports[0].id);
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), 'fd00:7::9');
    assert.equal(address(await newPort(cloud, demo, { network_id: net.id })), 'fd00:7::c');
  });
});

describe('network: IPAM on a store made before ip_key', () => {
  it('keys the allocations that were there, so the next address is still the lowest free one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-ipam-upgrade-'));
    const file = join(dir, 'kumo.sqlite');
    try {
      // The schema as it was before 0013, with allocations made then.
      const old = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
      const all = Object.keys(await migrationProvider.getMigrations()).sort();
      const migrator = new Migrator({ db: old, provider: migrationProvider, migrationTableName: 'kumo_migrations', migrationLockTableName: 'kumo_migrations_lock', allowUnorderedMigrations: true });
      const { error } = await migrator.migrateTo(all[all.indexOf('0013_network_lookups') - 1] as string);
      assert.equal(error, undefined);
      const now = '2026-11-22T00:00:00.000Z';
      const std = { created_at: now, updated_at: now, revision_number: 1, description: '' };
      await old.insertInto('networks').values({ id: 'n1', project_id: 'p', name: 'n', admin_state_up: 1, status: 'ACTIVE', shared: 0, external: 0, mtu: 1450, port_security_enabled: 1, ...std }).execute();
      await old.insertInto('subnets').values({
        id: 's1', project_id: 'p', network_id: 'n1', name: '', ip_version: 4, cidr: '10.6.0.0/24', gateway_ip: '10.6.0.1', enable_dhcp: 0,
        allocation_pools: JSON.stringify([{ start: '10.6.0.2', end: '10.6.0.254' }]), dns_nameservers: '[]', host_routes: '[]', ...std,
      }).execute();
      for (const [i, ip] of ['10.6.0.2', '10.6.0.3', '10.6.0.5', '10.6.0.10'].entries()) {
        await old.insertInto('ports').values({
          id: `port${i}`, project_id: 'p', network_id: 'n1', name: '', admin_state_up: 1, status: 'DOWN', mac_address: `fa:16:3e:00:00:0${i}`,
          device_id: '', device_owner: '', port_security_enabled: 1, ...std,
        }).execute();
        await old.insertInto('ip_allocations').values({ subnet_id: 's1', ip_address: ip, network_id: 'n1', port_id: `port${i}` }).execute();
      }
      await old.destroy();

      const store = await openStore({ databaseUrl: null, sqliteFile: file });
      try {
        const keys = await store.db.selectFrom('ip_allocations').select(['ip_address', 'ip_key']).orderBy('ip_key').execute();
        assert.deepEqual(keys, [
          { ip_address: '10.6.0.2', ip_key: '0a060002' }, { ip_address: '10.6.0.3', ip_key: '0a060003' },
          { ip_address: '10.6.0.5', ip_key: '0a060005' }, { ip_address: '10.6.0.10', ip_key: '0a06000a' },
        ]);
        const { allocateAny } = await import('../src/network/ipam/allocator.js');
        const subnet = await store.db.selectFrom('subnets').selectAll().where('id', '=', 's1').executeTakeFirstOrThrow();
        const picked = await store.transaction(async (tx) => [await allocateAny(tx, subnet, 'port0'), await allocateAny(tx, subnet, 'port1'), await allocateAny(tx, subnet, 'port2')]);
        assert.deepEqual(picked, ['10.6.0.4', '10.6.0.6', '10.6.0.7']);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
