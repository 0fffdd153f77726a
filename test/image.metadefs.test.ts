/** Metadata definitions: namespaces with objects, properties, tags and resource type associations. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { V2 } from './helpers/image-fixtures.js';

describe('image: metadata definitions', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  before(async () => ({ cloud, admin, demo } = await startCloudWithTokens()));
  after(async () => cloud.destroy());

  const NS = `${V2}/metadefs/namespaces`;
  const call = (method: string, path: string, token: string, body?: unknown) =>
    cloud.request(method, path, { token, body, headers: { accept: 'application/json' } });

  it('lists the resource types every Glance knows', async () => {
    const res = await call('GET', `${V2}/metadefs/resource_types`, demo);
    assert.equal(res.status, 200);
    const names = res.body.resource_types.map((r: { name: string }) => r.name);
    assert.ok(names.includes('OS::Glance::Image'));
    assert.ok(names.includes('OS::Nova::Flavor'));
  });

  it('creates a namespace with nested definitions and shows them back', async () => {
    const created = await call('POST', NS, admin, {
      namespace: 'kumo::test', display_name: 'Test', description: 'd', visibility: 'public', protected: true,
      resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'hw_' }],
      objects: [{ name: 'cpu', description: 'CPU', properties: { cores: { title: 'Cores', type: 'integer' } } }],
      properties: { speed: { title: 'Speed', type: 'string', enum: ['fast', 'slow'] } },
      tags: [{ name: 't1' }],
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.namespace, 'kumo::test');
    assert.equal(created.body.self, '/v2/metadefs/namespaces/kumo::test');
    const shown = await call('GET', `${NS}/kumo::test`, demo);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.visibility, 'public');
    assert.equal(shown.body.protected, true);
    assert.equal(shown.body.resource_type_associations[0].name, 'OS::Glance::Image');
    assert.equal(shown.body.resource_type_associations[0].prefix, 'hw_');
    assert.equal(shown.body.objects[0].name, 'cpu');
    assert.deepEqual(shown.body.properties.speed, { title: 'Speed', type: 'string', enum: ['fast', 'slow'] });
    assert.deepEqual(shown.body.tags, [{ name: 't1' }]);
    assert.equal((await call('POST', NS, admin, { namespace: 'kumo::test' })).status, 409);
    assert.ok((await call('GET', NS, demo)).body.namespaces.some((n: { namespace: string }) => n.namespace === 'kumo::test'));
    assert.ok((await call('GET', `${NS}?resource_types=OS::Glance::Image`, demo)).body.namespaces.length >= 1);
    assert.equal((await call('GET', `${NS}?resource_types=OS::Nova::Server`, demo)).body.namespaces.length, 0);

    const refused = await call('DELETE', `${NS}/kumo::test`, admin);
    assert.equal(refused.status, 403, 'protected');
    const updated = await call('PUT', `${NS}/kumo::test`, admin, { namespace: 'kumo::test', visibility: 'private', protected: false });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.protected, false);
    assert.equal((await call('GET', `${NS}/kumo::test`, demo)).status, 404, 'a private namespace of another project');
    assert.equal((await call('DELETE', `${NS}/kumo::test`, admin)).status, 204);
    assert.equal((await call('GET', `${NS}/kumo::test/objects`, admin)).status, 404);
  });

  it('manages objects, properties, tags and associations inside a namespace', async () => {
    assert.equal((await call('POST', NS, admin, { namespace: 'kumo::parts' })).status, 201);
    const base = `${NS}/kumo::parts`;
    assert.equal((await call('POST', `${base}/objects`, admin, { name: 'o1', description: 'x' })).status, 201);
    assert.equal((await call('POST', `${base}/objects`, admin, { name: 'o1' })).status, 409);
    const renamed = await call('PUT', `${base}/objects/o1`, admin, { name: 'o2' });
    assert.equal(renamed.body.name, 'o2');
    assert.deepEqual((await call('GET', `${base}/objects`, admin)).body.objects.map((o: { name: string }) => o.name), ['o2']);
    assert.equal((await call('DELETE', `${base}/objects/o2`, admin)).status, 204);
    assert.equal((await call('GET', `${base}/objects/o2`, admin)).status, 404);

    const prop = await call('POST', `${base}/properties`, admin, { name: 'OS::Glance::Image', title: 'p', type: 'string' });
    assert.equal(prop.status, 201, prop.text);
    assert.equal((await call('GET', `${base}/properties/OS::Glance::Image`, admin)).body.title, 'p');
    assert.equal((await call('PUT', `${base}/properties/OS::Glance::Image`, admin, { name: 'OS::Glance::Image', title: 'q', type: 'string' })).body.title, 'q');
    assert.equal((await call('POST', `${base}/properties`, admin, { name: 'bad', title: 'x', type: 'color' })).status, 400);
    assert.equal((await call('DELETE', `${base}/properties/OS::Glance::Image`, admin)).status, 204);
    assert.deepEqual((await call('GET', `${base}/properties`, admin)).body.properties, {});

    const tags = await call('POST', `${base}/tags`, admin, { tags: [{ name: 'a' }, { name: 'b' }] });
    assert.equal(tags.status, 201);
    assert.equal((await call('POST', `${base}/tags/c`, admin)).status, 201);
    assert.equal((await call('PUT', `${base}/tags/c`, admin, { name: 'd' })).body.name, 'd');
    assert.deepEqual((await call('GET', `${base}/tags`, admin)).body.tags.map((t: { name: string }) => t.name).sort(), ['a', 'b', 'd']);
    assert.equal((await call('DELETE', `${base}/tags/d`, admin)).status, 204);
    assert.equal((await call('DELETE', `${base}/tags`, admin)).status, 204);
    assert.deepEqual((await call('GET', `${base}/tags`, admin)).body.tags, []);

    const assoc = await call('POST', `${base}/resource_types`, admin, { name: 'OS::Nova::Flavor' });
    assert.equal(assoc.status, 201);
    assert.equal((await call('GET', `${base}/resource_types`, admin)).body.resource_type_associations[0].name, 'OS::Nova::Flavor');
    assert.equal((await call('DELETE', `${base}/resource_types/OS::Nova::Flavor`, admin)).status, 204);
    assert.equal((await call('DELETE', `${base}/resource_types/OS::Nova::Flavor`, admin)).status, 404);
  });

  it('lets only admins write, and refuses malformed definitions', async () => {
    assert.equal((await call('POST', NS, demo, { namespace: 'kumo::mine' })).status, 403);
    assert.equal((await call('POST', NS, admin, { namespace: 'kumo::pub', visibility: 'public' })).status, 201);
    assert.equal((await call('POST', `${NS}/kumo::pub/objects`, demo, { name: 'x' })).status, 403);
    assert.equal((await call('DELETE', `${NS}/kumo::pub`, demo)).status, 403);
    assert.equal((await call('POST', NS, admin, { namespace: 'x'.repeat(81) })).status, 400);
    assert.equal((await call('POST', NS, admin, { display_name: 'no namespace' })).status, 400);
    assert.equal((await call('POST', NS, admin, { namespace: 'kumo::v', visibility: 'shared' })).status, 400);
    assert.equal((await call('POST', NS, admin, { namespace: 'kumo::s', self: '/x' })).status, 403);
    assert.equal((await call('GET', `${NS}/kumo::s`, admin)).status, 404, 'nothing was created');
  });
});
