/**
 * The scheduler: filters and weighers as pure functions over host states, then placement over
 * HTTP with several registered hosts (least loaded first, dead and disabled hosts skipped,
 * forced hosts, availability zones, server group policies, NoValidHost).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectHosts, NoValidHost, type RequestSpec } from '../src/compute/scheduler/scheduler.js';
import type { HostState } from '../src/compute/scheduler/host-state.js';
import type { TestCloud } from './helpers/cloud.js';
import { registerHost, silenceHost } from './helpers/compute-hosts.js';
import { action, boot, bootActive, cirrosId, makeNetwork, nova, roomForServers, settle, show, startCloudWithNovaClients, type Nova } from './helpers/servers-fixtures.js';

function host(name: string, extra: Partial<HostState> = {}): HostState {
  return {
    name, availabilityZone: 'nova', enabled: true, alive: true, vcpus: 4, memoryMb: 8704, diskGb: 100,
    vcpusUsed: 0, memoryMbUsed: 0, diskGbUsed: 0, instances: 0, groupMembers: new Map(), ...extra,
  };
}

const SMALL: RequestSpec = { vcpus: 1, memoryMb: 2048, diskGb: 20, availabilityZone: null, forcedHost: null, group: null, ignoreHosts: [] };

describe('scheduler (pure)', () => {
  it('picks the host with the most free RAM', () => {
    assert.deepEqual(selectHosts([host('a', { memoryMbUsed: 4096 }), host('b', { memoryMbUsed: 1024 }), host('c', { memoryMbUsed: 8000 })], SMALL), ['b']);
  });

  it('spreads a multi-create as the chosen host fills up', () => {
    assert.deepEqual(selectHosts([host('a'), host('b')], SMALL, 4), ['a', 'b', 'a', 'b']);
  });

  it('admits RAM up to (total - 512 MB reserved) × 1.5 and vCPUs up to 16 per core', () => {
    const one = [host('a', { memoryMb: 1536 })];
    assert.deepEqual(selectHosts(one, { ...SMALL, memoryMb: 1536 }), ['a']);
    assert.throws(() => selectHosts(one, { ...SMALL, memoryMb: 1537 }), NoValidHost);
    assert.deepEqual(selectHosts([host('a', { vcpus: 1, vcpusUsed: 15 })], SMALL), ['a']);
    assert.throws(() => selectHosts([host('a', { vcpus: 1, vcpusUsed: 16 })], SMALL), NoValidHost);
    assert.throws(() => selectHosts([host('a', { diskGb: 19 })], SMALL), NoValidHost);
  });

  it('skips dead and disabled hosts, and hosts of another zone', () => {
    const hosts = [host('dead', { alive: false }), host('off', { enabled: false }), host('far', { availabilityZone: 'az2' }), host('ok', { memoryMbUsed: 6000 })];
    assert.deepEqual(selectHosts(hosts, SMALL), ['far']);
    assert.deepEqual(selectHosts(hosts, { ...SMALL, availabilityZone: 'nova' }), ['ok']);
  });

  it('honours a forced host over zones but not over capacity or liveness', () => {
    const hosts = [host('a'), host('b', { availabilityZone: 'az2' }), host('c', { alive: false })];
    assert.deepEqual(selectHosts(hosts, { ...SMALL, forcedHost: 'b', availabilityZone: 'nova' }), ['b']);
    assert.throws(() => selectHosts(hosts, { ...SMALL, forcedHost: 'c' }), NoValidHost);
    assert.throws(() => selectHosts(hosts, { ...SMALL, forcedHost: 'nowhere' }), NoValidHost);
  });

  it('keeps affinity groups together and anti-affinity groups apart', () => {
    const members = new Map([['g', 1]]);
    const hosts = [host('a'), host('b', { memoryMbUsed: 4000, groupMembers: members })];
    assert.deepEqual(selectHosts(hosts, { ...SMALL, group: { id: 'g', policy: 'affinity', maxServerPerHost: 1 } }), ['b']);
    assert.deepEqual(selectHosts(hosts, { ...SMALL, group: { id: 'g', policy: 'anti-affinity', maxServerPerHost: 1 } }), ['a']);
    assert.throws(() => selectHosts(hosts, { ...SMALL, group: { id: 'g', policy: 'anti-affinity', maxServerPerHost: 1 } }, 2), NoValidHost);
    assert.deepEqual(selectHosts([host('a'), host('b')], { ...SMALL, group: { id: 'n', policy: 'affinity', maxServerPerHost: 1 } }, 3), ['a', 'a', 'a']);
  });
});

describe('scheduler (placement over HTTP)', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let net: { networkId: string };

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    net = await makeNetwork(cloud, await cloud.token('demo'));
    await roomForServers(cloud, 'demo');
    // The local host leaves the scene: only the registered hosts take servers.
    await cloud.store.db.updateTable('hosts').set({ enabled: 0 }).where('name', '=', cloud.localHost.name).execute();
    await registerHost(cloud, 'compute1', { memoryMb: 8704 });
    await registerHost(cloud, 'compute2', { memoryMb: 8704 });
  });
  after(async () => cloud.destroy());

  async function hostOf(id: string): Promise<string> {
    return (await show(admin, id))['OS-EXT-SRV-ATTR:host'] as string;
  }

  it('sends each new server to the least loaded host', async () => {
    const first = await bootActive(cloud, demo, net.networkId, { flavorRef: '2' });
    const second = await bootActive(cloud, demo, net.networkId, { flavorRef: '1' });
    assert.notEqual(await hostOf(first.id), await hostOf(second.id));
  });

  it('skips a host that stopped heartbeating', async () => {
    await silenceHost(cloud, 'compute1');
    try {
      for (let i = 0; i < 3; i++) assert.equal(await hostOf((await bootActive(cloud, demo, net.networkId)).id), 'compute2');
    } finally {
      await cloud.hosts.heartbeat('compute1');
    }
  });

  it('places an admin’s server on the host named by nova:<host>, and refuses that to others', async () => {
    for (const target of ['compute1', 'compute2']) {
      const s = await bootActive(cloud, admin, null, { extra: { availability_zone: `nova:${target}` } });
      assert.equal(await hostOf(s.id), target);
      assert.equal(s['OS-EXT-AZ:availability_zone'], 'nova');
    }
    const res = await demo('POST', '/servers', { body: { server: { name: 'x', flavorRef: '0', imageRef: await cirrosId(cloud), availability_zone: 'nova:compute1', networks: [{ uuid: net.networkId }] } } });
    assert.equal(res.status, 403, res.text);
  });

  it('places a server in the zone asked for, and refuses an unknown zone', async () => {
    await registerHost(cloud, 'edge1', { az: 'edge' });
    const s = await bootActive(cloud, demo, net.networkId, { extra: { availability_zone: 'edge' } });
    assert.equal(s['OS-EXT-AZ:availability_zone'], 'edge');
    assert.equal(await hostOf(s.id), 'edge1');
    const res = await demo('POST', '/servers', { body: { server: { name: 'x', flavorRef: '0', imageRef: s.image.id, availability_zone: 'moon', networks: [{ uuid: net.networkId }] } } });
    assert.equal(res.status, 400);
    assert.equal(res.body.badRequest.message, 'The requested availability zone is not available');
  });

  it('keeps an anti-affinity group on distinct hosts until no host is left', async () => {
    const group = await demo('POST', '/os-server-groups', { body: { server_group: { name: 'apart', policies: ['anti-affinity'] } } });
    assert.equal(group.status, 200, group.text);
    const hints = { group: group.body.server_group.id };
    const hosts: (string | null)[] = [];
    for (let i = 0; i < 3; i++) hosts.push(await hostOf((await bootActive(cloud, demo, net.networkId, { hints, extra: { availability_zone: 'nova' } })).id));
    assert.deepEqual(hosts.slice(0, 2).sort(), ['compute1', 'compute2']);
    assert.equal(hosts[2], null);
    const third = (await demo('GET', `/os-server-groups/${hints.group}`)).body.server_group.members as string[];
    assert.equal(third.length, 3);
    const errors = await Promise.all(third.map((id) => show(demo, id)));
    assert.equal(errors.filter((s) => s.status === 'ERROR').length, 1);
  });

  it('keeps an affinity group on one host', async () => {
    const group = await demo('POST', '/os-server-groups', { body: { server_group: { name: 'together', policies: ['affinity'] } } });
    const hints = { group: group.body.server_group.id };
    const a = await bootActive(cloud, demo, net.networkId, { hints, extra: { availability_zone: 'nova' } });
    const b = await bootActive(cloud, demo, net.networkId, { hints, extra: { availability_zone: 'nova' } });
    assert.equal(await hostOf(a.id), await hostOf(b.id));
  });

  it('puts a server no host can take in ERROR with the NoValidHost fault', async () => {
    const s = await bootActive(cloud, demo, net.networkId, { flavorRef: '5' });
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.code, 500);
    assert.equal(s.fault.message, 'No valid host was found. There are not enough hosts available.');
    assert.equal((await show(admin, s.id)).fault.details.startsWith('NoValidHost'), true);
    assert.equal((await action(demo, s.id, { 'os-stop': null })).status, 202);
    await settle(cloud);
  });

  it('answers the create at once and reads BUILD before the scheduler has run', async () => {
    const created = await boot(cloud, demo, net.networkId);
    assert.equal((await show(demo, created.id))['OS-EXT-STS:task_state'], 'scheduling');
    await settle(cloud);
  });
});
