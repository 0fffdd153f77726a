/** Ports: IPAM through the API, MACs, policy and isolation, updates, deletes, listing. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { grant, newUser, tokenFor } from './helpers/identity-api.js';
import { allocationsOf, neutronError, newNetwork, newPort, newSubnet, type Json } from './helpers/ports-fixtures.js';
import { snapshot } from './helpers/snapshot.js';

const IGNORED_TABLES = ['revocation_events'];

describe('network: ports', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let demoProject: string;
  let net: Json;
  let subnet: Json;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    net = await newNetwork(cloud, demo, { name: 'user_net' });
    demoProject = net.project_id;
    subnet = await newSubnet(cloud, demo, net.id, '172.16.0.0/24', { name: 'user_subnet' });
  });
  after(async () => cloud.destroy());

  const post = (token: string, port: Record<string, unknown>) => cloud.request('POST', '/network/v2.0/ports', { token, body: { port } });
  const put = (token: string, id: string, port: Record<string, unknown>) => cloud.request('PUT', `/network/v2.0/ports/${id}`, { token, body: { port } });
  const get = (token: string, path: string) => cloud.request('GET', `/network/v2.0/${path}`, { token });
  const del = (token: string, id: string) => cloud.request('DELETE', `/network/v2.0/ports/${id}`, { token });

  it('creates a port with the fields of seed 000: an address from the pool, fa:16:3e MAC, DOWN, the default group', async () => {
    const port = await newPort(cloud, demo, { name: 'user_port1', network_id: net.id });
    assert.equal(port.name, 'user_port1');
    assert.equal(port.status, 'DOWN');
    assert.equal(port.admin_state_up, true);
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(port.fixed_ips.length, 1);
    assert.equal(port.fixed_ips[0].subnet_id, subnet.id);
    assert.match(port.fixed_ips[0].ip_address, /^172\.16\.0\.(\d+)$/);
    const last = Number(port.fixed_ips[0].ip_address.split('.')[3]);
    assert.ok(last >= 2 && last <= 254, port.fixed_ips[0].ip_address);
    const groups = await get(demo, `security-groups?name=default&project_id=${demoProject}`);
    assert.equal(groups.body.security_groups.length, 1, groups.text);
    assert.deepEqual(port.security_groups, [groups.body.security_groups[0].id]);
    assert.equal(port.project_id, demoProject);
    assert.equal(port.tenant_id, port.project_id);
    assert.equal(port.revision_number, 1);
    assert.match(port.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(port.updated_at, port.created_at);
    assert.equal(port.device_id, '');
    assert.equal(port.device_owner, '');
    assert.deepEqual(port.allowed_address_pairs, []);
    assert.deepEqual(port.extra_dhcp_opts, []);
    assert.equal(port.port_security_enabled, true);
    assert.equal(port['binding:vnic_type'], 'normal');
    for (const key of ['binding:host_id', 'binding:vif_type', 'binding:vif_details', 'binding:profile']) assert.equal(key in port, false, `${key} hidden from a member`);
    assert.deepEqual(port.tags, []);
    const hostname = `host-${port.fixed_ips[0].ip_address.replaceAll('.', '-')}`;
    assert.deepEqual(port.dns_assignment, [{ ip_address: port.fixed_ips[0].ip_address, hostname, fqdn: `${hostname}.openstacklocal.` }]);
    const shown = await get(admin, `ports/${port.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.port['binding:vif_type'], 'unbound');
    assert.equal(shown.body.port['binding:host_id'], '');
    assert.deepEqual(shown.body.port['binding:vif_details'], {});
    assert.deepEqual(shown.body.port['binding:profile'], {});
  });

  it('allocates the address asked for, and refuses taken, foreign and impossible ones', async () => {
    const port = await newPort(cloud, demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.200' }] });
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '172.16.0.200' }]);
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '172.16.0.200' }] }), 409, 'IpAddressAlreadyAllocated');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.9.9.9' }] }), 400, 'InvalidIpForSubnet');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ ip_address: '10.9.9.9' }] }), 400, 'InvalidIpForNetwork');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.255' }] }), 400, 'InvalidIpForSubnet');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.0' }] }), 400, 'InvalidIpForSubnet');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ subnet_id: '9d2b5d0e-7f1c-4f51-9d4e-2a7a1f3c9b10' }] }), 404, 'SubnetNotFound');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.9' }, { ip_address: '172.16.0.9' }] }), 400, 'HTTPBadRequest');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.016.0.9' }] }), 400, 'HTTPBadRequest');
    const other = await newNetwork(cloud, demo, { name: 'other' });
    const otherSubnet = await newSubnet(cloud, demo, other.id, '10.1.0.0/24');
    neutronError(await post(demo, { network_id: net.id, fixed_ips: [{ subnet_id: otherSubnet.id }] }), 400, 'InvalidInput');
  });

  it('fills a pool, answers IpAddressGenerationFailure without changing anything, and reuses released addresses', async () => {
    const small = await newNetwork(cloud, demo, { name: 'small' });
    const s = await newSubnet(cloud, demo, small.id, '10.2.0.0/29', { pools: [{ start: '10.2.0.2', end: '10.2.0.4' }] });
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push(await newPort(cloud, demo, { network_id: small.id }));
    assert.deepEqual(ports.map((p) => p.fixed_ips[0].ip_address), ['10.2.0.2', '10.2.0.3', '10.2.0.4']);
    const before = await snapshot(cloud.store, IGNORED_TABLES);
    neutronError(await post(demo, { network_id: small.id }), 409, 'IpAddressGenerationFailure');
    assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before, 'a refused create leaves no port, MAC or address behind');
    assert.equal((await del(demo, ports[1].id)).status, 204);
    assert.deepEqual(await allocationsOf(cloud, s.id), ['10.2.0.2', '10.2.0.4']);
    const again = await newPort(cloud, demo, { network_id: small.id });
    assert.equal(again.fixed_ips[0].ip_address, '10.2.0.3');
  });

  it('puts a port on several subnets and replaces the set on update, releasing what was dropped', async () => {
    const multi = await newNetwork(cloud, demo, { name: 'multi' });
    const a = await newSubnet(cloud, demo, multi.id, '10.3.0.0/24');
    const b = await newSubnet(cloud, demo, multi.id, '10.4.0.0/24');
    const port = await newPort(cloud, demo, { network_id: multi.id, fixed_ips: [{ subnet_id: a.id }, { subnet_id: b.id }] });
    assert.deepEqual(port.fixed_ips.map((f: Json) => f.subnet_id), [a.id, b.id]);
    const keepA = port.fixed_ips[0].ip_address;
    const one = await put(demo, port.id, { fixed_ips: [{ subnet_id: a.id }] });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.body.port.fixed_ips, [{ subnet_id: a.id, ip_address: keepA }], 'the address on the kept subnet stays');
    assert.equal(one.body.port.revision_number, 2);
    assert.deepEqual(await allocationsOf(cloud, b.id), [], 'the dropped address is released');
    const two = await put(demo, port.id, { fixed_ips: [{ subnet_id: a.id, ip_address: keepA }, { subnet_id: b.id, ip_address: '10.4.0.77' }] });
    assert.equal(two.status, 200, two.text);
    assert.deepEqual(two.body.port.fixed_ips.map((f: Json) => f.ip_address), [keepA, '10.4.0.77']);
    const swap = await put(demo, port.id, { fixed_ips: [{ ip_address: '10.3.0.99' }] });
    assert.deepEqual(swap.body.port.fixed_ips, [{ subnet_id: a.id, ip_address: '10.3.0.99' }]);
    assert.deepEqual(await allocationsOf(cloud, a.id), ['10.3.0.99']);
    const taken = await newPort(cloud, demo, { network_id: multi.id, fixed_ips: [{ ip_address: '10.3.0.50' }] });
    const before = await snapshot(cloud.store, IGNORED_TABLES);
    neutronError(await put(demo, port.id, { name: 'renamed', fixed_ips: [{ ip_address: '10.3.0.50' }] }), 409, 'IpAddressAlreadyAllocated');
    assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before, 'a refused update changes nothing');
    assert.ok(taken.id);
    const none = await put(demo, port.id, { fixed_ips: [] });
    assert.deepEqual(none.body.port.fixed_ips, []);
    assert.deepEqual(none.body.port.dns_assignment, []);
  });

  it('gives SLAAC ports their EUI-64 address, refuses a hand-picked one there, and moves it with the MAC', async () => {
    const v6 = await newNetwork(cloud, demo, { name: 'v6' });
    const v4 = await newSubnet(cloud, demo, v6.id, '10.6.0.0/24');
    const slaac = await newSubnet(cloud, demo, v6.id, '2001:db8:6::/64', { ipv6AddressMode: 'slaac', enableDhcp: true });
    const port = await newPort(cloud, demo, { network_id: v6.id, mac_address: 'fa:16:3e:11:22:33' });
    assert.deepEqual(port.fixed_ips, [
      { subnet_id: v4.id, ip_address: '10.6.0.2' },
      { subnet_id: slaac.id, ip_address: '2001:db8:6:0:f816:3eff:fe11:2233' },
    ]);
    neutronError(await post(demo, { network_id: v6.id, fixed_ips: [{ subnet_id: slaac.id, ip_address: '2001:db8:6::99' }] }), 400, 'InvalidInput');
    const kept = await put(demo, port.id, { fixed_ips: [{ subnet_id: v4.id, ip_address: '10.6.0.9' }] });
    assert.deepEqual(kept.body.port.fixed_ips.map((f: Json) => f.ip_address), ['10.6.0.9', '2001:db8:6:0:f816:3eff:fe11:2233'], 'the SLAAC address stays');
    const moved = await put(admin, port.id, { mac_address: 'fa:16:3e:44:55:66' });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(moved.body.port.fixed_ips.map((f: Json) => f.ip_address), ['10.6.0.9', '2001:db8:6:0:f816:3eff:fe44:5566']);
  });

  it('keeps MACs unique per network; the network owner and admins may choose one, only admins change it', async () => {
    const first = await newPort(cloud, demo, { network_id: net.id, mac_address: 'FA:16:3E:00:00:01' });
    assert.equal(first.mac_address, 'fa:16:3e:00:00:01');
    neutronError(await post(admin, { network_id: net.id, mac_address: 'fa:16:3e:00:00:01' }), 409, 'MacAddressInUse');
    neutronError(await post(demo, { network_id: net.id, mac_address: '01:00:5e:00:00:01' }), 400, 'HTTPBadRequest');
    const elsewhere = await newNetwork(cloud, demo, { name: 'elsewhere' });
    assert.equal((await newPort(cloud, demo, { network_id: elsewhere.id, mac_address: 'fa:16:3e:00:00:01' })).mac_address, 'fa:16:3e:00:00:01');
    neutronError(await put(demo, first.id, { mac_address: 'fa:16:3e:00:00:02' }), 403, 'PolicyNotAuthorized');
    const changed = await put(admin, first.id, { mac_address: 'fa:16:3e:00:00:02' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.port.mac_address, 'fa:16:3e:00:00:02');
    const second = await newPort(cloud, demo, { network_id: net.id });
    neutronError(await put(admin, second.id, { mac_address: 'fa:16:3e:00:00:02' }), 409, 'MacAddressInUse');
    const regenerated = await put(admin, second.id, { mac_address: null });
    assert.match(regenerated.body.port.mac_address, /^fa:16:3e:/);
    assert.notEqual(regenerated.body.port.mac_address, second.mac_address);
    // An agent bound the port: its MAC is now fixed.
    await cloud.store.db.updateTable('ports').set({ binding_vif_type: 'ovs', binding_host_id: 'compute1' }).where('id', '=', second.id).execute();
    neutronError(await put(admin, second.id, { mac_address: 'fa:16:3e:00:00:09' }), 409, 'PortBound');
  });

  it('hides other projects\' ports and networks, and lets a member use a shared network within limits', async () => {
    const mine = await newPort(cloud, demo, { network_id: net.id, name: 'demo-private' });
    const adminNet = await newNetwork(cloud, admin, { name: 'admin-private' });
    neutronError(await post(demo, { network_id: adminNet.id }), 404, 'NetworkNotFound');
    const adminPort = await newPort(cloud, admin, { network_id: adminNet.id });
    neutronError(await get(demo, `ports/${adminPort.id}`), 404, 'PortNotFound');
    neutronError(await put(demo, adminPort.id, { name: 'x' }), 404, 'PortNotFound');
    neutronError(await del(demo, adminPort.id), 404, 'PortNotFound');
    const listed = (await get(demo, 'ports')).body.ports.map((p: Json) => p.id);
    assert.ok(listed.includes(mine.id));
    assert.ok(!listed.includes(adminPort.id));

    const external = await newNetwork(cloud, admin, { name: 'ext', 'router:external': true });
    neutronError(await post(demo, { network_id: external.id }), 404, 'HTTPNotFound');
    const shared = await newNetwork(cloud, admin, { name: 'shared', shared: true });
    const sharedSubnet = await newSubnet(cloud, admin, shared.id, '10.5.0.0/24');
    const onShared = await newPort(cloud, demo, { network_id: shared.id, fixed_ips: [{ subnet_id: sharedSubnet.id }] });
    assert.equal(onShared.project_id, demoProject);
    neutronError(await post(demo, { network_id: shared.id, fixed_ips: [{ ip_address: '10.5.0.77' }] }), 403, 'PolicyNotAuthorized');
    neutronError(await post(demo, { network_id: shared.id, mac_address: 'fa:16:3e:aa:aa:aa' }), 403, 'PolicyNotAuthorized');
    neutronError(await post(demo, { network_id: shared.id, device_owner: 'network:dhcp' }), 403, 'PolicyNotAuthorized');
    neutronError(await post(demo, { network_id: shared.id, port_security_enabled: false }), 403, 'PolicyNotAuthorized');
    neutronError(await post(demo, { network_id: shared.id, allowed_address_pairs: [{ ip_address: '10.5.0.9' }] }), 403, 'PolicyNotAuthorized');
    neutronError(await post(demo, { network_id: net.id, 'binding:host_id': 'compute1' }), 403, 'PolicyNotAuthorized');
    neutronError(await post(demo, { network_id: net.id, 'binding:profile': {} }), 403, 'PolicyNotAuthorized');
    assert.equal((await newPort(cloud, demo, { network_id: net.id, device_owner: 'network:dhcp' })).device_owner, 'network:dhcp', 'the network owner may');
    neutronError(await post(demo, { network_id: net.id, tenant_id: adminNet.project_id }), 403, 'PolicyNotAuthorized');

    // The network owner sees (and may delete) another project's port on its network.
    const adminOnDemoNet = await newPort(cloud, admin, { network_id: net.id, tenant_id: adminNet.project_id, name: 'guest' });
    assert.equal(adminOnDemoNet.project_id, adminNet.project_id);
    assert.equal((await get(demo, `ports/${adminOnDemoNet.id}`)).status, 200);
    neutronError(await put(demo, adminOnDemoNet.id, { name: 'mine now' }), 403, 'PolicyNotAuthorized');
    assert.equal((await del(demo, adminOnDemoNet.id)).status, 204);
  });

  it('lets a reader look but not touch', async () => {
    const user = await newUser(cloud);
    await grant(cloud, 'projects', demoProject, 'users', user.id, 'reader');
    const reader = await tokenFor(cloud, user, demoProject);
    assert.ok(reader);
    const port = await newPort(cloud, demo, { network_id: net.id, name: 'looked-at' });
    assert.equal((await get(reader, `ports/${port.id}`)).status, 200);
    const before = await snapshot(cloud.store, IGNORED_TABLES);
    neutronError(await post(reader, { network_id: net.id }), 403, 'PolicyNotAuthorized');
    neutronError(await put(reader, port.id, { name: 'x' }), 403, 'PolicyNotAuthorized');
    neutronError(await del(reader, port.id), 403, 'PolicyNotAuthorized');
    assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before);
  });

  it('bumps revision_number and updated_at on a change only, and refuses read-only attributes', async () => {
    const port = await newPort(cloud, demo, { network_id: net.id, name: 'rev' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const same = await put(demo, port.id, { name: 'rev' });
    assert.equal(same.body.port.revision_number, 1);
    const renamed = await put(demo, port.id, { name: 'rev2', admin_state_up: false, description: 'd', device_id: 'vm-1', device_owner: 'compute:nova' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.port.revision_number, 2);
    assert.equal(renamed.body.port.admin_state_up, false);
    assert.equal(renamed.body.port.device_id, 'vm-1');
    assert.notEqual(renamed.body.port.updated_at, port.updated_at);
    neutronError(await put(demo, port.id, { status: 'ACTIVE' }), 400, 'HTTPBadRequest');
    neutronError(await put(admin, port.id, { network_id: net.id }), 400, 'HTTPBadRequest');
    neutronError(await post(demo, { network_id: net.id, status: 'ACTIVE' }), 400, 'HTTPBadRequest');
    neutronError(await post(demo, { network_id: net.id, bogus: 1 }), 400, 'HTTPBadRequest');
    neutronError(await post(demo, { name: 'no network' }), 400, 'HTTPBadRequest');
    neutronError(await post(demo, { network_id: 'not-a-uuid' }), 400, 'HTTPBadRequest');
    neutronError(await put(demo, port.id, { admin_state_up: 'maybe' }), 400, 'HTTPBadRequest');
    neutronError(await put(demo, '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11', { name: 'x' }), 404, 'PortNotFound');
  });

  it('creates in bulk atomically', async () => {
    const ok = await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { ports: [{ network_id: net.id, name: 'b1' }, { network_id: net.id, name: 'b2' }] } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.ports.map((p: Json) => p.name), ['b1', 'b2']);
    const before = await snapshot(cloud.store, IGNORED_TABLES);
    const bad = await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { ports: [{ network_id: net.id, name: 'b3' }, { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.1' }] }] } });
    neutronError(bad, 400, 'InvalidIpForNetwork');
    assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before, 'the first item of a refused bulk is not created');
  });

  it('refuses to delete a router interface port directly and releases a deleted port\'s address', async () => {
    const router = await cloud.request('POST', '/network/v2.0/routers', { token: demo, body: { router: { name: 'r1' } } });
    assert.equal(router.status, 201, router.text);
    const iface = await newPort(cloud, demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.1' }] });
    const added = await cloud.request('PUT', `/network/v2.0/routers/${router.body.router.id}/add_router_interface`, { token: demo, body: { port_id: iface.id } });
    assert.equal(added.status, 200, added.text);
    neutronError(await del(demo, iface.id), 409, 'ServicePortInUse');
    neutronError(await del(admin, iface.id), 409, 'ServicePortInUse');
    // A router port whose router is gone may go.
    const orphan = await newPort(cloud, admin, { network_id: net.id, device_owner: 'network:router_interface', device_id: '9d2b5d0e-7f1c-4f51-9d4e-2a7a1f3c9b11' });
    assert.equal((await del(admin, orphan.id)).status, 204);
    const port = await newPort(cloud, demo, { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.150' }] });
    assert.ok((await allocationsOf(cloud, subnet.id)).includes('172.16.0.150'));
    assert.equal((await del(demo, port.id)).status, 204);
    assert.ok(!(await allocationsOf(cloud, subnet.id)).includes('172.16.0.150'));
    neutronError(await del(demo, port.id), 404, 'PortNotFound');
    const rows = await cloud.store.db.selectFrom('port_security_groups').select('port_id').where('port_id', '=', port.id).execute();
    assert.equal(rows.length, 0);
  });

  it('enforces the port quota', async () => {
    const user = await newUser(cloud);
    const project = (await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: 'quota-proj' } } })).body.project;
    await grant(cloud, 'projects', project.id, 'users', user.id, 'member');
    const token = await tokenFor(cloud, user, project.id);
    assert.ok(token);
    await cloud.store.db.insertInto('quotas').values({ project_id: project.id, service: 'network', resource: 'port', hard_limit: 2 }).execute();
    const qnet = await newNetwork(cloud, token, { name: 'q' });
    await newPort(cloud, token, { network_id: qnet.id });
    await newPort(cloud, token, { network_id: qnet.id });
    neutronError(await post(token, { network_id: qnet.id }), 409, 'OverQuota');
  });
});
