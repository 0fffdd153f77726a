/**
 * Subnets over HTTP: defaults (gateway, pools), validation as Neutron words it, the DHCP port
 * that follows DHCP-enabled subnets, update and delete rules, visibility and policy, bulk
 * atomicity, IPv6 modes, and network IP availability.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPort } from '../src/network/ports/create.js';
import { startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { snapshot } from './helpers/snapshot.js';

describe('network: subnets', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  before(async () => ({ cloud, admin, demo } = await startCloudWithTokens()));
  after(async () => cloud.destroy());

  const api = (method: string, path: string, token: string, body?: unknown) => cloud.request(method, `/network/v2.0${path}`, { token, body });
  async function network(token: string, extra: Record<string, unknown> = {}): Promise<{ id: string; project_id: string }> {
    const res = await api('POST', '/networks', token, { network: { name: 'n', ...extra } });
    assert.equal(res.status, 201, res.text);
    return res.body.network;
  }
  const subnet = (token: string, body: Record<string, unknown>) => api('POST', '/subnets', token, { subnet: { ip_version: 4, ...body } });
  function error(res: TestResponse, status: number, type: string, message?: string | RegExp): void {
    assert.equal(res.status, status, res.text);
    assert.equal(res.body.NeutronError.type, type, res.text);
    if (typeof message === 'string') assert.equal(res.body.NeutronError.message, message);
    else if (message) assert.match(res.body.NeutronError.message, message);
  }
  async function dhcpPorts(networkId: string) {
    const ports = await cloud.store.db.selectFrom('ports').selectAll().where('network_id', '=', networkId).where('device_owner', '=', 'network:dhcp').execute();
    const allocations = await cloud.store.db.selectFrom('ip_allocations').selectAll().where('network_id', '=', networkId).execute();
    return ports.map((p) => ({ ...p, ips: allocations.filter((a) => a.port_id === p.id).map((a) => a.ip_address).sort() }));
  }
  async function userPort(networkId: string, projectId: string, deviceOwner = 'compute:nova') {
    return cloud.store.transaction((tx) => createPort(tx, { networkId, projectId, deviceOwner }));
  }

  it('creates the seed 000 subnet with Neutron defaults and a DHCP port at 172.16.0.2', async () => {
    const net = await network(demo, { name: 'user_net' });
    const res = await subnet(demo, { name: 'user_subnet', network_id: net.id, cidr: '172.16.0.0/24' });
    assert.equal(res.status, 201, res.text);
    const s = res.body.subnet;
    assert.equal(s.gateway_ip, '172.16.0.1');
    assert.deepEqual(s.allocation_pools, [{ start: '172.16.0.2', end: '172.16.0.254' }]);
    assert.equal(s.enable_dhcp, true);
    assert.deepEqual([s.dns_nameservers, s.host_routes, s.service_types], [[], [], []]);
    assert.deepEqual([s.ipv6_ra_mode, s.ipv6_address_mode, s.subnetpool_id, s.segment_id], [null, null, null, null]);
    assert.equal(s.tenant_id, net.project_id);
    assert.equal(s.project_id, net.project_id);
    assert.equal(s.revision_number, 0);
    assert.match(s.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal('shared' in s, false);
    const dhcp = await dhcpPorts(net.id);
    assert.equal(dhcp.length, 1);
    const port = dhcp[0]!;
    assert.deepEqual(port.ips, ['172.16.0.2']);
    assert.equal(port.status, 'DOWN');
    assert.equal(port.name, '');
    assert.equal(port.project_id, net.project_id);
    assert.match(port.device_id, new RegExp(`^dhcp[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-${net.id}$`));
    const groups = await cloud.store.db.selectFrom('port_security_groups').select('security_group_id').where('port_id', '=', port.id).execute();
    assert.deepEqual(groups, []);
    const shownNet = await api('GET', `/networks/${net.id}`, demo);
    assert.deepEqual(shownNet.body.network.subnets, [s.id]);
    // A user port now gets the next free address.
    const user = await userPort(net.id, net.project_id);
    const ip = await cloud.store.db.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(ip.ip_address, '172.16.0.3');
  });

  it('keeps one DHCP port across DHCP subnets and drops it with the last one', async () => {
    const net = await network(demo);
    const a = (await subnet(demo, { network_id: net.id, cidr: '10.1.0.0/24' })).body.subnet;
    const b = await subnet(demo, { network_id: net.id, cidr: '10.2.0.0/24', gateway_ip: null });
    assert.equal(b.status, 201, b.text);
    assert.equal(b.body.subnet.gateway_ip, null);
    assert.deepEqual(b.body.subnet.allocation_pools, [{ start: '10.2.0.1', end: '10.2.0.254' }]);
    let dhcp = await dhcpPorts(net.id);
    assert.equal(dhcp.length, 1);
    assert.deepEqual(dhcp[0]!.ips, ['10.1.0.2', '10.2.0.1']);
    const off = await api('PUT', `/subnets/${a.id}`, demo, { subnet: { enable_dhcp: false } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.subnet.revision_number, 1);
    dhcp = await dhcpPorts(net.id);
    assert.deepEqual(dhcp[0]!.ips, ['10.2.0.1']);
    assert.equal((await api('DELETE', `/subnets/${b.body.subnet.id}`, demo)).status, 204);
    assert.deepEqual(await dhcpPorts(net.id), []);
    const on = await api('PUT', `/subnets/${a.id}`, demo, { subnet: { enable_dhcp: true } });
    assert.equal(on.status, 200);
    assert.deepEqual((await dhcpPorts(net.id))[0]!.ips, ['10.1.0.2']);
  });

  it('creates no DHCP port for --enable_dhcp=False with a narrow pool (seed 001)', async () => {
    const pub = await network(admin, { name: 'public', 'router:external': true });
    const res = await subnet(admin, {
      name: 'public_subnet', network_id: pub.id, cidr: '192.168.1.0/24', enable_dhcp: 'False', gateway_ip: '192.168.1.1',
      allocation_pools: [{ start: '192.168.1.50', end: '192.168.1.150' }], dns_nameservers: ['192.168.1.1'],
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.subnet.allocation_pools, [{ start: '192.168.1.50', end: '192.168.1.150' }]);
    assert.deepEqual(res.body.subnet.dns_nameservers, ['192.168.1.1']);
    assert.equal(res.body.subnet.enable_dhcp, false);
    assert.deepEqual(await dhcpPorts(pub.id), []);
    // Not shared: demo sees the external network but not its subnet (Neutron before subnet-external-network).
    assert.equal((await api('GET', `/subnets/${res.body.subnet.id}`, demo)).status, 404);
    assert.equal((await api('GET', `/subnets?network_id=${pub.id}`, demo)).body.subnets.length, 0);
    assert.equal((await api('DELETE', `/subnets/${res.body.subnet.id}`, admin)).status, 204);
  });

  it('validates CIDR, gateway and pools with Neutron types and messages', async () => {
    const net = await network(demo);
    const before = await snapshot(cloud.store);
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0' }), 400, 'HTTPBadRequest', "Invalid input for cidr. Reason: '10.0.0.0' is not a valid IP subnet.");
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.256/24' }), 400, 'HTTPBadRequest');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 6 }), 400, 'InvalidInput', "Invalid input for operation: cidr '10.0.0.0/24' does not match the ip_version '6'");
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', gateway_ip: '10.0.0.255' }), 400, 'InvalidInput', 'Invalid input for operation: Gateway is not valid on subnet');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', gateway_ip: '10.0.0.5', allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.9' }] }),
      409, 'GatewayConflictWithAllocationPools', 'Gateway ip 10.0.0.5 conflicts with allocation pool 10.0.0.2-10.0.0.9.');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', allocation_pools: [{ start: '10.0.0.0', end: '10.0.0.9' }] }),
      400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.0.0.0-10.0.0.9 spans beyond the subnet cidr 10.0.0.0/24.');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', allocation_pools: [{ start: '10.0.0.20', end: '10.0.0.30' }, { start: '10.0.0.25', end: '10.0.0.40' }] }),
      409, 'OverlappingAllocationPools', 'Found overlapping allocation pools: 10.0.0.20-10.0.0.30 10.0.0.25-10.0.0.40 for subnet 10.0.0.0/24.');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', allocation_pools: [{ start: '10.0.0.9', end: '10.0.0.2' }] }),
      400, 'InvalidAllocationPool', "The allocation pool {'start': '10.0.0.9', 'end': '10.0.0.2'} is not valid.");
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', allocation_pools: [{ start: '10.0.0.2' }] }), 400, 'HTTPBadRequest', /allocation_pools/);
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', dns_nameservers: ['8.8.8.8', '8.8.8.8'] }), 400, 'HTTPBadRequest',
      "Invalid input for dns_nameservers. Reason: Duplicate nameserver '8.8.8.8'.");
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', dns_nameservers: ['2001:db8::1'] }), 400, 'InvalidInput', /dns_nameserver '2001:db8::1' does not match/);
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', dns_nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5', '1.1.1.6'] }), 400, 'DNSNameServersExhausted');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', host_routes: [{ destination: '10.9.0.1/24', nexthop: '10.0.0.9' }] }), 400, 'HTTPBadRequest',
      "Invalid input for host_routes. Reason: '10.9.0.1/24' is not a valid CIDR.");
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/31' }), 400, 'InvalidInput', /prefix length that is incompatible with DHCP/);
    error(await subnet(demo, { network_id: net.id }), 400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', color: 'red' }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'color'");
    error(await subnet(demo, { network_id: net.id, cidr: '10.0.0.0/24', service_types: ['compute:nova'] }), 403, 'PolicyNotAuthorized');
    assert.deepEqual(await snapshot(cloud.store), before, 'rejected requests changed nothing');
  });

  it('drops host bits like Neutron and refuses overlapping CIDRs on one network only', async () => {
    const net = await network(demo);
    const res = await subnet(demo, { network_id: net.id, cidr: '10.3.0.7/24', enable_dhcp: false });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.subnet.cidr, '10.3.0.0/24');
    error(await subnet(demo, { network_id: net.id, cidr: '10.3.0.128/25' }), 400, 'InvalidInput',
      `Invalid input for operation: Requested subnet with cidr: 10.3.0.128/25 for network: ${net.id} overlaps with another subnet`);
    const other = await network(demo);
    assert.equal((await subnet(demo, { network_id: other.id, cidr: '10.3.0.0/24' })).status, 201, 'overlap across networks is allowed');
  });

  it('updates what Neutron lets change and refuses the read-only attributes', async () => {
    const net = await network(demo);
    const s = (await subnet(demo, { network_id: net.id, cidr: '10.4.0.0/24', enable_dhcp: false })).body.subnet;
    error(await api('PUT', `/subnets/${s.id}`, demo, { subnet: { cidr: '10.5.0.0/24' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute cidr');
    error(await api('PUT', `/subnets/${s.id}`, demo, { subnet: { allocation_pools: [{ start: '10.4.0.1', end: '10.4.0.20' }] } }),
      409, 'GatewayConflictWithAllocationPools');
    const res = await api('PUT', `/subnets/${s.id}`, demo, {
      subnet: {
        name: 'renamed', gateway_ip: '10.4.0.254', allocation_pools: [{ start: '10.4.0.10', end: '10.4.0.20' }, { start: '10.4.0.100', end: '10.4.0.110' }],
        dns_nameservers: ['8.8.4.4', '8.8.8.8'], host_routes: [{ destination: '10.20.0.0/32', nexthop: '10.4.0.2' }],
      },
    });
    assert.equal(res.status, 200, res.text);
    const u = res.body.subnet;
    assert.equal(u.name, 'renamed');
    assert.equal(u.gateway_ip, '10.4.0.254');
    assert.deepEqual(u.allocation_pools, [{ start: '10.4.0.10', end: '10.4.0.20' }, { start: '10.4.0.100', end: '10.4.0.110' }]);
    assert.deepEqual(u.dns_nameservers, ['8.8.4.4', '8.8.8.8']);
    assert.deepEqual(u.host_routes, [{ destination: '10.20.0.0/32', nexthop: '10.4.0.2' }]);
    assert.equal(u.revision_number, 1);
    const shown = (await api('GET', `/subnets/${s.id}?fields=id&fields=gateway_ip`, demo)).body.subnet;
    assert.deepEqual(shown, { id: s.id, gateway_ip: '10.4.0.254' });
  });

  it('refuses to delete a subnet a port uses (409 SubnetInUse), frees the DHCP address otherwise', async () => {
    const net = await network(demo);
    const s = (await subnet(demo, { network_id: net.id, cidr: '10.6.0.0/24' })).body.subnet;
    const port = await userPort(net.id, net.project_id);
    error(await api('DELETE', `/subnets/${s.id}`, demo), 409, 'SubnetInUse',
      `Unable to complete operation on subnet ${s.id}: One or more ports have an IP allocation from this subnet.`);
    assert.equal((await dhcpPorts(net.id)).length, 1, 'the refused delete changed nothing');
    await cloud.store.transaction(async (tx) => {
      await tx.deleteFrom('ip_allocations').where('port_id', '=', port.id).execute();
      await tx.deleteFrom('port_security_groups').where('port_id', '=', port.id).execute();
      await tx.deleteFrom('ports').where('id', '=', port.id).execute();
    });
    assert.equal((await api('DELETE', `/subnets/${s.id}`, demo)).status, 204);
    assert.deepEqual(await dhcpPorts(net.id), []);
    assert.equal((await api('GET', `/subnets/${s.id}`, demo)).status, 404);
    assert.deepEqual((await api('GET', `/networks/${net.id}`, demo)).body.network.subnets, []);
  });

  it('deleting the network deletes its subnets and DHCP port', async () => {
    const net = await network(demo);
    const s = (await subnet(demo, { network_id: net.id, cidr: '10.7.0.0/24' })).body.subnet;
    assert.equal((await api('DELETE', `/networks/${net.id}`, demo)).status, 204);
    assert.equal((await api('GET', `/subnets/${s.id}`, demo)).status, 404);
    assert.deepEqual(await dhcpPorts(net.id), []);
  });

  it('applies Neutron policy: owner or admin creates; another project sees 404; shared networks show their subnets', async () => {
    const mine = await network(demo);
    const theirs = await network(admin);
    error(await subnet(demo, { network_id: theirs.id, cidr: '10.8.0.0/24' }), 404, 'NetworkNotFound');
    const hidden = (await subnet(admin, { network_id: theirs.id, cidr: '10.8.0.0/24' })).body.subnet;
    for (const [method, body] of [['GET', undefined], ['PUT', { subnet: { name: 'x' } }], ['DELETE', undefined]] as const) {
      error(await api(method, `/subnets/${hidden.id}`, demo, body), 404, 'SubnetNotFound', `Subnet ${hidden.id} could not be found.`);
    }
    const shared = await network(admin, { shared: true });
    const sharedSubnet = (await subnet(admin, { network_id: shared.id, cidr: '10.9.0.0/24' })).body.subnet;
    error(await subnet(demo, { network_id: shared.id, cidr: '10.10.0.0/24' }), 403, 'PolicyNotAuthorized', '(rule:create_subnet) is disallowed by policy');
    assert.equal((await api('GET', `/subnets/${sharedSubnet.id}`, demo)).status, 200);
    error(await api('PUT', `/subnets/${sharedSubnet.id}`, demo, { subnet: { name: 'x' } }), 403, 'PolicyNotAuthorized');
    const mineSubnet = (await subnet(demo, { network_id: mine.id, cidr: '10.11.0.0/24' })).body.subnet;
    const listed = (await api('GET', '/subnets', demo)).body.subnets.map((x: { id: string }) => x.id);
    assert.ok(listed.includes(sharedSubnet.id) && listed.includes(mineSubnet.id) && !listed.includes(hidden.id));
    const sharedOnly = (await api('GET', '/subnets?shared=true', demo)).body.subnets.map((x: { id: string }) => x.id);
    assert.deepEqual(sharedOnly, [sharedSubnet.id]);
    error(await api('GET', '/subnets?colour=red', demo), 400, 'HTTPBadRequest', '[colour] is invalid attribute for filtering');
    const reader = await api('GET', `/subnets?network_id=${mine.id}&fields=cidr`, demo);
    assert.deepEqual(reader.body.subnets, [{ cidr: '10.11.0.0/24' }]);
  });

  it('creates subnets in bulk atomically', async () => {
    const [n1, n2] = [await network(demo), await network(demo)];
    const ok = await api('POST', '/subnets', demo, { subnets: [{ network_id: n1.id, cidr: '10.12.0.0/28', ip_version: 4 }, { network_id: n2.id, cidr: '10.12.0.16/28', ip_version: 4, name: 'b' }] });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.subnets.length, 2);
    const before = await snapshot(cloud.store);
    const bad = await api('POST', '/subnets', demo, { subnets: [{ network_id: n1.id, cidr: '10.13.0.0/28', ip_version: 4 }, { network_id: n2.id, cidr: '10.12.0.16/28', ip_version: 4 }] });
    error(bad, 400, 'InvalidInput', /overlaps with another subnet/);
    assert.deepEqual(await snapshot(cloud.store), before, 'the first subnet of a failed bulk was not kept');
  });

  it('enforces the subnet quota', async () => {
    const net = await network(demo);
    const project = net.project_id;
    const used = Number((await cloud.store.db.selectFrom('subnets').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', project).executeTakeFirstOrThrow()).n);
    await cloud.store.db.insertInto('quotas').values({ project_id: project, service: 'network', resource: 'subnet', hard_limit: used + 1 }).execute();
    try {
      assert.equal((await subnet(demo, { network_id: net.id, cidr: '10.14.0.0/24', enable_dhcp: false })).status, 201);
      error(await subnet(demo, { network_id: net.id, cidr: '10.15.0.0/24' }), 409, 'OverQuota', "Quota exceeded for resources: ['subnet'].");
    } finally {
      await cloud.store.db.deleteFrom('quotas').where('project_id', '=', project).where('resource', '=', 'subnet').execute();
    }
  });

  it('handles IPv6: default gateway, pools, RA/address modes, SLAAC addresses and deletion with ports', async () => {
    const net = await network(demo);
    const stateful = await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:1::/64', ip_version: 6 });
    assert.equal(stateful.status, 201, stateful.text);
    assert.equal(stateful.body.subnet.gateway_ip, '2001:db8:0:1::');
    assert.deepEqual(stateful.body.subnet.allocation_pools, [{ start: '2001:db8:0:1::1', end: '2001:db8:0:1:ffff:ffff:ffff:ffff' }]);
    assert.deepEqual((await dhcpPorts(net.id))[0]!.ips, ['2001:db8:0:1::1']);
    error(await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:2::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }), 400, 'InvalidInput',
      /ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid/);
    error(await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:2::/80', ip_version: 6, ipv6_address_mode: 'slaac' }), 400, 'InvalidInput', /requires the prefix to be \/64/);
    error(await subnet(demo, { network_id: net.id, cidr: '10.16.0.0/24', ipv6_ra_mode: 'slaac' }), 400, 'InvalidInput', 'Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4');
    error(await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:2::/64', ip_version: 6, ipv6_address_mode: 'slaac', enable_dhcp: false }), 400, 'InvalidInput');
    error(await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:2::/64', ip_version: 6, ipv6_address_mode: 'bogus' }), 400, 'HTTPBadRequest');
    const port = await userPort(net.id, net.project_id);
    const slaac = await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:2::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    assert.equal(slaac.status, 201, slaac.text);
    const eui = await cloud.store.db.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', port.id).where('subnet_id', '=', slaac.body.subnet.id).execute();
    assert.equal(eui.length, 1, 'an existing port got its EUI-64 address on the new SLAAC subnet');
    assert.match(eui[0]!.ip_address, /^2001:db8:0:2:f816:3eff:fe/);
    error(await api('PUT', `/subnets/${slaac.body.subnet.id}`, demo, { subnet: { enable_dhcp: false } }), 400, 'InvalidInput', 'Invalid input for operation: Cannot disable enable_dhcp with ipv6 attributes set');
    // Automatic addresses do not keep a SLAAC subnet in use.
    assert.equal((await api('DELETE', `/subnets/${slaac.body.subnet.id}`, demo)).status, 204);
    assert.equal((await api('DELETE', `/subnets/${stateful.body.subnet.id}`, demo)).status, 409, 'a stateful address does');
  });

  it('reports network IP availability to admins only', async () => {
    const net = await network(demo, { name: 'avail' });
    const s = (await subnet(demo, { network_id: net.id, cidr: '10.17.0.0/24', allocation_pools: [{ start: '10.17.0.10', end: '10.17.0.19' }] })).body.subnet;
    await userPort(net.id, net.project_id);
    const v6 = (await subnet(demo, { network_id: net.id, cidr: '2001:db8:0:9::/64', ip_version: 6 })).body.subnet;
    const res = await api('GET', `/network-ip-availabilities/${net.id}`, admin);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /"total_ips":18446744073709551625/, 'IPv6 totals are exact');
    const a = res.body.network_ip_availability;
    assert.equal(a.network_name, 'avail');
    assert.equal(a.project_id, net.project_id);
    assert.equal(a.tenant_id, net.project_id);
    const v4 = a.subnet_ip_availability.find((x: { subnet_id: string }) => x.subnet_id === s.id);
    assert.deepEqual(v4, { subnet_id: s.id, subnet_name: '', ip_version: 4, cidr: '10.17.0.0/24', used_ips: 2, total_ips: 10 });
    assert.equal(a.subnet_ip_availability.find((x: { subnet_id: string }) => x.subnet_id === v6.id).used_ips, 1, 'the DHCP port');
    assert.equal(a.used_ips, 3);
    const list = await api('GET', `/network-ip-availabilities?ip_version=4&network_name=avail`, admin);
    assert.equal(list.body.network_ip_availabilities.length, 1);
    assert.deepEqual(list.body.network_ip_availabilities[0].subnet_ip_availability.map((x: { ip_version: number }) => x.ip_version), [4]);
    assert.deepEqual((await api('GET', '/network-ip-availabilities', demo)).body.network_ip_availabilities, []);
    error(await api('GET', `/network-ip-availabilities/${net.id}`, demo), 404, 'HTTPNotFound');
    error(await api('GET', '/network-ip-availabilities/0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11', admin), 404, 'NetworkNotFound');
  });

  it('honours subnet service types in IPAM (admin sets them)', async () => {
    const net = await network(admin);
    const nova = await subnet(admin, { network_id: net.id, cidr: '10.18.0.0/24', service_types: ['compute:nova'], enable_dhcp: false });
    assert.equal(nova.status, 201, nova.text);
    assert.deepEqual(nova.body.subnet.service_types, ['compute:nova']);
    error(await subnet(admin, { network_id: net.id, cidr: '10.19.0.0/24', service_types: ['bogus:x'] }), 400, 'InvalidSubnetServiceType',
      'Subnet service type bogus:x does not correspond to a valid device owner.');
    const addressOf = async (portId: string) => (await cloud.store.db.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', portId).execute()).map((a) => a.ip_address);
    await assert.rejects(userPort(net.id, net.project_id, 'network:router_interface'), (e: { type?: string }) => e.type === 'IpAddressGenerationFailureNoMatchingSubnet');
    const open = (await subnet(admin, { network_id: net.id, cidr: '10.19.0.0/24', enable_dhcp: false })).body.subnet;
    assert.deepEqual(await addressOf((await userPort(net.id, net.project_id, 'compute:nova')).id), ['10.18.0.2'], 'the reserved subnet first');
    assert.deepEqual(await addressOf((await userPort(net.id, net.project_id, 'network:router_interface')).id), ['10.19.0.2']);
    const changed = await api('PUT', `/subnets/${open.id}`, admin, { subnet: { service_types: ['network:router_interface'] } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body.subnet.service_types, ['network:router_interface']);
    error(await api('PUT', `/subnets/${open.id}`, demo, { subnet: { service_types: [] } }), 404, 'SubnetNotFound');
  });
});
