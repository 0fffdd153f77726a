/** Networks: tenant VXLAN segments, provider flat/VLAN networks, policy, isolation, listing. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithTokens, startTestCloud, type TestCloud } from './helpers/cloud.js';

describe('network: networks', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  before(async () => ({ cloud, admin, demo } = await startCloudWithTokens()));
  after(async () => cloud.destroy());

  const create = (token: string, network: Record<string, unknown>) => cloud.request('POST', '/network/v2.0/networks', { token, body: { network } });

  it('gives a tenant network the first free VNI, MTU 1450, and standard attributes', async () => {
    const res = await create(demo, { name: 'user_net' });
    assert.equal(res.status, 201);
    const net = res.body.network;
    assert.equal(net.name, 'user_net');
    assert.equal(net.mtu, 1450);
    assert.equal(net.status, 'ACTIVE');
    assert.equal(net.revision_number, 1);
    assert.equal(net.tenant_id, net.project_id);
    assert.match(net.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal('provider:network_type' in net, false, 'provider attributes are admin-only');
    const shown = await cloud.request('GET', `/network/v2.0/networks/${net.id}`, { token: admin });
    assert.equal(shown.body.network['provider:network_type'], 'vxlan');
    assert.equal(typeof shown.body.network['provider:segmentation_id'], 'number');
  });

  it('lets an admin create a flat external network once per physnet and a VLAN network', async () => {
    const flat = await create(admin, { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
    assert.equal(flat.status, 201);
    assert.equal(flat.body.network.mtu, 1500);
    assert.equal(flat.body.network['router:external'], true);
    const again = await create(admin, { name: 'public2', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
    assert.equal(again.status, 409);
    assert.equal(again.body.NeutronError.type, 'FlatNetworkInUse');
    const vlan = await create(admin, { name: 'provider-100', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
    assert.equal(vlan.status, 201);
    assert.equal(vlan.body.network['provider:segmentation_id'], 100);
    const dup = await create(admin, { name: 'dup', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.NeutronError.type, 'VlanIdInUse');
    const unknown = await create(admin, { name: 'x', 'provider:network_type': 'flat', 'provider:physical_network': 'nope' });
    assert.equal(unknown.status, 400);
  });

  it('refuses provider attributes, shared and router:external from a member with 403', async () => {
    for (const body of [{ 'provider:network_type': 'vxlan' }, { shared: true }, { 'router:external': true }]) {
      const res = await create(demo, { name: 'nope', ...body });
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.equal(res.body.NeutronError.type, 'PolicyNotAuthorized');
    }
  });

  it('hides another project\'s private network behind a 404 and shows external ones', async () => {
    const mine = await create(admin, { name: 'admin-private' });
    const res = await cloud.request('GET', `/network/v2.0/networks/${mine.body.network.id}`, { token: demo });
    assert.equal(res.status, 404);
    assert.equal(res.body.NeutronError.type, 'NetworkNotFound');
    const del = await cloud.request('DELETE', `/network/v2.0/networks/${mine.body.network.id}`, { token: demo });
    assert.equal(del.status, 404);
    const list = await cloud.request('GET', '/network/v2.0/networks', { token: demo });
    const names = list.body.networks.map((n: { name: string }) => n.name);
    assert.ok(names.includes('public'));
    assert.ok(!names.includes('admin-private'));
  });

  it('answers shared per caller when an RBAC policy shares the network, and keeps * policies in step with the flag', async () => {
    const net = (await create(admin, { name: 'rbac-shared' })).body.network;
    const demoProject = (await cloud.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': demo } })).body.token.project.id;
    const policy = await cloud.request('POST', '/network/v2.0/rbac-policies', { token: admin, body: { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: demoProject } } });
    assert.equal(policy.status, 201);
    const seen = await cloud.request('GET', `/network/v2.0/networks/${net.id}`, { token: demo });
    assert.equal(seen.status, 200);
    assert.equal(seen.body.network.shared, true);
    assert.equal((await cloud.request('GET', `/network/v2.0/networks/${net.id}`, { token: admin })).body.network.shared, false);
    const flagged = (await create(admin, { name: 'flag-shared', shared: true })).body.network;
    const wildcard = await cloud.request('GET', `/network/v2.0/rbac-policies?object_id=${flagged.id}&target_tenant=*`, { token: admin });
    assert.equal(wildcard.body.rbac_policies.length, 1);
    await cloud.request('PUT', `/network/v2.0/networks/${flagged.id}`, { token: admin, body: { network: { shared: false } } });
    const none = await cloud.request('GET', `/network/v2.0/rbac-policies?object_id=${flagged.id}&target_tenant=*`, { token: admin });
    assert.equal(none.body.rbac_policies.length, 0);
  });

  it('filters, projects fields, sorts and paginates', async () => {
    for (const name of ['p-a', 'p-b', 'p-c']) assert.equal((await create(demo, { name })).status, 201);
    const filtered = await cloud.request('GET', '/network/v2.0/networks?name=p-a&name=p-c&fields=name&fields=id', { token: demo });
    assert.deepEqual(filtered.body.networks.map((n: { name: string }) => n.name).sort(), ['p-a', 'p-c']);
    assert.deepEqual(Object.keys(filtered.body.networks[0]).sort(), ['id', 'name']);
    const bad = await cloud.request('GET', '/network/v2.0/networks?colour=blue', { token: demo });
    assert.equal(bad.status, 400);
    const page1 = await cloud.request('GET', '/network/v2.0/networks?sort_key=name&sort_dir=asc&limit=2', { token: demo });
    assert.equal(page1.body.networks.length, 2);
    const next = page1.body.networks_links.find((l: { rel: string }) => l.rel === 'next');
    assert.ok(next);
    const page2 = await cloud.request('GET', new URL(next.href).pathname + new URL(next.href).search, { token: demo });
    const all = await cloud.request('GET', '/network/v2.0/networks?sort_key=name&sort_dir=asc', { token: demo });
    assert.deepEqual([...page1.body.networks, ...page2.body.networks].map((n: { id: string }) => n.id), all.body.networks.slice(0, 2 + page2.body.networks.length).map((n: { id: string }) => n.id));
  });

  it('updates with a revision bump and deletes, freeing the VNI', async () => {
    const net = (await create(demo, { name: 'temp' })).body.network;
    const upd = await cloud.request('PUT', `/network/v2.0/networks/${net.id}`, { token: demo, body: { network: { name: 'renamed', mtu: 1400 } } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.network.name, 'renamed');
    assert.equal(upd.body.network.mtu, 1400);
    assert.equal(upd.body.network.revision_number, 2);
    const tooBig = await cloud.request('PUT', `/network/v2.0/networks/${net.id}`, { token: demo, body: { network: { mtu: 9000 } } });
    assert.equal(tooBig.status, 400);
    const unknownAttr = await cloud.request('PUT', `/network/v2.0/networks/${net.id}`, { token: demo, body: { network: { colour: 'blue' } } });
    assert.equal(unknownAttr.status, 400);
    const vni = (await cloud.request('GET', `/network/v2.0/networks/${net.id}`, { token: admin })).body.network['provider:segmentation_id'];
    assert.equal((await cloud.request('DELETE', `/network/v2.0/networks/${net.id}`, { token: demo })).status, 204);
    const reused = (await create(demo, { name: 'reuse' })).body.network;
    const reusedVni = (await cloud.request('GET', `/network/v2.0/networks/${reused.id}`, { token: admin })).body.network['provider:segmentation_id'];
    assert.equal(reusedVni, vni);
  });

  it('deletes an external network together with its unassociated floating IPs', async () => {
    const ext = (await create(admin, { name: 'ext-fip', 'router:external': true })).body.network;
    const subnet = await cloud.request('POST', '/network/v2.0/subnets', { token: admin, body: { subnet: { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4, enable_dhcp: false } } });
    assert.equal(subnet.status, 201);
    const fip = await cloud.request('POST', '/network/v2.0/floatingips', { token: admin, body: { floatingip: { floating_network_id: ext.id } } });
    assert.equal(fip.status, 201);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/networks/${ext.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('GET', `/network/v2.0/floatingips/${fip.body.floatingip.id}`, { token: admin })).status, 404);
    assert.equal((await cloud.request('GET', `/network/v2.0/subnets/${subnet.body.subnet.id}`, { token: admin })).status, 404);
  });

  it('reports exhaustion of the VNI range with Neutron\'s error', async () => {
    const small = await startTestCloud({ overrides: { network: { vniRanges: [[1, 2]] } } });
    try {
      const token = await small.token('demo');
      assert.equal((await small.request('POST', '/network/v2.0/networks', { token, body: { network: { name: 'a' } } })).status, 201);
      assert.equal((await small.request('POST', '/network/v2.0/networks', { token, body: { network: { name: 'b' } } })).status, 201);
      const res = await small.request('POST', '/network/v2.0/networks', { token, body: { network: { name: 'c' } } });
      assert.equal(res.status, 503);
      assert.equal(res.body.NeutronError.type, 'NoNetworkAvailable');
    } finally {
      await small.destroy();
    }
  });
});
