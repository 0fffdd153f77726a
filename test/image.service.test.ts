/** The image service itself: version documents, schemas, discovery, error rendering, the cirros bootstrap. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { download, V2 } from './helpers/image-fixtures.js';
import { builtRootfs } from '../src/image/bootstrap.js';

/** Entries of a ustar archive: name → content. */
function untar(archive: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let at = 0;
  while (at + 512 <= archive.length) {
    const header = archive.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    let sum = 0;
    for (const [i, b] of header.entries()) sum += i >= 148 && i < 156 ? 32 : b;
    assert.equal(parseInt(header.subarray(148, 156).toString('ascii'), 8), sum, `checksum of ${name}`);
    entries.set(name, archive.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

describe('image: service', () => {
  let cloud: TestCloud;
  let demo: string;
  let home: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'kumo-image-svc-'));
    cloud = await startTestCloud({ home });
    demo = await cloud.token('demo');
  });
  after(async () => {
    await cloud.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  it('serves version documents: 300 at the root, 200 at /versions, v2.7 current', async () => {
    const root = await cloud.request('GET', '/image');
    assert.equal(root.status, 300);
    const versions = await cloud.request('GET', '/image/versions');
    assert.equal(versions.status, 200);
    const current = versions.body.versions.filter((v: { status: string }) => v.status === 'CURRENT');
    assert.deepEqual(current.map((v: { id: string }) => v.id), ['v2.7']);
    assert.equal(current[0].links[0].href, `${cloud.url}/image/v2/`);
    assert.ok(versions.body.versions.some((v: { id: string }) => v.id === 'v2.0'));
  });

  it('serves the schemas glanceclient builds its model from', async () => {
    const image = (await cloud.request('GET', `${V2}/schemas/image`, { token: demo })).body;
    assert.equal(image.name, 'image');
    assert.deepEqual(image.additionalProperties, { type: 'string' });
    assert.equal(image.properties.os_hash_value.maxLength, 128);
    assert.equal(image.properties.kernel_id.is_base, false);
    assert.equal(image.properties.name.is_base, undefined);
    assert.ok(image.properties.disk_format.enum.includes('ploop'));
    assert.ok(image.properties.container_format.enum.includes('compressed'));
    for (const [name, expected] of [['images', 'images'], ['member', 'member'], ['members', 'members'], ['metadefs/namespace', 'namespace'],
      ['metadefs/resource_types', 'resource_type_associations'], ['metadefs/tags', 'tags']]) {
      assert.equal((await cloud.request('GET', `${V2}/schemas/${name}`, { token: demo })).body.name, expected, name);
    }
  });

  it('reports no import methods and no multi-store', async () => {
    const info = await cloud.request('GET', `${V2}/info/import`, { token: demo });
    assert.deepEqual(info.body['import-methods'].value, []);
    assert.equal((await cloud.request('GET', `${V2}/info/stores`, { token: demo })).status, 404);
  });

  it('renders errors as webob does: HTML by default, JSON when asked, text when neither', async () => {
    const path = `${V2}/images/00000000-0000-4000-8000-000000000000`;
    const html = await cloud.request('GET', path, { token: demo, headers: { accept: '*/*' } });
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html.text, /<h1>404 Not Found<\/h1>\n\s+No image found with ID/);
    const json = await cloud.request('GET', path, { token: demo, headers: { accept: 'application/json' } });
    assert.deepEqual(json.body, { message: 'No image found with ID 00000000-0000-4000-8000-000000000000', code: '404 Not Found', title: 'Not Found' });
    const text = await cloud.request('GET', path, { token: demo, headers: { accept: 'text/plain' } });
    assert.match(text.text, /^404 Not Found\n\nNo image found/);
    const preferJson = await cloud.request('GET', path, { token: demo, headers: { accept: 'text/html;q=0.5, application/json' } });
    assert.ok(preferJson.body);
    const badJson = await cloud.request('POST', `${V2}/images`, { token: demo, rawBody: '{"name":', headers: { accept: 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.message, 'Malformed JSON in request body.');
  });

  it('answers 405 with Allow for a known path and a method it lacks, 404 for unknown paths', async () => {
    const res = await cloud.request('PUT', `${V2}/images`, { token: demo, body: {}, headers: { accept: 'application/json' } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
    assert.equal((await cloud.request('DELETE', `${V2}/images/`, { token: demo })).status, 404);
    assert.equal((await cloud.request('GET', `${V2}/nothing`, { token: demo })).status, 404);
  });

  it('bootstraps a public cirros whose data is a root filesystem tarball (the real one once built, else the placeholder)', async () => {
    const list = await cloud.request('GET', `${V2}/images?name=cirros`, { token: demo });
    assert.equal(list.body.images.length, 1);
    const cirros = list.body.images[0];
    assert.equal(cirros.visibility, 'public');
    assert.equal(cirros.status, 'active');
    assert.equal(cirros.disk_format, 'raw');
    assert.equal(cirros.container_format, 'bare');
    assert.equal(cirros.kumo_image_kind, 'rootfs-tarball');
    const data = await download(cloud, demo, cirros.id);
    assert.equal(data.status, 200);
    assert.equal(data.data.length, cirros.size);
    if (builtRootfs()) {
      assert.equal(cirros.kumo_placeholder, undefined);
      assert.equal(data.data.length, builtRootfs()?.length);
      return;
    }
    assert.equal(cirros.kumo_placeholder, 'true');
    const files = untar(data.data);
    assert.match(files.get('README')?.toString() ?? '', /PLACEHOLDER/);
    assert.ok(files.has('etc/'));
    assert.match(files.get('etc/os-release')?.toString() ?? '', /placeholder/);
  });

  it('keeps one cirros across restarts, and gives it back its data if the file went missing', async () => {
    const before = (await cloud.request('GET', `${V2}/images?name=cirros`, { token: demo })).body.images[0];
    await cloud.stop();
    rmSync(join(home, 'images', before.id));
    cloud = await startTestCloud({ home });
    demo = await cloud.token('demo');
    const after = (await cloud.request('GET', `${V2}/images?name=cirros`, { token: demo })).body.images;
    assert.equal(after.length, 1);
    assert.equal(after[0].id, before.id);
    assert.equal(after[0].checksum, before.checksum, 'the image data is deterministic');
    assert.equal((await download(cloud, demo, before.id)).status, 200);
  });
});
