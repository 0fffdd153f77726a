/** The tags API on networks, security groups, ports: add, check, list, replace, remove; validation, policy, tag filters; availability zones. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPort } from '../src/network/ports/create.js';
import { startCloudWithTokens, type TestCloud } from './helpers/cloud.js';

describe('network: tags', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let net: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    const res = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name: 'tagged' } } });
    net = res.body.network.id;
  });
  after(async () => cloud.destroy());

  const tags = (token: string, path: string) => cloud.request('GET', `/network/v2.0/${path}/tags`, { token });

  it('adds, checks, lists, replaces and removes tags, bumping the revision', async () => {
    const before = (await cloud.request('GET', `/network/v2.0/networks/${net}`, { token: demo })).body.network.revision_number;
    const add = await cloud.request('PUT', `/network/v2.0/networks/${net}/tags/red`, { token: demo });
    assert.equal(add.status, 201);
    assert.equal(add.text, '');
    assert.equal((await cloud.request('PUT', `/network/v2.0/networks/${net}/tags/red`, { token: demo })).status, 201, 'adding twice is fine');
    assert.equal((await cloud.request('GET', `/network/v2.0/networks/${net}/tags/red`, { token: demo })).status, 204);
    const missing = await cloud.request('GET', `/network/v2.0/networks/${net}/tags/blue`, { token: demo });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.NeutronError.type, 'TagNotFound');
    assert.deepEqual((await tags(demo, `networks/${net}`)).body, { tags: ['red'] });
    const shown = (await cloud.request('GET', `/network/v2.0/networks/${net}`, { token: demo })).body.network;
    assert.deepEqual(shown.tags, ['red']);
    assert.equal(shown.revision_number, before + 1);
    const replaced = await cloud.request('PUT', `/network/v2.0/networks/${net}/tags`, { token: demo, body: { tags: ['a', 'b', 'with space'] } });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.body, { tags: ['a', 'b', 'with space'] });
    assert.deepEqual((await tags(demo, `networks/${net}`)).body.tags, ['a', 'b', 'with space']);
    assert.equal((await cloud.request('GET', `/network/v2.0/networks/${net}/tags/with%20space`, { token: demo })).status, 204);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/networks/${net}/tags/a`, { token: demo })).status, 204);
    const gone = await cloud.request('DELETE', `/network/v2.0/networks/${net}/tags/a`, { token: demo });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.NeutronError.type, 'TagNotFound');
    assert.equal((await cloud.request('DELETE', `/network/v2.0/networks/${net}/tags`, { token: demo })).status, 204);
    assert.deepEqual((await tags(demo, `networks/${net}`)).body.tags, []);
  });

  it('filters lists by tags, tags-any, not-tags and not-tags-any', async () => {
    const ids: Record<string, string> = {};
    for (const [name, t] of [['t1', ['x', 'y']], ['t2', ['x']], ['t3', ['z']]] as const) {
      const res = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name } } });
      ids[name] = res.body.network.id;
      await cloud.request('PUT', `/network/v2.0/networks/${ids[name]}/tags`, { token: demo, body: { tags: t } });
    }
    const names = async (query: string) => (await cloud.request('GET', `/network/v2.0/networks?${query}`, { token: demo }))
      .body.networks.map((n: { name: string }) => n.name).filter((n: string) => /^t\d$/.test(n)).sort();
    assert.deepEqual(await names('tags=x,y'), ['t1']);
    assert.deepEqual(await names('tags-any=y,z'), ['t1', 't3']);
    assert.deepEqual(await names('not-tags=x,y'), ['t2', 't3']);
    assert.deepEqual(await names('not-tags-any=x'), ['t3']);
  });

  it('validates tags: length, type, duplicates, count', async () => {
    const long = 'x'.repeat(256);
    const cases: [string, string, unknown, number, string][] = [
      ['PUT', `networks/${net}/tags/${long}`, undefined, 400, 'InvalidInput'],
      ['PUT', `networks/${net}/tags`, { tags: [long] }, 400, 'InvalidInput'],
      ['PUT', `networks/${net}/tags`, { tags: 'red' }, 400, 'InvalidInput'],
      ['PUT', `networks/${net}/tags`, { tags: [1] }, 400, 'InvalidInput'],
      ['PUT', `networks/${net}/tags`, { tags: ['a', 'a'] }, 400, 'InvalidInput'],
      ['PUT', `networks/${net}/tags`, { labels: [] }, 400, 'InvalidInput'],
      ['PUT', `networks/${net}/tags`, { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 400, 'BadRequest'],
    ];
    for (const [method, path, body, status, type] of cases) {
      const res = await cloud.request(method, `/network/v2.0/${path}`, { token: demo, body });
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)?.slice(0, 60)}: ${res.text}`);
      assert.equal(res.body.NeutronError.type, type);
    }
    assert.equal((await cloud.request('PUT', `/network/v2.0/networks/${net}/tags/${'y'.repeat(255)}`, { token: demo })).status, 201);
    await cloud.request('DELETE', `/network/v2.0/networks/${net}/tags`, { token: demo });
  });

  it('tags security groups and ports too, and hides or protects other projects\' resources', async () => {
    const group = (await cloud.request('GET', '/network/v2.0/security-groups', { token: demo })).body.security_groups[0].id;
    assert.equal((await cloud.request('PUT', `/network/v2.0/security-groups/${group}/tags/web`, { token: demo })).status, 201);
    assert.deepEqual((await cloud.request('GET', `/network/v2.0/security-groups?tags=web`, { token: demo })).body.security_groups.map((g: { id: string }) => g.id), [group]);
    const demoProject = (await cloud.request('GET', `/network/v2.0/networks/${net}`, { token: demo })).body.network.project_id;
    const port = await cloud.store.transaction((tx) => createPort(tx, { networkId: net, projectId: demoProject }));
    assert.equal((await cloud.request('PUT', `/network/v2.0/ports/${port.id}/tags`, { token: demo, body: { tags: ['p'] } })).status, 200);
    assert.deepEqual((await tags(demo, `ports/${port.id}`)).body.tags, ['p']);
    const adminNet = (await cloud.request('POST', '/network/v2.0/networks', { token: admin, body: { network: { name: 'private' } } })).body.network.id;
    const hidden = await cloud.request('PUT', `/network/v2.0/networks/${adminNet}/tags/mine`, { token: demo });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.NeutronError.type, 'TagResourceNotFound');
    const shared = (await cloud.request('POST', '/network/v2.0/networks', { token: admin, body: { network: { name: 'pub', shared: true } } })).body.network.id;
    assert.equal((await cloud.request('PUT', `/network/v2.0/networks/${shared}/tags/x`, { token: admin })).status, 201);
    assert.deepEqual((await tags(demo, `networks/${shared}`)).body.tags, ['x'], 'readers of a shared network read its tags');
    const refused = await cloud.request('DELETE', `/network/v2.0/networks/${shared}/tags/x`, { token: demo });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await cloud.request('GET', '/network/v2.0/networks/3f8c1b52-5c9e-4a0e-9a60-1c2d3e4f5a6b/tags', { token: admin })).status, 404);
  });

  it('lists the availability zone nova for networks and routers', async () => {
    const res = await cloud.request('GET', '/network/v2.0/availability_zones', { token: demo });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.availability_zones, [
      { name: 'nova', resource: 'network', state: 'available' },
      { name: 'nova', resource: 'router', state: 'available' },
    ]);
    const routers = await cloud.request('GET', '/network/v2.0/availability_zones?resource=router', { token: demo });
    assert.equal(routers.body.availability_zones.length, 1);
  });
});
