/** os-interface over HTTP (seed 000): attach a user's port or a network, list, show, detach. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { bootActive, fakeDriver, makeNetwork, nova, settle, show, type Nova } from './helpers/servers-fixtures.js';

describe('server interfaces', () => {
  let cloud: TestCloud;
  let demo: Nova;
  let token: string;
  let net: { networkId: string };
  let user: { networkId: string; subnetId: string };

  before(async () => {
    cloud = await startTestCloud();
    token = await cloud.token('demo');
    demo = nova(cloud, token);
    net = await makeNetwork(cloud, token, 'admin_net', '10.0.0.0/24');
    user = await makeNetwork(cloud, token, 'user_net', '172.16.0.0/24');
  });
  after(async () => cloud.destroy());

  async function port(name: string): Promise<Record<string, any>> {
    const res = await cloud.request('POST', '/network/v2.0/ports', { token, body: { port: { network_id: user.networkId, name } } });
    assert.equal(res.status, 201, res.text);
    return res.body.port;
  }

  async function neutronPort(id: string): Promise<Record<string, any> | null> {
    const res = await cloud.request('GET', `/network/v2.0/ports/${id}`, { token: await cloud.token('admin') });
    return res.status === 200 ? res.body.port : null;
  }

  it('attaches a user port: bound to the server on its host, ACTIVE, hot-plugged on a new slot', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const p = await port('user_port1');
    const res = await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id } } });
    assert.equal(res.status, 200, res.text);
    const a = res.body.interfaceAttachment;
    assert.deepEqual(Object.keys(a).sort(), ['fixed_ips', 'mac_addr', 'net_id', 'port_id', 'port_state']);
    assert.equal(a.port_id, p.id);
    assert.equal(a.net_id, user.networkId);
    assert.equal(a.mac_addr, p.mac_address);
    assert.equal(a.port_state, 'ACTIVE');
    assert.deepEqual(a.fixed_ips, p.fixed_ips);
    const bound = await neutronPort(p.id);
    assert.equal(bound?.device_id, s.id);
    assert.equal(bound?.device_owner, 'compute:nova');
    assert.equal(bound?.['binding:host_id'], cloud.localHost.name);
    const onHost = await fakeDriver(cloud).instance(cloud.localHost.name, s.id);
    assert.deepEqual(onHost?.interfaces.map((i) => i.slot), [3, 6]);
    const list = await demo('GET', `/servers/${s.id}/os-interface`);
    assert.deepEqual(list.body.interfaceAttachments.map((x: { port_id: string }) => x.port_id).slice(1), [p.id]);
    const one = await demo('GET', `/servers/${s.id}/os-interface/${p.id}`);
    assert.deepEqual(one.body.interfaceAttachment, a);
    assert.deepEqual((await show(demo, s.id)).addresses.user_net.map((x: { addr: string }) => x.addr), [p.fixed_ips[0].ip_address]);
  });

  it('detaches a user port: unplugged, unbound, kept with its address and MAC; re-attach takes the next slot', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const p = await port('user_port2');
    assert.equal((await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id } } })).status, 200);
    const res = await demo('DELETE', `/servers/${s.id}/os-interface/${p.id}`);
    assert.equal(res.status, 202);
    const kept = await neutronPort(p.id);
    assert.equal(kept?.device_id, '');
    assert.equal(kept?.['binding:host_id'], '');
    assert.equal(kept?.status, 'DOWN');
    assert.deepEqual(kept?.fixed_ips, p.fixed_ips);
    assert.equal((await demo('GET', `/servers/${s.id}/os-interface/${p.id}`)).status, 404);
    assert.equal((await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id } } })).status, 200);
    const onHost = await fakeDriver(cloud).instance(cloud.localHost.name, s.id);
    assert.deepEqual(onHost?.interfaces.map((i) => [i.macAddress, i.slot]).slice(1), [[p.mac_address, 7]]);
  });

  it('attaches a new port on a network with the address asked for, and deletes it on detach', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { net_id: user.networkId, fixed_ips: [{ ip_address: '172.16.0.50' }] } } });
    assert.equal(res.status, 200, res.text);
    const a = res.body.interfaceAttachment;
    assert.equal(a.fixed_ips[0].ip_address, '172.16.0.50');
    assert.equal((await neutronPort(a.port_id))?.device_owner, 'compute:nova');
    assert.equal((await demo('DELETE', `/servers/${s.id}/os-interface/${a.port_id}`)).status, 202);
    assert.equal(await neutronPort(a.port_id), null);
    const taken = await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { net_id: net.networkId, fixed_ips: [{ ip_address: (await show(demo, s.id)).addresses.admin_net[0].addr }] } } });
    assert.equal(taken.status, 409, taken.text);
  });

  it('refuses attaching a port in use, a missing port, both a port and a network, and to a suspended server', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const other = await bootActive(cloud, demo, net.networkId);
    const p = await port('busy');
    assert.equal((await demo('POST', `/servers/${other.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id } } })).status, 200);
    const inUse = await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id } } });
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.conflictingRequest.message, `Port ${p.id} is still in use.`);
    assert.equal((await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: '6f0b4d5c-7c84-4c1a-9d0e-000000000000' } } })).status, 404);
    assert.equal((await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id, net_id: net.networkId } } })).status, 400);
    assert.equal((await demo('POST', `/servers/${other.id}/action`, { body: { suspend: null } })).status, 202);
    await settle(cloud);
    const suspended = await demo('POST', `/servers/${other.id}/os-interface`, { body: { interfaceAttachment: { net_id: user.networkId } } });
    assert.equal(suspended.status, 409);
    assert.equal(suspended.body.conflictingRequest.message, `Cannot 'attach_interface' instance ${other.id} while it is in vm_state suspended`);
    assert.equal((await demo('DELETE', `/servers/${s.id}/os-interface/${p.id}`)).status, 404);
  });

  it('records attach and detach as instance actions', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const p = await port('traced');
    await demo('POST', `/servers/${s.id}/os-interface`, { body: { interfaceAttachment: { port_id: p.id } } });
    await demo('DELETE', `/servers/${s.id}/os-interface/${p.id}`);
    const actions = await demo('GET', `/servers/${s.id}/os-instance-actions`);
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action), ['detach_interface', 'attach_interface', 'create']);
  });
});
