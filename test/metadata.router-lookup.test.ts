/**
 * The metadata service through a router's proxy (X-Neutron-Router-ID instead of the network
 * header), against a real store filled through the APIs: the instance is the one whose port
 * holds the source address on a network the router has an interface on. Another router's
 * network, the router's gateway network, an address nobody or no instance holds, an address two
 * ports hold on the router's networks, an unknown router and a deleted server get 404; both
 * headers at once (or neither) get 400, as a request that did not come through a proxy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { MetadataService } from '../src/metadata/server.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { addInterface, externalNetwork, newRouter } from './helpers/l3-fixtures.js';
import { newSubnet } from './helpers/ports-fixtures.js';
import { bootActive, makeNetwork, nova, settle, type Nova } from './helpers/servers-fixtures.js';

const UNKNOWN_ROUTER = '0b7a6c3e-1f00-4d4e-9e2a-5c1d2e3f4a5b';

function get(socket: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metadata service: requests through a router\'s proxy', () => {
  let cloud: TestCloud;
  let service: MetadataService;
  let demo: Nova;
  let token: string;
  let admin: string;
  /** r1: interfaces on net-a and net-b, gateway on ext; r2: an interface on net-c (net-a's range again); bare: none. */
  const routers: Record<string, string> = {};
  const nets: Record<string, { networkId: string; subnetId: string }> = {};
  const servers: Record<string, string> = {};
  const viaRouter = (routerId: string, ip: string) => ({ 'x-neutron-router-id': routerId, 'x-forwarded-for': ip });
  const uuidOf = async (routerId: string, ip: string): Promise<string | number> => {
    const r = await get(service.socket, '/openstack/latest/meta_data.json', viaRouter(routerId, ip));
    return r.status === 200 ? JSON.parse(r.body).uuid : r.status;
  };

  async function serverOn(name: string, networkId: string, ip: string, api = demo): Promise<void> {
    const s = await bootActive(cloud, api, null, { name, networks: [{ uuid: networkId, fixed_ip: ip }] });
    assert.equal(s.status, 'ACTIVE');
    servers[name] = s.id as string;
  }

  before(async () => {
    cloud = await startTestCloud();
    token = await cloud.token('demo');
    admin = await cloud.token('admin');
    demo = nova(cloud, token);
    service = await MetadataService.start({ db: cloud.store.db, socket: join(cloud.config.home, 'md-router-test.sock') });
    nets.a = await makeNetwork(cloud, token, 'net-a', '10.0.0.0/24');
    nets.b = await makeNetwork(cloud, token, 'net-b', '10.1.0.0/24');
    nets.c = await makeNetwork(cloud, token, 'net-c', '10.0.0.0/24');
    // net-d has a second subnet that stays off the router; net-e brings the same range onto it.
    nets.d = await makeNetwork(cloud, token, 'net-d', '10.2.0.0/24');
    await newSubnet(cloud, token, nets.d.networkId, '10.3.0.0/24');
    nets.e = await makeNetwork(cloud, token, 'net-e', '10.3.0.0/24');
    const ext = await externalNetwork(cloud, admin, '172.24.4.0/24', { start: '172.24.4.2', end: '172.24.4.200' });
    routers.r1 = (await newRouter(cloud, token, { name: 'r1' })).id as string;
    routers.r2 = (await newRouter(cloud, token, { name: 'r2' })).id as string;
    routers.bare = (await newRouter(cloud, token, { name: 'bare' })).id as string;
    for (const n of ['a', 'b', 'd', 'e']) await addInterface(cloud, token, routers.r1, { subnet_id: nets[n]?.subnetId });
    await addInterface(cloud, token, routers.r2, { subnet_id: nets.c?.subnetId });
    const gw = await cloud.request('PUT', `/network/v2.0/routers/${routers.r1}`, { token: admin, body: { router: { external_gateway_info: { network_id: ext.network.id } } } });
    assert.equal(gw.status, 200, gw.text);
    await serverOn('alpha', nets.a.networkId, '10.0.0.10');
    await serverOn('beta', nets.b.networkId, '10.1.0.10');
    await serverOn('gamma', nets.c.networkId, '10.0.0.10');
    await serverOn('delta', nets.d.networkId, '10.3.0.10');
    await serverOn('epsilon', nets.e.networkId, '10.3.0.10');
    // A server on the router's gateway network (admin may boot there).
    await serverOn('outsider', ext.network.id, '172.24.4.77', nova(cloud, admin));
  });

  after(async () => {
    await service?.close();
    await cloud?.destroy();
  });

  it('finds the server by its address on any network the router has an interface on', async () => {
    assert.equal(await uuidOf(routers.r1 as string, '10.0.0.10'), servers.alpha);
    assert.equal(await uuidOf(routers.r1 as string, '10.1.0.10'), servers.beta);
    const m = JSON.parse((await get(service.socket, '/openstack/latest/meta_data.json', viaRouter(routers.r1 as string, '10.1.0.10'))).body);
    assert.equal(m.name, 'beta');
    assert.equal((await get(service.socket, '/latest/meta-data/local-ipv4', viaRouter(routers.r1 as string, '10.0.0.10'))).body, '10.0.0.10');
  });

  it('the router decides between overlapping networks: the same address is alpha behind r1 and gamma behind r2', async () => {
    assert.equal(await uuidOf(routers.r2 as string, '10.0.0.10'), servers.gamma);
    assert.equal(await uuidOf(routers.r2 as string, '10.1.0.10'), 404, 'net-b is not on r2');
  });

  it('404 for an address two ports hold on the router\'s networks (no one instance), though each network names its own', async () => {
    assert.equal(await uuidOf(routers.r1 as string, '10.3.0.10'), 404);
    const viaNetwork = async (networkId: string) => JSON.parse((await get(service.socket, '/openstack/latest/meta_data.json',
      { 'x-neutron-network-id': networkId, 'x-forwarded-for': '10.3.0.10' })).body).uuid;
    assert.equal(await viaNetwork(nets.d?.networkId as string), servers.delta);
    assert.equal(await viaNetwork(nets.e?.networkId as string), servers.epsilon);
  });

  it('404 for the gateway network, an address nobody holds, the router\'s own interface, a router without interfaces and an unknown router', async () => {
    assert.equal(await uuidOf(routers.r1 as string, '172.24.4.77'), 404);
    assert.equal(await uuidOf(routers.r1 as string, '10.0.0.99'), 404);
    assert.equal(await uuidOf(routers.r1 as string, '10.0.0.1'), 404);
    assert.equal(await uuidOf(routers.bare as string, '10.0.0.10'), 404);
    assert.equal(await uuidOf(UNKNOWN_ROUTER, '10.0.0.10'), 404);
    assert.equal(await uuidOf('not-a-uuid', '10.0.0.10'), 404);
  });

  it('400 with both the network and the router header, or with the router header and no source', async () => {
    const both = { ...viaRouter(routers.r1 as string, '10.0.0.10'), 'x-neutron-network-id': nets.a?.networkId as string };
    assert.equal((await get(service.socket, '/openstack/latest/meta_data.json', both)).status, 400);
    assert.equal((await get(service.socket, '/openstack/latest/meta_data.json', { 'x-neutron-router-id': routers.r1 as string })).status, 400);
  });

  it('a deleted server\'s address answers 404 through the router too', async () => {
    assert.equal((await demo('DELETE', `/servers/${servers.beta}`)).status, 204);
    await settle(cloud);
    assert.equal(await uuidOf(routers.r1 as string, '10.1.0.10'), 404);
  });
});
