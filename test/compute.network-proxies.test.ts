/** Nova's proxies to Neutron over HTTP (below 2.36): os-security-groups and rules, os-floating-ips with addFloatingIp/removeFloatingIp. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { action, bootActive, makeNetwork, nova, show, type Nova } from './helpers/servers-fixtures.js';

describe('Nova network proxies', () => {
  let cloud: TestCloud;
  let demo: Nova;
  let token: string;
  let net: { networkId: string; subnetId: string };

  before(async () => {
    cloud = await startTestCloud();
    token = await cloud.token('demo');
    demo = nova(cloud, token);
    net = await makeNetwork(cloud, token);
    const adminToken = await cloud.token('admin');
    const pub = await cloud.request('POST', '/network/v2.0/networks', { token: adminToken, body: { network: { name: 'public', 'router:external': true } } });
    await cloud.request('POST', '/network/v2.0/subnets', { token: adminToken, body: { subnet: { network_id: pub.body.network.id, cidr: '172.24.4.0/24', ip_version: 4, enable_dhcp: false } } });
    const router = await cloud.request('POST', '/network/v2.0/routers', { token, body: { router: { name: 'r1', external_gateway_info: { network_id: pub.body.network.id } } } });
    assert.equal(router.status, 201, router.text);
    const iface = await cloud.request('PUT', `/network/v2.0/routers/${router.body.router.id}/add_router_interface`, { token, body: { subnet_id: net.subnetId } });
    assert.equal(iface.status, 200, iface.text);
  });
  after(async () => cloud.destroy());

  it('creates, shows, renames and deletes a security group in Nova’s shape', async () => {
    const created = await demo('POST', '/os-security-groups', { body: { security_group: { name: 'web', description: 'web servers' } } });
    assert.equal(created.status, 200, created.text);
    const g = created.body.security_group;
    assert.deepEqual(Object.keys(g).sort(), ['description', 'id', 'name', 'rules', 'tenant_id']);
    assert.deepEqual(g.rules, []);
    const list = await demo('GET', '/os-security-groups');
    assert.deepEqual(list.body.security_groups.map((x: { name: string }) => x.name).sort(), ['default', 'web']);
    const renamed = await demo('PUT', `/os-security-groups/${g.id}`, { body: { security_group: { name: 'www', description: 'd' } } });
    assert.equal(renamed.body.security_group.name, 'www');
    assert.equal((await demo('POST', '/os-security-groups', { body: { security_group: { name: '', description: 'x' } } })).status, 400);
    const dflt = list.body.security_groups.find((x: { name: string }) => x.name === 'default');
    assert.equal((await demo('DELETE', `/os-security-groups/${dflt.id}`)).status, 400);
    assert.equal((await demo('DELETE', `/os-security-groups/${g.id}`)).status, 202);
    assert.equal((await demo('GET', `/os-security-groups/${g.id}`)).status, 404);
    assert.equal((await demo('GET', '/os-security-groups', { version: '2.36' })).status, 404);
  });

  it('adds ingress rules by cidr or source group, refuses duplicates and bad ports, deletes them', async () => {
    const g = (await demo('POST', '/os-security-groups', { body: { security_group: { name: 'rules', description: 'r' } } })).body.security_group;
    const ssh = await demo('POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } } });
    assert.equal(ssh.status, 200, ssh.text);
    assert.deepEqual({ ...ssh.body.security_group_rule, id: 'x' }, { id: 'x', parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, ip_range: { cidr: '10.0.0.0/8' }, group: {} });
    const ping = await demo('POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'icmp', from_port: -1, to_port: -1, group_id: g.id } } });
    assert.equal(ping.status, 200, ping.text);
    assert.equal(ping.body.security_group_rule.group.name, 'rules');
    assert.equal((await demo('POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } } })).status, 400);
    assert.equal((await demo('POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'tcp', from_port: 70000, to_port: 22 } } })).status, 400);
    assert.equal((await demo('POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'gre', from_port: 1, to_port: 2 } } })).status, 400);
    const neutron = await cloud.request('GET', `/network/v2.0/security-group-rules?security_group_id=${g.id}&direction=ingress`, { token });
    assert.equal(neutron.body.security_group_rules.length, 2);
    assert.equal((await demo('DELETE', `/os-security-group-rules/${ssh.body.security_group_rule.id}`)).status, 202);
    assert.equal((await demo('GET', `/os-security-groups/${g.id}`)).body.security_group.rules.length, 1);
  });

  it('lists the security groups of a server through the proxy', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await demo('GET', `/servers/${s.id}/os-security-groups`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.security_groups.map((g: { name: string }) => g.name), ['default']);
  });

  it('allocates a floating IP from a pool, associates it with a server and releases it', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const fip = await demo('POST', '/os-floating-ips', { body: { pool: 'public' } });
    assert.equal(fip.status, 200, fip.text);
    const f = fip.body.floating_ip;
    assert.deepEqual({ ...f, id: 'x', ip: 'y' }, { id: 'x', ip: 'y', pool: 'public', fixed_ip: null, instance_id: null });
    assert.equal((await demo('POST', '/os-floating-ips', { body: { pool: 'nowhere' } })).status, 404);
    assert.deepEqual((await demo('GET', '/os-floating-ip-pools')).body, { floating_ip_pools: [{ name: 'public' }] });
    assert.equal((await action(demo, s.id, { addFloatingIp: { address: f.ip } })).status, 202);
    const shown = await show(demo, s.id);
    assert.deepEqual(shown.addresses.net1.map((a: { 'OS-EXT-IPS:type': string }) => a['OS-EXT-IPS:type']), ['fixed', 'floating']);
    assert.equal((await demo('GET', `/os-floating-ips/${f.id}`)).body.floating_ip.instance_id, s.id);
    assert.equal((await action(demo, s.id, { addFloatingIp: { address: '172.24.4.250' } })).status, 404);
    assert.equal((await action(demo, s.id, { removeFloatingIp: { address: f.ip } })).status, 202);
    assert.equal((await action(demo, s.id, { removeFloatingIp: { address: f.ip } })).status, 409);
    assert.equal((await demo('DELETE', `/os-floating-ips/${f.id}`)).status, 202);
    assert.equal((await demo('GET', `/os-floating-ips/${f.id}`)).status, 404);
  });

  it('shows networks the nova-network way: id, label and the first subnet as cidr', async () => {
    const tenant = await demo('GET', '/os-tenant-networks');
    assert.equal(tenant.status, 200, tenant.text);
    const mine = tenant.body.networks.find((n: { id: string }) => n.id === net.networkId);
    assert.deepEqual(mine, { id: net.networkId, label: 'net1', cidr: '10.10.0.0/24' });
    assert.deepEqual((await demo('GET', `/os-tenant-networks/${net.networkId}`)).body.network, mine);
    const all = await nova(cloud, await cloud.token('admin'))('GET', '/os-networks');
    const full = all.body.networks.find((n: { id: string }) => n.id === net.networkId);
    assert.equal(full.label, 'net1');
    assert.equal(full.vlan, null);
    assert.equal((await demo('GET', '/os-tenant-networks', { version: '2.36' })).status, 404);
    assert.equal((await demo('GET', '/os-tenant-networks/6f0b4d5c-7c84-4c1a-9d0e-000000000000')).status, 404);
  });
});
