/** Server actions over HTTP: power, reboot, pause, suspend, lock, rebuild, console output, security groups, metadata, tags, instance actions. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { needs } from './helpers/compute-catalog.js';
import { action, bootActive, cirrosId, fakeDriver, makeNetwork, nova, roomForServers, settle, show, type Nova } from './helpers/servers-fixtures.js';

describe('server actions', () => {
  let cloud: TestCloud;
  let demo: Nova;
  let admin: Nova;
  let net: { networkId: string };

  before(async () => {
    cloud = await startTestCloud();
    const token = await cloud.token('demo');
    demo = nova(cloud, token);
    admin = nova(cloud, await cloud.token('admin'));
    net = await makeNetwork(cloud, token);
    await roomForServers(cloud, 'demo');
  });
  after(async () => cloud.destroy());

  async function act(id: string, body: unknown, expected = 202) {
    const res = await action(demo, id, body);
    assert.equal(res.status, expected, `${JSON.stringify(body)} → ${res.text}`);
    await settle(cloud);
    return show(demo, id);
  }

  it('stops and starts a server through the driver', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const stopped = await act(s.id, { 'os-stop': null });
    assert.equal(stopped.status, 'SHUTOFF');
    assert.equal(stopped['OS-EXT-STS:power_state'], 4);
    const started = await act(s.id, { 'os-start': null });
    assert.equal(started.status, 'ACTIVE');
    assert.equal(started['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(fakeDriver(cloud).callsFor(s.id).map((c) => c.op), ['spawn', 'powerOff', 'powerOn']);
  });

  it("answers an action the state does not allow with Nova's 409", async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await action(demo, s.id, { 'os-start': null });
    assert.equal(res.status, 409);
    assert.equal(res.body.conflictingRequest.message, `Cannot 'start' instance ${s.id} while it is in vm_state active`);
    await act(s.id, { 'os-stop': null });
    const soft = await action(demo, s.id, { reboot: { type: 'SOFT' } });
    assert.equal(soft.status, 409);
    assert.equal((await action(demo, s.id, { pause: null })).status, 409);
  });

  it('reboots soft and hard; a hard reboot brings a stopped server back', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await act(s.id, { reboot: { type: 'SOFT' } })).status, 'ACTIVE');
    await act(s.id, { 'os-stop': null });
    const hard = await act(s.id, { reboot: { type: 'HARD' } });
    assert.equal(hard.status, 'ACTIVE');
    assert.deepEqual(fakeDriver(cloud).callsFor(s.id, 'reboot').map((c) => c.detail), ['SOFT', 'HARD']);
    assert.equal((await action(demo, s.id, { reboot: { type: 'sideways' } })).status, 400);
  });

  it('pauses, unpauses, suspends and resumes', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const paused = await act(s.id, { pause: null });
    assert.equal(paused.status, 'PAUSED');
    assert.equal(paused['OS-EXT-STS:power_state'], 3);
    assert.equal((await act(s.id, { unpause: null })).status, 'ACTIVE');
    const suspended = await act(s.id, { suspend: null });
    assert.equal(suspended.status, 'SUSPENDED');
    assert.equal(suspended['OS-EXT-STS:power_state'], 7);
    assert.equal((await act(s.id, { resume: null })).status, 'ACTIVE');
  });

  it('refuses changes to a locked server from its owner but not from an admin', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    await act(s.id, { lock: null });
    const res = await action(demo, s.id, { 'os-stop': null });
    assert.equal(res.status, 409);
    assert.equal(res.body.conflictingRequest.message, `Instance ${s.id} is locked`);
    assert.equal((await demo('DELETE', `/servers/${s.id}`)).status, 409);
    assert.equal((await action(admin, s.id, { 'os-stop': null })).status, 202);
    await settle(cloud);
    await act(s.id, { unlock: null });
    assert.equal((await action(demo, s.id, { 'os-start': null })).status, 202);
    await settle(cloud);
  });

  it('keeps an admin lock against the owner’s unlock', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await action(admin, s.id, { lock: null })).status, 202);
    const res = await action(demo, s.id, { unlock: null });
    assert.equal(res.status, 403, res.text);
    assert.equal((await action(admin, s.id, { unlock: null })).status, 202);
  });

  it('rebuilds with a new name and metadata, answering with a new admin password', async () => {
    const s = await bootActive(cloud, demo, net.networkId, { extra: { metadata: { old: '1' } } });
    const res = await action(demo, s.id, { rebuild: { imageRef: await cirrosId(cloud), name: 'again', metadata: { fresh: 'yes' }, adminPass: 'S3cret!' } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.server.adminPass, 'S3cret!');
    assert.equal(res.body.server.status, 'REBUILD');
    await settle(cloud);
    const after = await show(demo, s.id);
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after.name, 'again');
    assert.deepEqual(after.metadata, { fresh: 'yes' });
    assert.equal(after.addresses.net1.length, 1);
    assert.deepEqual(fakeDriver(cloud).callsFor(s.id).map((c) => c.op), ['spawn', 'destroy', 'spawn']);
  });

  it('returns the console log from the driver, the last lines when asked', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const all = await action(demo, s.id, { 'os-getConsoleOutput': {} });
    assert.equal(all.status, 200, all.text);
    assert.match(all.body.output, /login:/);
    const two = await action(demo, s.id, { 'os-getConsoleOutput': { length: 2 } });
    assert.equal(two.body.output.split('\n').length, 2);
    assert.equal((await action(demo, s.id, { 'os-getConsoleOutput': { length: 'x' } })).status, 400);
  });

  it('adds and removes a security group on every port of the server', async () => {
    const token = await cloud.token('demo');
    const sg = await cloud.request('POST', '/network/v2.0/security-groups', { token, body: { security_group: { name: 'web' } } });
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await action(demo, s.id, { addSecurityGroup: { name: 'web' } })).status, 202);
    assert.deepEqual((await show(demo, s.id)).security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${s.id}`, { token });
    assert.ok(ports.body.ports[0].security_groups.includes(sg.body.security_group.id));
    assert.equal((await action(demo, s.id, { removeSecurityGroup: { name: 'web' } })).status, 202);
    assert.deepEqual((await show(demo, s.id)).security_groups, [{ name: 'default' }]);
    const missing = await action(demo, s.id, { removeSecurityGroup: { name: 'web' } });
    assert.equal(missing.status, 404);
    assert.equal((await action(demo, s.id, { addSecurityGroup: { name: 'nope' } })).status, 404);
  });

  it('answers an unknown action with 400', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await action(demo, s.id, { levitate: null });
    assert.equal(res.status, 400);
    assert.match(res.body.badRequest.message, /There is no such action: levitate/);
  });

  it('keeps server metadata: set, merge, replace, show and delete items', async () => {
    const s = await bootActive(cloud, demo, net.networkId, { extra: { metadata: { a: '1' } } });
    const base = `/servers/${s.id}/metadata`;
    assert.deepEqual((await demo('GET', base)).body, { metadata: { a: '1' } });
    assert.deepEqual((await demo('POST', base, { body: { metadata: { b: '2' } } })).body, { metadata: { a: '1', b: '2' } });
    assert.deepEqual((await demo('PUT', base, { body: { metadata: { c: '3' } } })).body, { metadata: { c: '3' } });
    assert.deepEqual((await demo('PUT', `${base}/d`, { body: { meta: { d: '4' } } })).body, { meta: { d: '4' } });
    assert.equal((await demo('PUT', `${base}/d`, { body: { meta: { e: '4' } } })).status, 400);
    assert.deepEqual((await demo('GET', `${base}/d`)).body, { meta: { d: '4' } });
    assert.equal((await demo('DELETE', `${base}/d`)).status, 204);
    assert.equal((await demo('GET', `${base}/d`)).status, 404);
    assert.equal((await demo('POST', base, { body: { metadata: { '': 'x' } } })).status, 400);
    assert.deepEqual((await show(demo, s.id)).metadata, { c: '3' });
  });

  it('keeps server tags from microversion 2.26', needs('2.26'), async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const v = '2.26';
    assert.equal((await demo('GET', `/servers/${s.id}/tags`)).status, 404);
    assert.equal((await demo('PUT', `/servers/${s.id}/tags/blue`, { version: v })).status, 201);
    assert.equal((await demo('PUT', `/servers/${s.id}/tags/blue`, { version: v })).status, 204);
    assert.deepEqual((await demo('PUT', `/servers/${s.id}/tags`, { version: v, body: { tags: ['x', 'y'] } })).body, { tags: ['x', 'y'] });
    assert.equal((await demo('GET', `/servers/${s.id}/tags/x`, { version: v })).status, 204);
    assert.equal((await demo('GET', `/servers/${s.id}/tags/blue`, { version: v })).status, 404);
    assert.deepEqual((await show(demo, s.id, v)).tags, ['x', 'y']);
    assert.equal((await demo('DELETE', `/servers/${s.id}/tags`, { version: v })).status, 204);
    assert.deepEqual((await demo('GET', `/servers/${s.id}/tags`, { version: v })).body, { tags: [] });
  });

  it('records instance actions with their events, newest first', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const stop = await action(demo, s.id, { 'os-stop': null });
    await settle(cloud);
    const list = await demo('GET', `/servers/${s.id}/os-instance-actions`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.instanceActions.map((a: { action: string }) => a.action), ['stop', 'create']);
    const requestId = stop.headers.get('x-compute-request-id') as string;
    assert.equal(list.body.instanceActions[0].request_id, requestId);
    const one = await admin('GET', `/servers/${s.id}/os-instance-actions/${requestId}`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.body.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_stop_instance', 'Success']]);
    assert.equal((await demo('GET', `/servers/${s.id}/os-instance-actions/req-nope`)).status, 404);
  });

  it('puts a server whose spawn fails in ERROR with a fault, and releases its port', async () => {
    fakeDriver(cloud).failNext('spawn', 'the hypervisor caught fire');
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.code, 500);
    assert.equal(s.fault.message, 'the hypervisor caught fire');
    assert.equal('details' in s.fault, false);
    assert.deepEqual(s.addresses, {});
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${s.id}`, { token: await cloud.token('demo') });
    assert.deepEqual(ports.body.ports, []);
    assert.equal((await demo('DELETE', `/servers/${s.id}`)).status, 204);
    await settle(cloud);
    assert.equal((await demo('GET', `/servers/${s.id}`)).status, 404);
  });

  it('snapshots a server into an active private image named as asked', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await action(demo, s.id, { createImage: { name: 'snap-1', metadata: { purpose: 'test' } } });
    assert.equal(res.status, 202, res.text);
    const imageId = (res.headers.get('location') as string).split('/').pop() as string;
    await settle(cloud);
    const image = await cloud.request('GET', `/image/v2/images/${imageId}`, { token: await cloud.token('demo') });
    assert.equal(image.status, 200, image.text);
    assert.equal(image.body.status, 'active');
    assert.equal(image.body.name, 'snap-1');
    assert.equal(image.body.visibility, 'private');
    assert.equal(image.body.image_type, 'snapshot');
    assert.equal(image.body.instance_uuid, s.id);
    assert.equal(image.body.purpose, 'test');
    assert.ok(image.body.size > 0);
    assert.equal((await show(demo, s.id))['OS-EXT-STS:task_state'], null);
  });

  it('keeps only the newest backups of a type, as many as the rotation says', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    for (const name of ['b1', 'b2', 'b3']) {
      assert.equal((await action(demo, s.id, { createBackup: { name, backup_type: 'daily', rotation: 2 } })).status, 202);
      await settle(cloud);
    }
    const images = await cloud.request('GET', '/image/v2/images?visibility=private', { token: await cloud.token('demo') });
    const names = images.body.images.filter((i: { instance_uuid?: string }) => i.instance_uuid === s.id).map((i: { name: string }) => i.name).sort();
    assert.deepEqual(names, ['b2', 'b3']);
  });

  it('shelves a server (snapshot, offload, ports unbound) and unshelves it from the snapshot', async () => {
    const s = await bootActive(cloud, demo, net.networkId, { name: 'shelf' });
    assert.equal((await action(demo, s.id, { shelve: null })).status, 202);
    await settle(cloud);
    const shelved = await show(admin, s.id);
    assert.equal(shelved.status, 'SHELVED_OFFLOADED');
    assert.equal(shelved['OS-EXT-SRV-ATTR:host'], null);
    const token = await cloud.token('demo');
    const images = await cloud.request('GET', '/image/v2/images?name=shelf-shelved', { token });
    assert.equal(images.body.images.length, 1);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${s.id}`, { token: await cloud.token('admin') });
    assert.equal(ports.body.ports[0]['binding:host_id'], '');
    assert.equal(ports.body.ports[0].status, 'DOWN');
    assert.equal(await fakeDriver(cloud).instance(cloud.localHost.name, s.id), null);
    assert.equal((await action(demo, s.id, { unshelve: null })).status, 202);
    await settle(cloud);
    const back = await show(admin, s.id);
    assert.equal(back.status, 'ACTIVE');
    assert.equal(back['OS-EXT-SRV-ATTR:host'], cloud.localHost.name);
    assert.equal(back.addresses.net1.length, 1);
    assert.deepEqual((await cloud.request('GET', '/image/v2/images?name=shelf-shelved', { token })).body.images, []);
    assert.equal((await action(demo, s.id, { unshelve: null })).status, 409);
  });

  it('rescues a server with a new admin password and unrescues it', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await action(demo, s.id, { rescue: { adminPass: 'r3scue' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { adminPass: 'r3scue' });
    await settle(cloud);
    assert.equal((await show(demo, s.id)).status, 'RESCUE');
    assert.equal((await action(demo, s.id, { reboot: { type: 'HARD' } })).status, 409);
    assert.equal((await action(demo, s.id, { unrescue: null })).status, 202);
    await settle(cloud);
    assert.equal((await show(demo, s.id)).status, 'ACTIVE');
  });

  it('refuses forceDelete and restore of a server that is not soft-deleted', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal((await action(demo, s.id, { forceDelete: null })).status, 409);
    assert.equal((await action(demo, s.id, { restore: null })).status, 409);
    assert.equal((await action(demo, '6f0b4d5c-7c84-4c1a-9d0e-000000000000', { restore: null })).status, 404);
  });

  it('lists the server addresses by network', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const all = await demo('GET', `/servers/${s.id}/ips`);
    assert.equal(all.status, 200);
    assert.deepEqual(Object.keys(all.body.addresses), ['net1']);
    assert.deepEqual(Object.keys(all.body.addresses.net1[0]).sort(), ['addr', 'version']);
    assert.deepEqual((await demo('GET', `/servers/${s.id}/ips/net1`)).body, { net1: all.body.addresses.net1 });
    assert.equal((await demo('GET', `/servers/${s.id}/ips/other`)).status, 404);
  });
});
