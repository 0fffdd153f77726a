/**
 * Subnet pools over HTTP: create/list/show/update/delete, prefix compaction and bounds, subnets
 * allocated from a pool (any block or a specific CIDR), default pools, prefix operations,
 * admin-only attributes and visibility.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { snapshot } from './helpers/snapshot.js';

describe('network: subnet pools', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  before(async () => ({ cloud, admin, demo } = await startCloudWithTokens()));
  after(async () => cloud.destroy());

  const api = (method: string, path: string, token: string, body?: unknown) => cloud.request(method, `/network/v2.0${path}`, { token, body });
  const pool = (token: string, body: Record<string, unknown>) => api('POST', '/subnetpools', token, { subnetpool: { name: 'p', ...body } });
  async function network(token: string): Promise<string> {
    const res = await api('POST', '/networks', token, { network: { name: 'n' } });
    assert.equal(res.status, 201, res.text);
    return res.body.network.id;
  }
  const subnet = (token: string, body: Record<string, unknown>) => api('POST', '/subnets', token, { subnet: { ip_version: 4, enable_dhcp: false, ...body } });
  function error(res: TestResponse, status: number, type: string, message?: string | RegExp): void {
    assert.equal(res.status, status, res.text);
    assert.equal(res.body.NeutronError.type, type, res.text);
    if (typeof message === 'string') assert.equal(res.body.NeutronError.message, message);
    else if (message) assert.match(res.body.NeutronError.message, message);
  }

  it('creates a pool with compacted prefixes, derived version and Neutron defaults', async () => {
    const res = await pool(demo, { prefixes: ['10.10.0.0/24', '10.10.1.0/24', '10.10.1.128/25'] });
    assert.equal(res.status, 201, res.text);
    const p = res.body.subnetpool;
    assert.deepEqual(p.prefixes, ['10.10.0.0/23']);
    assert.equal(p.ip_version, 4);
    assert.deepEqual([p.min_prefixlen, p.max_prefixlen, p.default_prefixlen], ['8', '32', '8']);
    assert.deepEqual([p.shared, p.is_default, p.default_quota, p.address_scope_id], [false, false, null, null]);
    assert.equal(p.tenant_id, p.project_id);
    assert.equal(p.revision_number, 0);
    const shown = await api('GET', `/subnetpools/${p.id}`, demo);
    assert.deepEqual(shown.body.subnetpool, p);
    const v6 = await pool(demo, { prefixes: ['2001:db8:1::/48'], default_prefixlen: 64 });
    assert.equal(v6.status, 201, v6.text);
    assert.deepEqual([v6.body.subnetpool.ip_version, v6.body.subnetpool.min_prefixlen, v6.body.subnetpool.max_prefixlen], [6, '64', '128']);
  });

  it('refuses bad prefixes and bounds', async () => {
    const before = await snapshot(cloud.store);
    error(await pool(demo, { prefixes: [] }), 400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.');
    error(await pool(demo, { prefixes: ['10.0.0.0/8', '2001:db8::/32'] }), 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
    error(await pool(demo, { prefixes: ['10.0.0.0'] }), 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.0.0.0' is not a valid IP subnet.");
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], min_prefixlen: 24, max_prefixlen: 16 }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16.');
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], max_prefixlen: 33 }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.');
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], min_prefixlen: 16, default_prefixlen: 12 }), 400, 'IllegalSubnetPoolPrefixBounds');
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], default_prefixlen: -1 }), 400, 'HTTPBadRequest');
    error(await api('POST', '/subnetpools', demo, { subnetpool: { prefixes: ['10.0.0.0/8'] } }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'name' not specified");
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], shared: true }), 403, 'PolicyNotAuthorized', '(rule:create_subnetpool:shared) is disallowed by policy');
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], is_default: true }), 403, 'PolicyNotAuthorized');
    error(await pool(demo, { prefixes: ['10.0.0.0/8'], address_scope_id: '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11' }), 404, 'AddressScopeNotFound');
    assert.deepEqual(await snapshot(cloud.store), before, 'rejected requests changed nothing');
  });

  it('allocates subnets from a pool: best-fitting free block, or the CIDR asked for if free', async () => {
    const p = (await pool(demo, { prefixes: ['10.20.0.0/16', '10.30.0.0/24'], min_prefixlen: 16, default_prefixlen: 24, max_prefixlen: 28 })).body.subnetpool;
    const net = await network(demo);
    const first = await subnet(demo, { network_id: net, subnetpool_id: p.id });
    assert.equal(first.status, 201, first.text);
    const s1 = first.body.subnet;
    // The smallest free block that fits is the /24, before the /16.
    assert.equal(s1.cidr, '10.30.0.0/24');
    assert.equal(s1.subnetpool_id, p.id);
    assert.equal(s1.gateway_ip, '10.30.0.1');
    assert.deepEqual(s1.allocation_pools, [{ start: '10.30.0.2', end: '10.30.0.254' }]);
    const net2 = await network(demo);
    const s2 = (await subnet(demo, { network_id: net2, subnetpool_id: p.id, prefixlen: 26 })).body.subnet;
    assert.equal(s2.cidr, '10.20.0.0/26');
    const s3 = await subnet(demo, { network_id: net2, subnetpool_id: p.id, cidr: '10.20.0.64/26' });
    assert.equal(s3.status, 201, s3.text);
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, cidr: '10.20.0.0/27' }), 409, 'SubnetAllocationError',
      'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.');
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, cidr: '192.168.0.0/24' }), 409, 'SubnetAllocationError');
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, prefixlen: 30 }), 400, 'MaxPrefixSubnetAllocationError',
      'Unable to allocate subnet with prefix length 30, maximum allowed prefix is 28.');
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, prefixlen: 8 }), 400, 'MinPrefixSubnetAllocationError');
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, prefixlen: 24, cidr: '10.20.1.0/24' }), 400, 'BadRequest', 'Bad subnets request: cidr and prefixlen must not be supplied together.');
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, ip_version: 6 }), 400, 'BadRequest', 'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.');
    error(await subnet(demo, { network_id: net2, subnetpool_id: p.id, allocation_pools: [{ start: '10.20.9.2', end: '10.20.9.9' }] }), 400, 'BadRequest',
      'Bad subnets request: allocation_pools allowed only for specific subnet requests..');
    // Subnets of one version on a network come from one pool.
    error(await subnet(demo, { network_id: net2, cidr: '172.30.0.0/24' }), 400, 'NetworkSubnetPoolAffinityError');
    error(await api('DELETE', `/subnetpools/${p.id}`, demo), 400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.');
    for (const s of [s1, s2, s3.body.subnet]) assert.equal((await api('DELETE', `/subnets/${s.id}`, demo)).status, 204);
    assert.equal((await api('DELETE', `/subnetpools/${p.id}`, demo)).status, 204);
    error(await api('GET', `/subnetpools/${p.id}`, demo), 404, 'SubnetPoolNotFound', `Subnet pool ${p.id} could not be found.`);
  });

  it('runs out of prefix space with Neutron\'s error, and honours the per-project pool quota', async () => {
    const p = (await pool(demo, { prefixes: ['10.40.0.0/25'], min_prefixlen: 24, default_prefixlen: 26, default_quota: 128 })).body.subnetpool;
    const net = await network(demo);
    const net2 = await network(demo);
    assert.equal((await subnet(demo, { network_id: net, subnetpool_id: p.id })).status, 201);
    assert.equal((await subnet(demo, { network_id: net2, subnetpool_id: p.id })).status, 201);
    const net3 = await network(demo);
    error(await subnet(demo, { network_id: net3, subnetpool_id: p.id, prefixlen: 28 }), 409, 'SubnetPoolQuotaExceeded', 'Per-project subnet pool prefix quota exceeded.');
    const q = await api('PUT', `/subnetpools/${p.id}`, demo, { subnetpool: { default_quota: null } });
    assert.equal(q.status, 200, q.text);
    error(await subnet(demo, { network_id: net3, subnetpool_id: p.id }), 409, 'SubnetAllocationError', 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /26.');
  });

  it('uses the default pool of the IP version; only admins mark one and only one per version', async () => {
    const d = await pool(admin, { prefixes: ['10.50.0.0/16'], default_prefixlen: 24, is_default: true, shared: true });
    assert.equal(d.status, 201, d.text);
    error(await pool(admin, { prefixes: ['10.51.0.0/16'], is_default: true }), 400, 'InvalidInput', /Only one default may exist per IP family/);
    const net = await network(demo);
    const s = await subnet(demo, { network_id: net, use_default_subnetpool: true });
    assert.equal(s.status, 201, s.text);
    assert.equal(s.body.subnet.cidr, '10.50.0.0/24');
    assert.equal(s.body.subnet.subnetpool_id, d.body.subnetpool.id);
    error(await subnet(demo, { network_id: net, use_default_subnetpool: true, ip_version: 6 }), 400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv6.');
    error(await api('PUT', `/subnetpools/${d.body.subnetpool.id}`, demo, { subnetpool: { name: 'mine' } }), 403, 'PolicyNotAuthorized');
    const off = await api('PUT', `/subnetpools/${d.body.subnetpool.id}`, admin, { subnetpool: { is_default: false } });
    assert.equal(off.status, 200);
    assert.equal(off.body.subnetpool.is_default, false);
  });

  it('updates prefixes only to a superset, adds and removes prefixes', async () => {
    const p = (await pool(demo, { prefixes: ['10.60.0.0/24'], min_prefixlen: 24 })).body.subnetpool;
    error(await api('PUT', `/subnetpools/${p.id}`, demo, { subnetpool: { prefixes: ['10.61.0.0/24'] } }), 400, 'IllegalSubnetPoolPrefixUpdate',
      'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.');
    error(await api('PUT', `/subnetpools/${p.id}`, demo, { subnetpool: { shared: true } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute shared');
    const up = await api('PUT', `/subnetpools/${p.id}`, demo, { subnetpool: { prefixes: ['10.60.0.0/24', '10.60.1.0/24'], name: 'grown', max_prefixlen: 28 } });
    assert.equal(up.status, 200, up.text);
    assert.deepEqual(up.body.subnetpool.prefixes, ['10.60.0.0/23']);
    assert.equal(up.body.subnetpool.max_prefixlen, '28');
    assert.equal(up.body.subnetpool.revision_number, 1);
    const added = await api('PUT', `/subnetpools/${p.id}/add_prefixes`, demo, { prefixes: ['10.60.2.0/24', '10.70.0.0/24'] });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.body, { prefixes: ['10.60.0.0/23', '10.60.2.0/24', '10.70.0.0/24'] });
    error(await api('PUT', `/subnetpools/${p.id}/add_prefixes`, demo, { prefixes: ['2001:db8::/64'] }), 400, 'PrefixVersionMismatch');
    error(await api('PUT', `/subnetpools/${p.id}/add_prefixes`, demo, { nothing: [] }), 400, 'HTTPBadRequest', 'Request body contains invalid data');
    const net = await network(demo);
    assert.equal((await subnet(demo, { network_id: net, subnetpool_id: p.id, cidr: '10.70.0.0/24' })).status, 201);
    error(await api('PUT', `/subnetpools/${p.id}/remove_prefixes`, demo, { prefixes: ['10.70.0.0/16'] }), 400, 'IllegalSubnetPoolPrefixUpdate',
      'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet.');
    const removed = await api('PUT', `/subnetpools/${p.id}/remove_prefixes`, demo, { prefixes: ['10.60.1.0/24'] });
    assert.deepEqual(removed.body, { prefixes: ['10.60.0.0/24', '10.60.2.0/24', '10.70.0.0/24'] });
  });

  it('shows a pool to its owner, admins and, when shared, everyone', async () => {
    const privateP = (await pool(admin, { prefixes: ['10.80.0.0/16'] })).body.subnetpool;
    const sharedP = (await pool(admin, { prefixes: ['10.81.0.0/16'], shared: true, name: 'shared-pool' })).body.subnetpool;
    error(await api('GET', `/subnetpools/${privateP.id}`, demo), 404, 'SubnetPoolNotFound');
    error(await api('DELETE', `/subnetpools/${privateP.id}`, demo), 404, 'SubnetPoolNotFound');
    const net = await network(demo);
    error(await subnet(demo, { network_id: net, subnetpool_id: privateP.id, prefixlen: 24 }), 404, 'SubnetPoolNotFound');
    assert.equal((await subnet(demo, { network_id: net, subnetpool_id: sharedP.id, prefixlen: 24 })).status, 201);
    const ids = (await api('GET', '/subnetpools', demo)).body.subnetpools.map((p: { id: string }) => p.id);
    assert.ok(ids.includes(sharedP.id) && !ids.includes(privateP.id));
    const byName = await api('GET', '/subnetpools?name=shared-pool&fields=id&fields=shared', demo);
    assert.deepEqual(byName.body.subnetpools, [{ id: sharedP.id, shared: true }]);
    error(await api('DELETE', `/subnetpools/${sharedP.id}`, demo), 403, 'PolicyNotAuthorized');
  });

  it('onboards a network\'s subnets into a pool', async () => {
    const p = (await pool(demo, { prefixes: ['10.90.0.0/24'], min_prefixlen: 24 })).body.subnetpool;
    const net = await network(demo);
    const a = (await subnet(demo, { network_id: net, cidr: '10.91.0.0/24' })).body.subnet;
    const b = (await subnet(demo, { network_id: net, cidr: '10.92.0.0/24' })).body.subnet;
    await subnet(demo, { network_id: net, cidr: '2001:db8:91::/64', ip_version: 6 });
    const res = await api('PUT', `/subnetpools/${p.id}/onboard_network_subnets`, demo, { network_id: net });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([...res.body].sort((x: { cidr: string }, y: { cidr: string }) => x.cidr.localeCompare(y.cidr)),
      [{ id: a.id, cidr: '10.91.0.0/24' }, { id: b.id, cidr: '10.92.0.0/24' }]);
    assert.deepEqual((await api('GET', `/subnetpools/${p.id}`, demo)).body.subnetpool.prefixes, ['10.90.0.0/24', '10.91.0.0/24', '10.92.0.0/24']);
    assert.equal((await api('GET', `/subnets/${a.id}`, demo)).body.subnet.subnetpool_id, p.id);
    error(await api('PUT', `/subnetpools/${p.id}/onboard_network_subnets`, demo, {}), 400, 'InvalidInput', 'Invalid input for operation: network_id must be specified.');
    const other = await network(demo);
    await subnet(demo, { network_id: other, cidr: '10.91.0.0/25' });
    error(await api('PUT', `/subnetpools/${p.id}/onboard_network_subnets`, demo, { network_id: other }), 400, 'IllegalSubnetPoolUpdate', /conflicts with allocated prefixes/);
    const adminNet = await network(admin);
    error(await api('PUT', `/subnetpools/${p.id}/onboard_network_subnets`, demo, { network_id: adminNet }), 404, 'NetworkNotFound');
  });
});
