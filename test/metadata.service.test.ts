/**
 * The metadata service on its Unix socket, against a real store filled through the APIs: a
 * request names its network and source address (as the proxy's headers do) and gets that
 * instance's data only; another server's address gets that server's, an address on another
 * network, an address nobody holds, a router's or DHCP port's address and a deleted server get
 * 404; a request that did not come through a proxy (headers missing or doubled) gets 400.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { MetadataService } from '../src/metadata/server.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { bootActive, makeNetwork, nova, settle, type Nova } from './helpers/servers-fixtures.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKt6IRZQ5KHhy+k40v11Ls5zKQ+I6D8rmq2815HiGtgD demo@kumo';

interface Answer { readonly status: number; readonly type: string; readonly body: string }

function get(socket: string, path: string, headers: Record<string, string | string[]>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metadata service (Unix socket)', () => {
  let cloud: TestCloud;
  let service: MetadataService;
  let demo: Nova;
  let token: string;
  let netA: { networkId: string; subnetId: string };
  let netB: { networkId: string; subnetId: string };
  const servers: Record<string, { id: string; ip: string }> = {};
  const from = (networkId: string, ip: string) => ({ 'x-neutron-network-id': networkId, 'x-forwarded-for': ip });
  const ask = (path: string, networkId: string, ip: string) => get(service.socket, path, from(networkId, ip));

  async function serverOn(name: string, networkId: string, ip: string, extra: Record<string, unknown> = {}): Promise<void> {
    const s = await bootActive(cloud, demo, null, { name, networks: [{ uuid: networkId, fixed_ip: ip }], extra });
    assert.equal(s.status, 'ACTIVE');
    servers[name] = { id: s.id as string, ip };
  }

  before(async () => {
    cloud = await startTestCloud();
    token = await cloud.token('demo');
    demo = nova(cloud, token);
    service = await MetadataService.start({ db: cloud.store.db, socket: join(cloud.config.home, 'md-test.sock'), random: (n) => Buffer.alloc(n, 1) });
    netA = await makeNetwork(cloud, token, 'net-a', '10.0.0.0/24');
    netB = await makeNetwork(cloud, token, 'net-b', '10.0.0.0/24');
    assert.equal((await demo('POST', '/os-keypairs', { body: { keypair: { name: 'KEY_NAME_DEMO', public_key: KEY } } })).status, 200);
    await serverOn('alpha', netA.networkId, '10.0.0.10', { key_name: 'KEY_NAME_DEMO', user_data: Buffer.from('#!/bin/sh\necho alpha\n').toString('base64'), metadata: { role: 'web' } });
    await serverOn('beta', netA.networkId, '10.0.0.11');
    // alpha's address on another network: only the network header tells them apart.
    await serverOn('gamma', netB.networkId, '10.0.0.10');
  });

  after(async () => {
    await service?.close();
    await cloud?.destroy();
  });

  it('answers a server with its own meta_data.json: uuid, hostname, key, meta', async () => {
    const r = await ask('/openstack/latest/meta_data.json', netA.networkId, servers.alpha?.ip as string);
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    const m = JSON.parse(r.body);
    assert.equal(m.uuid, servers.alpha?.id);
    assert.equal(m.name, 'alpha');
    assert.equal(m.hostname, 'alpha.novalocal');
    assert.deepEqual(m.public_keys, { KEY_NAME_DEMO: KEY });
    assert.deepEqual(m.keys, [{ name: 'KEY_NAME_DEMO', type: 'ssh', data: KEY }]);
    assert.deepEqual(m.meta, { role: 'web' });
    assert.equal(m.project_id, (await cloud.request('GET', '/v3/auth/tokens', { token, headers: { 'x-subject-token': token } })).body.token.project.id);
  });

  it('serves the EC2 tree and the user data to the same server', async () => {
    const a = servers.alpha as { id: string; ip: string };
    assert.equal((await ask('/latest/meta-data/local-ipv4', netA.networkId, a.ip)).body, a.ip);
    assert.equal((await ask('/latest/meta-data/public-keys/0/openssh-key', netA.networkId, a.ip)).body, KEY);
    assert.equal((await ask('/latest/user-data', netA.networkId, a.ip)).body, '#!/bin/sh\necho alpha\n');
    assert.equal((await ask('/openstack/latest/user_data', netA.networkId, a.ip)).body, '#!/bin/sh\necho alpha\n');
    assert.match((await ask('/latest/meta-data/instance-id', netA.networkId, a.ip)).body, /^i-[0-9a-f]{8}$/);
    const n = JSON.parse((await ask('/openstack/latest/network_data.json', netA.networkId, a.ip)).body);
    assert.equal(n.networks[0].network_id, netA.networkId);
    assert.equal(n.networks[0].type, 'ipv4_dhcp');
  });

  it('each source gets its own server: beta and gamma (alpha\'s address on net-b) never see alpha\'s data', async () => {
    const b = servers.beta as { id: string; ip: string };
    const g = servers.gamma as { id: string; ip: string };
    const beta = JSON.parse((await ask('/openstack/latest/meta_data.json', netA.networkId, b.ip)).body);
    assert.equal(beta.uuid, b.id);
    assert.equal(beta.public_keys, undefined);
    assert.equal((await ask('/latest/user-data', netA.networkId, b.ip)).status, 404);
    assert.equal(g.ip, servers.alpha?.ip);
    const gamma = JSON.parse((await ask('/openstack/latest/meta_data.json', netB.networkId, g.ip)).body);
    assert.equal(gamma.uuid, g.id);
    assert.equal(gamma.public_keys, undefined);
    assert.equal((await ask('/latest/meta-data/public-keys/0/openssh-key', netB.networkId, g.ip)).status, 404);
  });

  it('404 for an address on the wrong network, an address nobody holds and the DHCP port', async () => {
    assert.equal((await ask('/openstack/latest/meta_data.json', netB.networkId, servers.beta?.ip as string)).status, 404);
    assert.equal((await ask('/openstack/latest/meta_data.json', netA.networkId, '10.0.0.250')).status, 404);
    assert.equal((await ask('/', netA.networkId, '10.0.0.250')).status, 404);
    const ports = await cloud.request('GET', `/network/v2.0/ports?network_id=${netA.networkId}`, { token: await cloud.token('admin') });
    const others = (ports.body.ports as { device_owner: string; fixed_ips: { ip_address: string }[] }[]).filter((p) => !p.device_owner.startsWith('compute:'));
    for (const p of others) assert.equal((await ask('/openstack/latest/meta_data.json', netA.networkId, p.fixed_ips[0]?.ip_address as string)).status, 404);
    const unbound = await cloud.request('POST', '/network/v2.0/ports', { token, body: { port: { network_id: netA.networkId, fixed_ips: [{ ip_address: '10.0.0.77' }] } } });
    assert.equal(unbound.status, 201, unbound.text);
    assert.equal((await ask('/openstack/latest/meta_data.json', netA.networkId, '10.0.0.77')).status, 404);
  });

  it('400 without the proxy\'s headers or with a doubled source; 405 for writes', async () => {
    const a = servers.alpha as { ip: string };
    assert.equal((await get(service.socket, '/openstack', {})).status, 400);
    assert.equal((await get(service.socket, '/openstack', { 'x-forwarded-for': a.ip })).status, 400);
    assert.equal((await get(service.socket, '/openstack', { 'x-neutron-network-id': netA.networkId })).status, 400);
    assert.equal((await get(service.socket, '/openstack', { ...from(netA.networkId, a.ip), 'x-forwarded-for': `${a.ip}, 10.0.0.99` })).status, 400);
    assert.equal((await get(service.socket, '/openstack', from('not-a-uuid', a.ip))).status, 404);
    assert.equal((await get(service.socket, '/openstack/latest/meta_data.json', from(netA.networkId, a.ip), 'POST')).status, 405);
    assert.equal((await get(service.socket, '/openstack/latest/password', from(netA.networkId, a.ip), 'PUT')).status, 405);
  });

  it('a guest posts its password once; the owner reads it with os-server-password and clears it', async () => {
    const b = servers.beta as { id: string; ip: string };
    const post = (body: string, path = '/openstack/2013-10-17/password') => new Promise<number>((resolve, reject) => {
      const req = httpRequest({ socketPath: service.socket, path, method: 'POST', headers: { ...from(netA.networkId, b.ip), 'content-type': 'text/plain' } },
        (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal((await demo('GET', `/servers/${b.id}/os-server-password`)).body.password, '');
    assert.equal(await post('x'.repeat(257)), 400);
    assert.equal(await post('secret-from-beta'), 200);
    assert.equal(await post('second-try', '/openstack/latest/password'), 409);
    assert.equal((await demo('GET', `/servers/${b.id}/os-server-password`)).body.password, 'secret-from-beta');
    // alpha sees nothing of beta's password.
    assert.equal((await demo('GET', `/servers/${(servers.alpha as { id: string }).id}/os-server-password`)).body.password, '');
    assert.equal((await demo('DELETE', `/servers/${b.id}/os-server-password`)).status, 204);
    assert.equal((await demo('GET', `/servers/${b.id}/os-server-password`)).body.password, '');
    assert.equal(await post('again'), 200);
  });

  it('HEAD answers like GET without a body', async () => {
    const r = await get(service.socket, '/latest/meta-data/hostname', from(netA.networkId, servers.alpha?.ip as string), 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
  });

  it('a deleted server\'s address answers 404', async () => {
    const b = servers.beta as { id: string; ip: string };
    assert.equal((await demo('DELETE', `/servers/${b.id}`)).status, 204);
    await settle(cloud);
    assert.equal((await ask('/openstack/latest/meta_data.json', netA.networkId, b.ip)).status, 404);
  });
});
