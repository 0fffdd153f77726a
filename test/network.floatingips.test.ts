/**
 * Floating IPs over HTTP: creation from an external network (pool address, DOWN, hidden port),
 * association and the checks Neutron makes (a router with a gateway on that network, one
 * floating IP per fixed IP, IPv4 only, the project's own port), disassociation (explicitly and
 * when the port goes), what they keep in use, DVR, isolation, admin-only addresses, quota, pools.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { addInterface, externalNetwork, getJson, newFloatingIp, newRouter, projectSubnet, V2 } from './helpers/l3-fixtures.js';
import { neutronError, newPort, newSubnet, type Json } from './helpers/ports-fixtures.js';
import { snapshot } from './helpers/snapshot.js';

describe('network: floating IPs', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let ext: { network: Json; subnet: Json };
  let router: Json;
  let inside: { network: Json; subnet: Json };

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    ext = await externalNetwork(cloud, admin, '192.168.1.0/24', { start: '192.168.1.50', end: '192.168.1.150' });
    inside = await projectSubnet(cloud, demo, '10.0.0.0/24');
    router = await newRouter(cloud, demo, { name: 'router1', external_gateway_info: { network_id: ext.network.id } });
    await addInterface(cloud, demo, router.id, { subnet_id: inside.subnet.id });
  });
  after(async () => cloud.destroy());

  it('creates a floating IP from the pool, DOWN and unassociated, on a port nobody owns', async () => {
    assert.equal(router.external_gateway_info.external_fixed_ips[0].ip_address, '192.168.1.50');
    const fip = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id, description: 'web' });
    assert.equal(fip.floating_ip_address, '192.168.1.51');
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.floating_network_id, ext.network.id);
    for (const key of ['port_id', 'fixed_ip_address', 'router_id', 'port_details']) assert.equal(fip[key], null, key);
    assert.equal(fip.description, 'web');
    assert.equal(fip.tenant_id, fip.project_id);
    assert.deepEqual(fip.tags, []);
    const ports = (await getJson(cloud, admin, `/ports?device_id=${fip.id}`)).ports;
    assert.equal(ports.length, 1);
    assert.equal(ports[0].device_owner, 'network:floatingip');
    assert.equal(ports[0].project_id, '');
    assert.deepEqual(ports[0].fixed_ips, [{ subnet_id: ext.subnet.id, ip_address: '192.168.1.51' }]);
    neutronError(await cloud.request('DELETE', `${V2}/ports/${ports[0].id}`, { token: admin }), 409, 'ServicePortInUse');
    assert.equal((await cloud.request('DELETE', `${V2}/floatingips/${fip.id}`, { token: demo })).status, 204);
    assert.equal((await getJson(cloud, admin, `/ports?device_id=${fip.id}`)).ports.length, 0);
    neutronError(await cloud.request('GET', `${V2}/floatingips/${fip.id}`, { token: demo }), 404, 'FloatingIPNotFound');
  });

  it('associates with a port behind the router, re-associates and disassociates', async () => {
    const port = await newPort(cloud, demo, { network_id: inside.network.id });
    const fixed = port.fixed_ips[0].ip_address;
    const fip = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id, port_id: port.id });
    assert.equal(fip.port_id, port.id);
    assert.equal(fip.fixed_ip_address, fixed);
    assert.equal(fip.router_id, router.id);
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.port_details.network_id, inside.network.id);
    assert.equal(fip.port_details.mac_address, port.mac_address);
    const second = await newPort(cloud, demo, { network_id: inside.network.id });
    const moved = await cloud.request('PUT', `${V2}/floatingips/${fip.id}`, { token: demo, body: { floatingip: { port_id: second.id } } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.floatingip.fixed_ip_address, second.fixed_ips[0].ip_address);
    assert.equal(moved.body.floatingip.revision_number, 2);
    const described = await cloud.request('PUT', `${V2}/floatingips/${fip.id}`, { token: demo, body: { floatingip: { description: 'kept' } } });
    assert.equal(described.body.floatingip.port_id, second.id);
    const off = await cloud.request('PUT', `${V2}/floatingips/${fip.id}`, { token: demo, body: { floatingip: { port_id: null } } });
    assert.equal(off.status, 200, off.text);
    for (const key of ['port_id', 'fixed_ip_address', 'router_id', 'port_details']) assert.equal(off.body.floatingip[key], null, key);
    neutronError(await cloud.request('PUT', `${V2}/floatingips/${fip.id}`, { token: demo, body: { floatingip: { fixed_ip_address: fixed } } }), 400, 'BadRequest');
    neutronError(await cloud.request('PUT', `${V2}/floatingips/${fip.id}`, { token: demo, body: { floatingip: { floating_ip_address: '192.168.1.99' } } }), 400, 'HTTPBadRequest');
  });

  it('refuses ports no router connects to the external network (404), and non-external networks (400)', async () => {
    const lonely = await projectSubnet(cloud, demo, '10.50.0.0/24');
    const port = await newPort(cloud, demo, { network_id: lonely.network.id });
    const res = await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: ext.network.id, port_id: port.id } } });
    neutronError(res, 404, 'ExternalGatewayForFloatingIPNotFound');
    assert.match(res.body.NeutronError.message, new RegExp(`External network ${ext.network.id} is not reachable from subnet ${lonely.subnet.id}`));
    // A router without a gateway does not help.
    const noGw = await newRouter(cloud, demo);
    await addInterface(cloud, demo, noGw.id, { subnet_id: lonely.subnet.id });
    const fip = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id });
    neutronError(await cloud.request('PUT', `${V2}/floatingips/${fip.id}`, { token: demo, body: { floatingip: { port_id: port.id } } }), 404, 'ExternalGatewayForFloatingIPNotFound');
    const priv = await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: lonely.network.id } } });
    neutronError(priv, 400, 'BadRequest');
    assert.match(priv.body.NeutronError.message, /is not a valid external network/);
    neutronError(await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: {} } }), 400, 'HTTPBadRequest');
    neutronError(await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: port.id } } }), 404, 'NetworkNotFound');
  });

  it('gives a fixed IP one floating IP per external network, and needs IPv4', async () => {
    await newSubnet(cloud, demo, inside.network.id, '2001:db8:1::/64', {});
    const port = await newPort(cloud, demo, { network_id: inside.network.id });
    const v4 = port.fixed_ips.find((ip: Json) => !ip.ip_address.includes(':')).ip_address;
    const v6 = port.fixed_ips.find((ip: Json) => ip.ip_address.includes(':')).ip_address;
    const first = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id, port_id: port.id });
    assert.equal(first.fixed_ip_address, v4);
    const second = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id });
    const dup = await cloud.request('PUT', `${V2}/floatingips/${second.id}`, { token: demo, body: { floatingip: { port_id: port.id } } });
    neutronError(dup, 409, 'FloatingIPPortAlreadyAssociated');
    const v6res = await cloud.request('PUT', `${V2}/floatingips/${second.id}`, { token: demo, body: { floatingip: { port_id: port.id, fixed_ip_address: v6 } } });
    neutronError(v6res, 400, 'BadRequest');
    const notOnPort = await cloud.request('PUT', `${V2}/floatingips/${second.id}`, { token: demo, body: { floatingip: { port_id: port.id, fixed_ip_address: '10.0.0.250' } } });
    neutronError(notOnPort, 400, 'BadRequest');
    assert.match(notOnPort.body.NeutronError.message, /does not have fixed ip 10\.0\.0\.250/);
  });

  it('disassociates when the port is deleted, and keeps the router interface and gateway in use while associated', async () => {
    const port = await newPort(cloud, demo, { network_id: inside.network.id });
    const fip = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id, port_id: port.id });
    neutronError(await cloud.request('PUT', `${V2}/routers/${router.id}`, { token: demo, body: { router: { external_gateway_info: null } } }), 409, 'RouterExternalGatewayInUseByFloatingIp');
    neutronError(await cloud.request('PUT', `${V2}/routers/${router.id}/remove_router_interface`, { token: demo, body: { subnet_id: inside.subnet.id } }), 409, 'RouterInterfaceInUseByFloatingIP');
    neutronError(await cloud.request('DELETE', `${V2}/networks/${ext.network.id}`, { token: admin }), 409, 'NetworkInUse');
    assert.equal((await cloud.request('DELETE', `${V2}/ports/${port.id}`, { token: demo })).status, 204);
    const shown = (await getJson(cloud, demo, `/floatingips/${fip.id}`)).floatingip;
    for (const key of ['port_id', 'fixed_ip_address', 'router_id']) assert.equal(shown[key], null, key);
  });

  it('associates through a distributed router: its interface shows network:router_interface_distributed', async () => {
    const dvrNet = await projectSubnet(cloud, demo, '10.60.0.0/24');
    const dvr = await newRouter(cloud, admin, { name: 'dvr', distributed: true, project_id: dvrNet.network.project_id, external_gateway_info: { network_id: ext.network.id } });
    const info = await addInterface(cloud, demo, dvr.id, { subnet_id: dvrNet.subnet.id });
    const ports = (await getJson(cloud, demo, `/ports?network_id=${dvrNet.network.id}&device_owner=network:router_interface_distributed`)).ports;
    assert.deepEqual(ports.map((p: Json) => p.id), [info.port_id]);
    const vm = await newPort(cloud, demo, { network_id: dvrNet.network.id, device_owner: 'compute:nova', device_id: 'server-1' });
    const fip = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id, port_id: vm.id });
    assert.equal(fip.router_id, dvr.id);
    assert.equal(fip.fixed_ip_address, vm.fixed_ips[0].ip_address);
    // Neutron's own ports cannot take one.
    const svc = await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: ext.network.id, port_id: info.port_id } } });
    neutronError(svc, 400, 'BadRequest');
  });

  it('keeps floating IPs to their project; admins see all, choose addresses and owners', async () => {
    const mine = await newFloatingIp(cloud, admin, { floating_network_id: ext.network.id, floating_ip_address: '192.168.1.140' });
    assert.equal(mine.floating_ip_address, '192.168.1.140');
    neutronError(await cloud.request('GET', `${V2}/floatingips/${mine.id}`, { token: demo }), 404, 'FloatingIPNotFound');
    neutronError(await cloud.request('PUT', `${V2}/floatingips/${mine.id}`, { token: demo, body: { floatingip: { port_id: null } } }), 404, 'FloatingIPNotFound');
    neutronError(await cloud.request('DELETE', `${V2}/floatingips/${mine.id}`, { token: demo }), 404, 'FloatingIPNotFound');
    const demoList = (await getJson(cloud, demo, '/floatingips')).floatingips;
    assert.ok(demoList.length > 0 && !demoList.some((f: Json) => f.id === mine.id));
    const adminList = (await getJson(cloud, admin, '/floatingips')).floatingips;
    assert.ok(adminList.some((f: Json) => f.id === mine.id) && adminList.length > demoList.length);
    const filtered = (await getJson(cloud, admin, '/floatingips?floating_ip_address=192.168.1.140')).floatingips;
    assert.deepEqual(filtered.map((f: Json) => f.id), [mine.id]);
    neutronError(await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: ext.network.id, floating_ip_address: '192.168.1.141' } } }), 403, 'PolicyNotAuthorized');
    neutronError(await cloud.request('POST', `${V2}/floatingips`, { token: admin, body: { floatingip: { floating_network_id: ext.network.id, floating_ip_address: '192.168.1.140' } } }), 409, 'IpAddressAlreadyAllocated');
    const port = await newPort(cloud, demo, { network_id: inside.network.id });
    const forDemo = await newFloatingIp(cloud, admin, { floating_network_id: ext.network.id, project_id: inside.network.project_id, port_id: port.id, subnet_id: ext.subnet.id });
    assert.equal(forDemo.project_id, inside.network.project_id);
    assert.equal((await getJson(cloud, demo, `/floatingips/${forDemo.id}`)).floatingip.port_id, port.id);
    // A member cannot put its floating IP on another project's port.
    const adminNet = await projectSubnet(cloud, admin, '10.70.0.0/24');
    const adminPort = await newPort(cloud, admin, { network_id: adminNet.network.id });
    const foreign = await newFloatingIp(cloud, demo, { floating_network_id: ext.network.id });
    neutronError(await cloud.request('PUT', `${V2}/floatingips/${foreign.id}`, { token: demo, body: { floatingip: { port_id: adminPort.id } } }), 404, 'PortNotFound');
  });

  it('deleting an external network takes its unassociated floating IPs along', async () => {
    const other = await externalNetwork(cloud, admin, '198.51.100.0/24', { start: '198.51.100.10', end: '198.51.100.20' });
    const fip = await newFloatingIp(cloud, admin, { floating_network_id: other.network.id });
    assert.equal((await cloud.request('DELETE', `${V2}/networks/${other.network.id}`, { token: admin })).status, 204);
    neutronError(await cloud.request('GET', `${V2}/floatingips/${fip.id}`, { token: admin }), 404, 'FloatingIPNotFound');
    neutronError(await cloud.request('GET', `${V2}/subnets/${other.subnet.id}`, { token: admin }), 404, 'SubnetNotFound');
  });

  it('lists the floating IP pools and counts floating IPs against the quota', async () => {
    const pools = (await getJson(cloud, demo, '/floatingip_pools')).floatingip_pools;
    assert.deepEqual(pools, [{ subnet_id: ext.subnet.id, subnet_name: '', network_id: ext.network.id, project_id: ext.subnet.project_id, tenant_id: ext.subnet.project_id }]);
    const project = inside.network.project_id;
    const used = (await getJson(cloud, demo, '/floatingips')).floatingips.length;
    assert.equal((await cloud.request('PUT', `${V2}/quotas/${project}`, { token: admin, body: { quota: { floatingip: used } } })).status, 200);
    const before = await snapshot(cloud.store, ['revocation_events', 'hosts']);
    neutronError(await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: ext.network.id } } }), 409, 'OverQuota');
    assert.deepEqual(await snapshot(cloud.store, ['revocation_events', 'hosts']), before);
    const details = (await getJson(cloud, admin, `/quotas/${project}/details`)).quota;
    assert.equal(details.floatingip.used, used);
    assert.ok(details.router.used >= 1);
  });
});
