/** Images: create with Glance's validation, show, JSON-patch updates, delete, actions and policy. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectId, startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { createImage, patchImage, readerToken, showImage, upload, V2 } from './helpers/image-fixtures.js';

describe('image: images', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  before(async () => ({ cloud, admin, demo } = await startCloudWithTokens()));
  after(async () => cloud.destroy());

  const post = (token: string, body: unknown) => cloud.request('POST', `${V2}/images`, { token, body, headers: { accept: 'application/json' } });

  it('creates a queued image with Glance defaults, custom properties and a Location', async () => {
    const res = await post(demo, { name: 'img', disk_format: 'qcow2', container_format: 'bare', tags: ['a', 'a', 'b'], os_distro: 'ubuntu', min_disk: 1 });
    assert.equal(res.status, 201, res.text);
    const image = res.body;
    assert.match(image.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('location'), `${cloud.url}${V2}/images/${image.id}`);
    assert.equal(image.status, 'queued');
    assert.equal(image.visibility, 'shared', "Glance's default visibility");
    assert.equal(image.owner, await projectId(cloud, 'demo'));
    assert.deepEqual(image.tags.sort(), ['a', 'b']);
    assert.equal(image.os_distro, 'ubuntu');
    assert.equal(image.min_disk, 1);
    assert.equal(image.min_ram, 0);
    assert.equal(image.protected, false);
    assert.equal(image.os_hidden, false);
    for (const key of ['size', 'virtual_size', 'checksum', 'os_hash_algo', 'os_hash_value']) assert.equal(image[key], null, key);
    assert.match(image.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(image.self, `/v2/images/${image.id}`);
    assert.equal(image.file, `/v2/images/${image.id}/file`);
    assert.equal(image.schema, '/v2/schemas/image');
    const shown = await showImage(cloud, demo, image.id);
    assert.deepEqual(shown.body, image);
  });

  it('takes a client-chosen id once (409 the second time)', async () => {
    const id = '0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9';
    assert.equal((await post(demo, { id, name: 'mine' })).status, 201);
    const again = await post(demo, { id, name: 'again' });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already exists/);
  });

  it('refuses bad input with 400 and read-only or reserved attributes with 403, creating nothing', async () => {
    const before = (await cloud.request('GET', `${V2}/images?limit=1000`, { token: admin })).body.images.length;
    const cases: [unknown, number, RegExp][] = [
      [{ disk_format: 'wrong' }, 400, /'wrong' is not one of/],
      [{ container_format: 'wrong' }, 400, /is not one of/],
      [{ min_ram: '1' }, 400, /'1' is not of type 'integer'/],
      [{ protected: 'true' }, 400, /is not of type 'boolean'/],
      [{ visibility: 'everyone' }, 400, /is not one of/],
      [{ name: 'x'.repeat(256) }, 400, /is too long/],
      [{ tags: ['t'.repeat(256)] }, 400, /is too long/],
      [{ ramdisk_id: 'not-a-uuid' }, 400, /does not match/],
      [{ custom: 5 }, 400, /5 is not of type 'string'/],
      [{ ['k'.repeat(256)]: 'v' }, 400, /greater than 255/],
      [{ id: 'nope' }, 400, /does not match/],
      [{ min_disk: -1 }, 400, /Cannot be a negative value/],
      [['not', 'an', 'object'], 400, /is not of type 'object'/],
      [{ status: 'active' }, 403, /'status' is read-only/],
      [{ checksum: 'x' }, 403, /read-only/],
      [{ self: '/x' }, 403, /'self' is read-only/],
      [{ file: '/x' }, 403, /read-only/],
      [{ os_glance_foo: 'bar' }, 403, /'os_glance_foo' is reserved/],
      [{ deleted: 'x' }, 403, /reserved/],
      [{ locations: [] }, 403, /reserved/],
      [{ visibility: 'public' }, 403, /publicize_image/],
      [{ owner: 'someone-else' }, 403, /not permitted to create images owned by/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(demo, body);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`);
      assert.match(res.body.message, message, JSON.stringify(body).slice(0, 80));
      assert.equal(res.body.code, `${status} ${status === 400 ? 'Bad Request' : 'Forbidden'}`);
    }
    const after = (await cloud.request('GET', `${V2}/images?limit=1000`, { token: admin })).body.images.length;
    assert.equal(after, before);
  });

  it('lets an admin create public images and images owned by another project', async () => {
    const pub = await post(admin, { name: 'pub', visibility: 'public' });
    assert.equal(pub.status, 201);
    assert.equal(pub.body.visibility, 'public');
    const owned = await post(admin, { name: 'theirs', owner: 'f00' });
    assert.equal(owned.body.owner, 'f00');
    const community = await post(demo, { name: 'comm', visibility: 'community' });
    assert.equal(community.status, 201, 'a member may make a community image of its own');
  });

  it("hides another project's private image (404), shows public ones", async () => {
    const priv = await createImage(cloud, admin, { name: 'admin-private', visibility: 'private' });
    const res = await showImage(cloud, demo, priv.id);
    assert.equal(res.status, 404);
    assert.equal(res.body, undefined, 'an HTML page unless JSON is asked for');
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.text, /<title>404 Not Found<\/title>/);
    assert.match(res.text, new RegExp(`No image found with ID ${priv.id}`));
    assert.equal((await patchImage(cloud, demo, priv.id, [{ op: 'replace', path: '/name', value: 'x' }])).status, 404);
    assert.equal((await cloud.request('DELETE', `${V2}/images/${priv.id}`, { token: demo })).status, 404);
    const pub = await createImage(cloud, admin, { name: 'admin-public', visibility: 'public' });
    assert.equal((await showImage(cloud, demo, pub.id)).status, 200);
    const edit = await patchImage(cloud, demo, pub.id, [{ op: 'replace', path: '/name', value: 'x' }]);
    assert.equal(edit.status, 403, 'visible but not theirs: 403');
  });

  it('applies v2.1 and v2.0 JSON patches to base attributes, properties and tags', async () => {
    const image = await createImage(cloud, demo, { name: 'p', color: 'red' });
    const res = await patchImage(cloud, demo, image.id, [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/shape', value: 'round' },
      { op: 'add', path: '/color', value: 'blue' },
      { op: 'replace', path: '/min_ram', value: 512 },
      { op: 'replace', path: '/tags', value: ['x', 'y'] },
      { op: 'replace', path: '/protected', value: true },
      { op: 'add', path: '/os_hidden', value: true },
      { op: 'replace', path: '/visibility', value: 'private' },
    ]);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.name, 'renamed');
    assert.equal(res.body.shape, 'round');
    assert.equal(res.body.color, 'blue');
    assert.equal(res.body.min_ram, 512);
    assert.deepEqual(res.body.tags, ['x', 'y']);
    assert.equal(res.body.protected, true);
    assert.equal(res.body.os_hidden, true);
    assert.equal(res.body.visibility, 'private');
    const removed = await patchImage(cloud, demo, image.id, [{ op: 'remove', path: '/shape' }, { op: 'replace', path: '/protected', value: false }]);
    assert.equal(removed.body.shape, undefined);
    const d4 = await patchImage(cloud, demo, image.id, [{ replace: '/name', value: 'draft4' }, { add: '/k', value: 'v' }], 'application/openstack-images-v2.0-json-patch');
    assert.equal(d4.status, 200, d4.text);
    assert.equal(d4.body.name, 'draft4');
    const present = await patchImage(cloud, demo, image.id, [{ add: '/k', value: 'again' }], 'application/openstack-images-v2.0-json-patch');
    assert.equal(present.status, 409, 'v2.0 add of an existing property');
    assert.equal((await showImage(cloud, demo, image.id)).body.k, 'v');
  });

  it('refuses bad patches with Glance status codes and leaves the image unchanged', async () => {
    const image = await createImage(cloud, demo, { name: 'keep', color: 'red' });
    const cases: [unknown, number, string?][] = [
      [[{ op: 'replace', path: '/status', value: 'active' }], 403],
      [[{ op: 'replace', path: '/id', value: image.id }], 403],
      [[{ op: 'add', path: '/os_glance_x', value: 'y' }], 403],
      [[{ op: 'remove', path: '/name' }], 403],
      [[{ op: 'replace', path: '/visibility', value: 'public' }], 403],
      [[{ op: 'replace', path: '/owner', value: 'other' }], 403],
      [[{ op: 'add', path: '/locations/-', value: { url: 'http://x', metadata: {} } }], 403],
      [[{ op: 'replace', path: '/name', value: 'changed' }, { op: 'remove', path: '/missing' }], 409],
      [[{ op: 'replace', path: '/nothere', value: 'x' }], 409],
      [[{ op: 'replace', path: '/min_disk', value: -5 }], 400],
      [[{ op: 'replace', path: '/min_disk', value: 'big' }], 400],
      [[{ op: 'add', path: '/color', value: 1 }], 400],
      [[{ op: 'move', path: '/name', value: 'x' }], 400],
      [[{ op: 'add', path: 'name', value: 'x' }], 400],
      [[{ op: 'add', path: '/a/b', value: 'x' }], 400],
      [[{ op: 'add', path: '/name' }], 400],
      [[{ path: '/name', value: 'x' }], 400],
      [{ op: 'add' }, 400],
      [['x'], 400],
      [[{ op: 'replace', path: '/name', value: 'x' }], 415, 'application/json'],
    ];
    for (const [ops, status, type] of cases) {
      const res = await patchImage(cloud, demo, image.id, ops, type);
      assert.equal(res.status, status, `${JSON.stringify(ops)}: ${res.text}`);
    }
    const wrongType = await patchImage(cloud, demo, image.id, [], 'application/json');
    assert.match(wrongType.headers.get('accept-patch') ?? '', /openstack-images-v2.1-json-patch/);
    const after = (await showImage(cloud, demo, image.id)).body;
    assert.equal(after.name, 'keep');
    assert.equal(after.color, 'red');
    assert.equal(after.updated_at, image.updated_at);
  });

  it('only lets disk and container formats change while queued', async () => {
    const image = await createImage(cloud, demo, { name: 'fmt' });
    assert.equal((await patchImage(cloud, demo, image.id, [{ op: 'replace', path: '/disk_format', value: 'qcow2' }])).status, 200);
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('data'))).status, 204);
    const late = await patchImage(cloud, demo, image.id, [{ op: 'replace', path: '/container_format', value: 'ova' }]);
    assert.equal(late.status, 403);
  });

  it('refuses to delete a protected image, then deletes it with its data once unprotected', async () => {
    const image = await createImage(cloud, demo, { name: 'prot', protected: true });
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('bytes'))).status, 204);
    const file = join(cloud.config.home, 'images', image.id);
    assert.ok(existsSync(file));
    const refused = await cloud.request('DELETE', `${V2}/images/${image.id}`, { token: demo, headers: { accept: 'application/json' } });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /is protected and cannot be deleted/);
    await patchImage(cloud, demo, image.id, [{ op: 'replace', path: '/protected', value: false }]);
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}`, { token: demo })).status, 204);
    assert.equal((await showImage(cloud, demo, image.id)).status, 404);
    assert.equal(existsSync(file), false, 'data file removed');
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}`, { token: demo })).status, 404);
  });

  it('deactivates and reactivates an active image; only then', async () => {
    const image = await createImage(cloud, demo, { name: 'act' });
    const deact = (token: string) => cloud.request('POST', `${V2}/images/${image.id}/actions/deactivate`, { token });
    assert.equal((await deact(demo)).status, 403, 'queued images cannot be deactivated');
    await upload(cloud, demo, image.id, Buffer.from('x'));
    assert.equal((await deact(demo)).status, 204);
    assert.equal((await deact(demo)).status, 204, 'again is a no-op');
    assert.equal((await showImage(cloud, demo, image.id)).body.status, 'deactivated');
    assert.equal((await cloud.request('POST', `${V2}/images/${image.id}/actions/reactivate`, { token: demo })).status, 204);
    assert.equal((await showImage(cloud, demo, image.id)).body.status, 'active');
    const other = await createImage(cloud, admin, { name: 'admins', visibility: 'public' });
    await upload(cloud, admin, other.id, Buffer.from('x'));
    assert.equal((await cloud.request('POST', `${V2}/images/${other.id}/actions/deactivate`, { token: demo })).status, 403);
  });

  it('lets a reader look but change nothing', async () => {
    const reader = await readerToken(cloud);
    const image = await createImage(cloud, demo, { name: 'readable' });
    assert.equal((await showImage(cloud, reader, image.id)).status, 200);
    assert.equal((await cloud.request('GET', `${V2}/images`, { token: reader })).status, 200);
    assert.equal((await cloud.request('POST', `${V2}/images`, { token: reader, body: { name: 'no' } })).status, 403);
    assert.equal((await patchImage(cloud, reader, image.id, [{ op: 'replace', path: '/name', value: 'no' }])).status, 403);
    assert.equal((await upload(cloud, reader, image.id, Buffer.from('no'))).status, 403);
    assert.equal((await cloud.request('PUT', `${V2}/images/${image.id}/tags/no`, { token: reader })).status, 403);
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}`, { token: reader })).status, 403);
    const after = (await showImage(cloud, demo, image.id)).body;
    assert.equal(after.name, 'readable');
    assert.equal(after.status, 'queued');
    assert.deepEqual(after.tags, []);
  });

  it('asks for a token with a Keystone-style 401', async () => {
    const res = await cloud.request('GET', `${V2}/images`);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 401);
  });
});
