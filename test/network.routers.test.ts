/**
 * Routers over HTTP: defaults, admin-only attributes, gateways (pool addresses, snat, fixed
 * IPs, refusals), interfaces by subnet and by port with Neutron's rules (one port per subnet,
 * no overlap, in-use refusals), DVR and HA device owners, extra routes, isolation, quota, and
 * that a refused request changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloudWithTokens, startTestCloud, type TestCloud } from './helpers/cloud.js';
import { addInterface, externalNetwork, getJson, newRouter, projectSubnet, V2 } from './helpers/l3-fixtures.js';
import { neutronError, newPort, newSubnet, type Json } from './helpers/ports-fixtures.js';
import { snapshot } from './helpers/snapshot.js';

const IGNORED = ['revocation_events', 'hosts'];

describe('network: routers', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let ext: { network: Json; subnet: Json };

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    ext = await externalNetwork(cloud, admin, '172.24.4.0/24', { start: '172.24.4.10', end: '172.24.4.20' });
  });
  after(async () => cloud.destroy());

  it('creates a router with Neutron defaults; distributed and ha only shown to admins', async () => {
    const r = await newRouter(cloud, demo, { name: 'r1', description: 'd' });
    assert.equal(r.status, 'ACTIVE');
    assert.equal(r.admin_state_up, true);
    assert.equal(r.external_gateway_info, null);
    assert.deepEqual(r.routes, []);
    assert.equal(r.flavor_id, null);
    assert.deepEqual(r.availability_zone_hints, []);
    assert.deepEqual(r.availability_zones, ['nova']);
    assert.equal(r.tenant_id, r.project_id);
    assert.equal(r.revision_number, 1);
    assert.match(r.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(!('distributed' in r) && !('ha' in r));
    const shown = (await getJson(cloud, admin, `/routers/${r.id}`)).router;
    assert.equal(shown.distributed, false);
    assert.equal(shown.ha, false);
    const updated = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { name: 'r1b', admin_state_up: false } } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.router.name, 'r1b');
    assert.equal(updated.body.router.admin_state_up, false);
    assert.equal(updated.body.router.revision_number, 2);
  });

  it('refuses distributed/ha to members (403), unknown zones (404), routes on create and read-only updates (400)', async () => {
    for (const attr of ['distributed', 'ha']) {
      const res = await cloud.request('POST', `${V2}/routers`, { token: demo, body: { router: { [attr]: false } } });
      neutronError(res, 403, 'PolicyNotAuthorized');
    }
    neutronError(await cloud.request('POST', `${V2}/routers`, { token: demo, body: { router: { availability_zone_hints: ['elsewhere'] } } }), 404, 'AvailabilityZoneNotFound');
    neutronError(await cloud.request('POST', `${V2}/routers`, { token: demo, body: { router: { routes: [] } } }), 400, 'HTTPBadRequest');
    const r = await newRouter(cloud, demo);
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { ha: true } } }), 403, 'PolicyNotAuthorized');
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { status: 'DOWN' } } }), 400, 'HTTPBadRequest');
  });

  it('sets a gateway from the external pool, with snat on by default; members may not choose snat or addresses', async () => {
    const r = await newRouter(cloud, demo, { external_gateway_info: { network_id: ext.network.id } });
    const gw = r.external_gateway_info;
    assert.equal(gw.network_id, ext.network.id);
    assert.equal(gw.enable_snat, true);
    assert.equal(gw.external_fixed_ips.length, 1);
    assert.equal(gw.external_fixed_ips[0].subnet_id, ext.subnet.id);
    const last = Number(gw.external_fixed_ips[0].ip_address.split('.')[3]);
    assert.ok(last >= 10 && last <= 20, gw.external_fixed_ips[0].ip_address);
    const ports = (await getJson(cloud, admin, `/ports?device_id=${r.id}&device_owner=network:router_gateway`)).ports;
    assert.equal(ports.length, 1);
    assert.equal(ports[0].project_id, '');
    assert.equal(ports[0].network_id, ext.network.id);
    // The gateway port has no project: the router's owner does not see it among its ports.
    assert.equal((await getJson(cloud, demo, `/ports?device_id=${r.id}`)).ports.length, 0);
    // The gateway port keeps the external network and its subnet in use.
    neutronError(await cloud.request('DELETE', `${V2}/networks/${ext.network.id}`, { token: admin }), 409, 'NetworkInUse');
    neutronError(await cloud.request('DELETE', `${V2}/subnets/${ext.subnet.id}`, { token: admin }), 409, 'SubnetInUse');
    neutronError(await cloud.request('DELETE', `${V2}/ports/${ports[0].id}`, { token: admin }), 409, 'ServicePortInUse');
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { external_gateway_info: { network_id: ext.network.id, enable_snat: false } } } }), 403, 'PolicyNotAuthorized');
    const snatOff = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: admin, body: { router: { external_gateway_info: { network_id: ext.network.id, enable_snat: false } } } });
    assert.equal(snatOff.status, 200, snatOff.text);
    assert.equal(snatOff.body.router.external_gateway_info.enable_snat, false);
    // Same network, same port: the address is kept.
    assert.deepEqual(snatOff.body.router.external_gateway_info.external_fixed_ips, gw.external_fixed_ips);
    const cleared = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { external_gateway_info: {} } } });
    assert.equal(cleared.body.router.external_gateway_info, null);
    assert.equal((await getJson(cloud, admin, `/ports?device_id=${r.id}`)).ports.length, 0);
  });

  it('takes an admin-chosen gateway address, refuses one in use (409) or the subnet gateway (400), and non-external networks (400)', async () => {
    const r = await newRouter(cloud, admin, { external_gateway_info: { network_id: ext.network.id, external_fixed_ips: [{ ip_address: '172.24.4.15' }] } });
    assert.deepEqual(r.external_gateway_info.external_fixed_ips, [{ subnet_id: ext.subnet.id, ip_address: '172.24.4.15' }]);
    const again = await cloud.request('POST', `${V2}/routers`, { token: admin, body: { router: { external_gateway_info: { network_id: ext.network.id, external_fixed_ips: [{ ip_address: '172.24.4.15' }] } } } });
    neutronError(again, 409, 'IpAddressAlreadyAllocated');
    const gwIp = await cloud.request('POST', `${V2}/routers`, { token: admin, body: { router: { external_gateway_info: { network_id: ext.network.id, external_fixed_ips: [{ ip_address: '172.24.4.1' }] } } } });
    neutronError(gwIp, 400, 'BadRequest');
    // Readdressing on the same network moves the port to the new address.
    const moved = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: admin, body: { router: { external_gateway_info: { network_id: ext.network.id, external_fixed_ips: [{ ip_address: '172.24.4.16' }] } } } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.router.external_gateway_info.external_fixed_ips[0].ip_address, '172.24.4.16');
    const { network: internal } = await projectSubnet(cloud, demo, '10.9.0.0/24');
    const mine = await newRouter(cloud, demo);
    const notExternal = await cloud.request('PUT', `${V2}/routers/${mine.id}`, { token: demo, body: { router: { external_gateway_info: { network_id: internal.id } } } });
    neutronError(notExternal, 400, 'BadRequest');
    assert.match(notExternal.body.NeutronError.message, /is not an external network/);
    const missing = await cloud.request('PUT', `${V2}/routers/${mine.id}`, { token: demo, body: { router: { external_gateway_info: { network_id: mine.id } } } });
    neutronError(missing, 404, 'NetworkNotFound');
    const badKey = await cloud.request('PUT', `${V2}/routers/${mine.id}`, { token: demo, body: { router: { external_gateway_info: { network: 'x' } } } });
    neutronError(badKey, 400, 'HTTPBadRequest');
  });

  it('adds an interface by subnet on its gateway address, once per subnet, never overlapping', async () => {
    const { network, subnet } = await projectSubnet(cloud, demo, '10.1.0.0/24');
    const r = await newRouter(cloud, demo);
    const info = await addInterface(cloud, demo, r.id, { subnet_id: subnet.id });
    assert.deepEqual(Object.keys(info).sort(), ['id', 'network_id', 'port_id', 'project_id', 'subnet_id', 'subnet_ids', 'tenant_id']);
    assert.equal(info.id, r.id);
    assert.equal(info.network_id, network.id);
    assert.deepEqual(info.subnet_ids, [subnet.id]);
    const port = (await getJson(cloud, demo, `/ports/${info.port_id}`)).port;
    assert.equal(port.device_id, r.id);
    assert.equal(port.device_owner, 'network:router_interface');
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.1.0.1' }]);
    assert.equal((await getJson(cloud, demo, `/routers/${r.id}`)).router.revision_number, 2);
    const twice = await cloud.request('PUT', `${V2}/routers/${r.id}/add_router_interface`, { token: demo, body: { subnet_id: subnet.id } });
    neutronError(twice, 400, 'BadRequest');
    assert.match(twice.body.NeutronError.message, /Router already has a port on subnet/);
    const { subnet: overlapping } = await projectSubnet(cloud, demo, '10.1.0.0/25');
    const overlap = await cloud.request('PUT', `${V2}/routers/${r.id}/add_router_interface`, { token: demo, body: { subnet_id: overlapping.id } });
    neutronError(overlap, 400, 'BadRequest');
    assert.match(overlap.body.NeutronError.message, /overlaps with cidr 10\.1\.0\.0\/24/);
    const { subnet: noGateway } = await projectSubnet(cloud, demo, '10.2.0.0/24', { gateway: null });
    const noGw = await cloud.request('PUT', `${V2}/routers/${r.id}/add_router_interface`, { token: demo, body: { subnet_id: noGateway.id } });
    neutronError(noGw, 400, 'BadRequest');
    assert.match(noGw.body.NeutronError.message, /must have a gateway IP/);
    for (const body of [{}, { subnet_id: subnet.id, port_id: info.port_id }, { subnet_id: 'nope' }]) {
      neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}/add_router_interface`, { token: demo, body }), 400, 'BadRequest');
    }
  });

  it('refuses to delete what the interface uses, then removes it by subnet', async () => {
    const { network, subnet } = await projectSubnet(cloud, demo, '10.3.0.0/24');
    const r = await newRouter(cloud, demo);
    const info = await addInterface(cloud, demo, r.id, { subnet_id: subnet.id });
    neutronError(await cloud.request('DELETE', `${V2}/routers/${r.id}`, { token: demo }), 409, 'RouterInUse');
    neutronError(await cloud.request('DELETE', `${V2}/subnets/${subnet.id}`, { token: demo }), 409, 'SubnetInUse');
    neutronError(await cloud.request('DELETE', `${V2}/ports/${info.port_id}`, { token: demo }), 409, 'ServicePortInUse');
    neutronError(await cloud.request('DELETE', `${V2}/networks/${network.id}`, { token: demo }), 409, 'NetworkInUse');
    const removed = await cloud.request('PUT', `${V2}/routers/${r.id}/remove_router_interface`, { token: demo, body: { subnet_id: subnet.id } });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.port_id, info.port_id);
    assert.equal((await cloud.request('GET', `${V2}/ports/${info.port_id}`, { token: demo })).status, 404);
    const again = await cloud.request('PUT', `${V2}/routers/${r.id}/remove_router_interface`, { token: demo, body: { subnet_id: subnet.id } });
    neutronError(again, 404, 'RouterInterfaceNotFoundForSubnet');
    assert.equal((await cloud.request('DELETE', `${V2}/subnets/${subnet.id}`, { token: demo })).status, 204);
    assert.equal((await cloud.request('DELETE', `${V2}/routers/${r.id}`, { token: demo })).status, 204);
    neutronError(await cloud.request('GET', `${V2}/routers/${r.id}`, { token: demo }), 404, 'RouterNotFound');
  });

  it('adds an unbound port as an interface, refuses a bound one, removes by port', async () => {
    const { network, subnet } = await projectSubnet(cloud, demo, '10.4.0.0/24');
    const r = await newRouter(cloud, demo);
    const port = await newPort(cloud, demo, { network_id: network.id });
    const info = await addInterface(cloud, demo, r.id, { port_id: port.id });
    assert.equal(info.port_id, port.id);
    assert.equal(info.subnet_id, subnet.id);
    const shown = (await getJson(cloud, demo, `/ports/${port.id}`)).port;
    assert.equal(shown.device_id, r.id);
    assert.equal(shown.device_owner, 'network:router_interface');
    const other = await newRouter(cloud, demo);
    neutronError(await cloud.request('PUT', `${V2}/routers/${other.id}/add_router_interface`, { token: demo, body: { port_id: port.id } }), 409, 'PortInUse');
    const wrongSubnet = await cloud.request('PUT', `${V2}/routers/${r.id}/remove_router_interface`, { token: demo, body: { port_id: port.id, subnet_id: other.id } });
    neutronError(wrongSubnet, 400, 'SubnetMismatchForPort');
    neutronError(await cloud.request('PUT', `${V2}/routers/${other.id}/remove_router_interface`, { token: demo, body: { port_id: port.id } }), 404, 'RouterInterfaceNotFound');
    const removed = await cloud.request('PUT', `${V2}/routers/${r.id}/remove_router_interface`, { token: demo, body: { port_id: port.id } });
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await cloud.request('GET', `${V2}/ports/${port.id}`, { token: demo })).status, 404);
  });

  it('refuses a gateway whose network overlaps an interface subnet', async () => {
    const { subnet } = await projectSubnet(cloud, demo, '172.24.4.128/25');
    const r = await newRouter(cloud, demo);
    await addInterface(cloud, demo, r.id, { subnet_id: subnet.id });
    const res = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { external_gateway_info: { network_id: ext.network.id } } } });
    neutronError(res, 400, 'BadRequest');
    assert.match(res.body.NeutronError.message, /overlaps/);
  });

  it('gives distributed and HA routers their own interface owners, and moves them only while the router is down', async () => {
    const { subnet } = await projectSubnet(cloud, demo, '10.5.0.0/24');
    const dvr = await newRouter(cloud, admin, { distributed: true, project_id: (await getJson(cloud, demo, `/subnets/${subnet.id}`)).subnet.project_id });
    assert.equal(dvr.distributed, true);
    const info = await addInterface(cloud, demo, dvr.id, { subnet_id: subnet.id });
    assert.equal((await getJson(cloud, demo, `/ports/${info.port_id}`)).port.device_owner, 'network:router_interface_distributed');
    const active = await cloud.request('PUT', `${V2}/routers/${dvr.id}`, { token: admin, body: { router: { distributed: false } } });
    neutronError(active, 400, 'BadRequest');
    const down = await cloud.request('PUT', `${V2}/routers/${dvr.id}`, { token: admin, body: { router: { admin_state_up: false, ha: true, distributed: false } } });
    assert.equal(down.status, 200, down.text);
    assert.equal(down.body.router.ha, true);
    assert.equal(down.body.router.distributed, false);
    assert.equal((await getJson(cloud, demo, `/ports/${info.port_id}`)).port.device_owner, 'network:ha_router_replicated_interface');
    const removed = await cloud.request('PUT', `${V2}/routers/${dvr.id}/remove_router_interface`, { token: demo, body: { subnet_id: subnet.id } });
    assert.equal(removed.status, 200, removed.text);
  });

  it('validates extra routes against the connected subnets; add/remove_extraroutes merge', async () => {
    const { subnet } = await projectSubnet(cloud, demo, '10.6.0.0/24');
    const r = await newRouter(cloud, demo);
    await addInterface(cloud, demo, r.id, { subnet_id: subnet.id });
    const far = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { routes: [{ destination: '10.99.0.0/24', nexthop: '192.0.2.1' }] } } });
    neutronError(far, 400, 'InvalidRoutes');
    assert.match(far.body.NeutronError.message, /the nexthop is not connected with router/);
    const own = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { routes: [{ destination: '10.99.0.0/24', nexthop: '10.6.0.1' }] } } });
    neutronError(own, 400, 'InvalidRoutes');
    for (const routes of ['x', [{ destination: '10.99.0.0/24' }], [{ destination: '10.99.0.1/24', nexthop: '10.6.0.5' }], [{ destination: '10.99.0.0/24', nexthop: 'x' }]]) {
      neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { routes } } }), 400, 'HTTPBadRequest');
    }
    const set = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { routes: [{ destination: '10.99.0.0/24', nexthop: '10.6.0.5' }] } } });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body.router.routes, [{ destination: '10.99.0.0/24', nexthop: '10.6.0.5' }]);
    const added = await cloud.request('PUT', `${V2}/routers/${r.id}/add_extraroutes`, { token: demo, body: { router: { routes: [{ destination: '10.98.0.0/24', nexthop: '10.6.0.6' }, { destination: '10.99.0.0/24', nexthop: '10.6.0.5' }] } } });
    assert.equal(added.status, 200, added.text);
    assert.equal(added.body.router.routes.length, 2);
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}/remove_router_interface`, { token: demo, body: { subnet_id: subnet.id } }), 409, 'RouterInterfaceInUseByRoute');
    const removed = await cloud.request('PUT', `${V2}/routers/${r.id}/remove_extraroutes`, { token: demo, body: { router: { routes: [{ destination: '10.99.0.0/24', nexthop: '10.6.0.5' }, { destination: '10.97.0.0/24', nexthop: '10.6.0.7' }] } } });
    assert.deepEqual(removed.body.router.routes, [{ destination: '10.98.0.0/24', nexthop: '10.6.0.6' }]);
    const none = await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { routes: null } } });
    assert.deepEqual(none.body.router.routes, []);
  });

  it('keeps routers to their project (404), lists and filters them', async () => {
    const mine = await newRouter(cloud, admin, { name: 'admins-own' });
    neutronError(await cloud.request('GET', `${V2}/routers/${mine.id}`, { token: demo }), 404, 'RouterNotFound');
    neutronError(await cloud.request('PUT', `${V2}/routers/${mine.id}`, { token: demo, body: { router: { name: 'x' } } }), 404, 'RouterNotFound');
    neutronError(await cloud.request('DELETE', `${V2}/routers/${mine.id}`, { token: demo }), 404, 'RouterNotFound');
    neutronError(await cloud.request('PUT', `${V2}/routers/${mine.id}/add_router_interface`, { token: demo, body: {} }), 404, 'RouterNotFound');
    const listed = (await getJson(cloud, demo, '/routers')).routers;
    assert.ok(listed.length > 0 && !listed.some((r: Json) => r.id === mine.id));
    const byName = (await getJson(cloud, admin, '/routers?name=admins-own&fields=id&fields=name')).routers;
    assert.deepEqual(byName, [{ id: mine.id, name: 'admins-own' }]);
    neutronError(await cloud.request('GET', `${V2}/routers?bogus=1`, { token: demo }), 400, 'HTTPBadRequest');
  });

  it('counts routers against the quota', async () => {
    const project = (await getJson(cloud, demo, '/routers')).routers[0].project_id;
    const limit = await cloud.request('PUT', `${V2}/quotas/${project}`, { token: admin, body: { quota: { router: (await getJson(cloud, demo, '/routers')).routers.length } } });
    assert.equal(limit.status, 200, limit.text);
    neutronError(await cloud.request('POST', `${V2}/routers`, { token: demo, body: { router: { name: 'one-too-many' } } }), 409, 'OverQuota');
    await cloud.request('PUT', `${V2}/quotas/${project}`, { token: admin, body: { quota: { router: 50 } } });
  });

  it('changes nothing when a request is refused', async () => {
    const r = await newRouter(cloud, demo, { external_gateway_info: { network_id: ext.network.id } });
    const { subnet } = await projectSubnet(cloud, demo, '10.7.0.0/24');
    await addInterface(cloud, demo, r.id, { subnet_id: subnet.id });
    const { network: internal } = await projectSubnet(cloud, demo, '10.8.0.0/24');
    const taken = (await getJson(cloud, admin, `/routers/${r.id}`)).router.external_gateway_info.external_fixed_ips[0].ip_address;
    const before = await snapshot(cloud.store, IGNORED);
    // The router row is written before its gateway port fails: the whole request must roll back.
    neutronError(await cloud.request('POST', `${V2}/routers`, { token: admin, body: { router: { name: 'half', external_gateway_info: { network_id: ext.network.id, external_fixed_ips: [{ ip_address: taken }] } } } }), 409, 'IpAddressAlreadyAllocated');
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { name: 'n', routes: [{ destination: '10.0.0.0/8', nexthop: '10.9.9.9' }] } } }), 400, 'InvalidRoutes');
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: demo, body: { router: { name: 'n', external_gateway_info: { network_id: internal.id } } } }), 400, 'BadRequest');
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}`, { token: admin, body: { router: { name: 'n', distributed: true } } }), 400, 'BadRequest');
    neutronError(await cloud.request('PUT', `${V2}/routers/${r.id}/add_router_interface`, { token: demo, body: { subnet_id: subnet.id, port_id: subnet.id } }), 400, 'BadRequest');
    neutronError(await cloud.request('DELETE', `${V2}/routers/${r.id}`, { token: demo }), 409, 'RouterInUse');
    assert.deepEqual(await snapshot(cloud.store, IGNORED), before);
  });
});

describe('network: first-start demo provisioning', () => {
  it('provisions public, private and router1 once; what a user deletes does not come back on restart', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kumo-provision-'));
    try {
      let cloud = await startTestCloud({ home, config: { provisionDemo: true } });
      try {
        const demo = await cloud.token('demo');
        const router = (await getJson(cloud, demo, '/routers?name=router1')).routers[0];
        assert.ok(router, 'router1 is there for demo');
        const [iface] = (await getJson(cloud, demo, `/ports?device_id=${router.id}`)).ports;
        assert.deepEqual(iface.fixed_ips.map((ip: Json) => ip.ip_address), ['10.0.0.1']);
        assert.equal(router.external_gateway_info.external_fixed_ips[0].ip_address, '172.24.4.2');
        const removed = await cloud.request('PUT', `${V2}/routers/${router.id}/remove_router_interface`, { token: demo, body: { port_id: iface.id } });
        assert.equal(removed.status, 200, removed.text);
        assert.equal((await cloud.request('DELETE', `${V2}/routers/${router.id}`, { token: demo })).status, 204);
      } finally {
        await cloud.stop();
      }
      cloud = await startTestCloud({ home, config: { provisionDemo: true } });
      try {
        const admin = await cloud.token('admin');
        assert.deepEqual((await getJson(cloud, admin, '/routers')).routers, []);
        assert.equal((await getJson(cloud, admin, '/networks?name=public')).networks.length, 1);
      } finally {
        await cloud.stop();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
