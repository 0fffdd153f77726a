/** Image data: streamed upload with checksums, status transitions, download, ranges, failures. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { waitFor } from './helpers/dataplane.js';
import { createImage, download, showImage, upload, V2 } from './helpers/image-fixtures.js';

describe('image: data', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  before(async () => ({ cloud, admin, demo } = await startCloudWithTokens()));
  after(async () => cloud.destroy());

  const imagesDir = () => join(cloud.config.home, 'images');

  /** Starts a chunked upload, sends `first`, and leaves the request open for the caller. */
  function openUpload(id: string, first: Buffer): { finish: (rest: Buffer) => Promise<number>; abort: () => void } {
    const url = new URL(`${cloud.url}${V2}/images/${id}/file`);
    let resolveStatus: (code: number) => void = () => {};
    const status = new Promise<number>((resolve) => { resolveStatus = resolve; });
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'PUT',
      headers: { 'x-auth-token': demo, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('error', () => resolveStatus(-1));
    req.write(first);
    return {
      finish: (rest) => { req.end(rest); return status; },
      abort: () => req.destroy(),
    };
  }

  async function waitForStatus(id: string, wanted: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const body = (await showImage(cloud, demo, id)).body;
      if (body.status === wanted) return body;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`image ${id} never became ${wanted}`);
  }

  it('stores uploaded bytes with size, md5 and sha512, and streams them back', async () => {
    const data = randomBytes(300_000);
    const image = await createImage(cloud, demo, { name: 'up' });
    const empty = await download(cloud, demo, image.id);
    assert.equal(empty.status, 204, 'no data yet');
    assert.equal(empty.data.length, 0);
    const put = await upload(cloud, demo, image.id, data);
    assert.equal(put.status, 204, put.text);
    const shown = (await showImage(cloud, demo, image.id)).body;
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    assert.equal(shown.virtual_size, data.length, 'a raw image is its own virtual size');
    assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(shown.os_hash_algo, 'sha512');
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));
    assert.deepEqual(readFileSync(join(imagesDir(), image.id)), data);
    const got = await download(cloud, demo, image.id);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.equal(got.headers.get('content-md5'), shown.checksum);
    assert.equal(got.headers.get('content-length'), String(data.length));
    assert.ok(got.data.equals(data));
  });

  it('reads the virtual size of a qcow2 image from its header', async () => {
    const header = Buffer.alloc(512);
    header.writeUInt32BE(0x514649fb, 0);
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(10n * 1024n ** 3n, 24);
    const image = await createImage(cloud, demo, { name: 'q', disk_format: 'qcow2' });
    await upload(cloud, demo, image.id, header);
    assert.equal((await showImage(cloud, demo, image.id)).body.virtual_size, 10 * 1024 ** 3);
  });

  it('answers byte ranges with 206 and bad ones with 416', async () => {
    const data = Buffer.from('0123456789');
    const image = await createImage(cloud, demo, { name: 'ranges' });
    await upload(cloud, demo, image.id, data);
    const mid = await download(cloud, demo, image.id, { range: 'bytes=2-4' });
    assert.equal(mid.status, 206);
    assert.equal(mid.data.toString(), '234');
    assert.equal(mid.headers.get('content-range'), 'bytes 2-4/10');
    assert.equal((await download(cloud, demo, image.id, { range: 'bytes=-3' })).data.toString(), '789');
    assert.equal((await download(cloud, demo, image.id, { range: 'bytes=7-' })).data.toString(), '789');
    assert.equal((await download(cloud, demo, image.id, { range: 'bytes=20-30' })).status, 416);
    assert.equal((await download(cloud, demo, image.id, { range: 'rows=1-2' })).status, 416);
  });

  it('refuses a second upload to an active image (409) and keeps the first data', async () => {
    const image = await createImage(cloud, demo, { name: 'once' });
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('first'))).status, 204);
    const again = await upload(cloud, demo, image.id, Buffer.from('second'), { accept: 'application/json' });
    assert.equal(again.status, 409);
    assert.match(JSON.parse(again.text).message, /transition from active to saving/);
    assert.equal((await download(cloud, demo, image.id)).data.toString(), 'first');
  });

  it('needs disk and container formats before data (400, still queued)', async () => {
    const res = await cloud.request('POST', `${V2}/images`, { token: demo, body: { name: 'noformat' } });
    const put = await upload(cloud, demo, res.body.id, Buffer.from('x'), { accept: 'application/json' });
    assert.equal(put.status, 400);
    assert.match(JSON.parse(put.text).message, /disk_format, container_format must be set prior to saving data/);
    assert.equal((await showImage(cloud, demo, res.body.id)).body.status, 'queued');
  });

  it('wants application/octet-stream (415 otherwise)', async () => {
    const image = await createImage(cloud, demo, { name: 'ctype' });
    const res = await cloud.request('PUT', `${V2}/images/${image.id}/file`, { token: demo, body: { not: 'data' } });
    assert.equal(res.status, 415);
    assert.equal((await showImage(cloud, demo, image.id)).body.status, 'queued');
  });

  it('puts an aborted upload back to queued and keeps no partial file', async () => {
    const image = await createImage(cloud, demo, { name: 'aborted' });
    const pending = openUpload(image.id, randomBytes(64 * 1024));
    await waitForStatus(image.id, 'saving');
    // The status is committed before the file is opened: the file follows within moments.
    await waitFor('a temporary file while saving', async () => readdirSync(imagesDir()).some((f) => f.includes(image.id)));
    pending.abort();
    const back = await waitForStatus(image.id, 'queued');
    assert.equal(back.size, null);
    assert.equal(readdirSync(imagesDir()).some((f) => f.includes(image.id)), false, 'no partial file left');
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('retry'))).status, 204, 'the upload can be retried');
  });

  it('refuses a concurrent second upload while saving (409)', async () => {
    const image = await createImage(cloud, demo, { name: 'concurrent' });
    const first = openUpload(image.id, Buffer.from('part one '));
    await waitForStatus(image.id, 'saving');
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('other'))).status, 409);
    assert.equal(await first.finish(Buffer.from('part two')), 204);
    assert.equal((await download(cloud, demo, image.id)).data.toString(), 'part one part two');
  });

  it('answers 410 when the image is deleted during its upload, and cleans up', async () => {
    const image = await createImage(cloud, demo, { name: 'vanishing' });
    const pending = openUpload(image.id, Buffer.from('some bytes'));
    await waitForStatus(image.id, 'saving');
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}`, { token: demo })).status, 204);
    assert.equal(await pending.finish(Buffer.from(' and more')), 410);
    assert.equal(existsSync(join(imagesDir(), image.id)), false);
    assert.equal(readdirSync(imagesDir()).some((f) => f.includes(image.id)), false);
  });

  it('forbids downloading a deactivated image except to an admin', async () => {
    const image = await createImage(cloud, demo, { name: 'deact' });
    await upload(cloud, demo, image.id, Buffer.from('secret'));
    await cloud.request('POST', `${V2}/images/${image.id}/actions/deactivate`, { token: demo });
    assert.equal((await download(cloud, demo, image.id)).status, 403);
    const asAdmin = await download(cloud, admin, image.id);
    assert.equal(asAdmin.status, 200);
    assert.equal(asAdmin.data.toString(), 'secret');
  });

  it("does not serve another project's private data (404)", async () => {
    const image = await createImage(cloud, admin, { name: 'adminonly', visibility: 'private' });
    await upload(cloud, admin, image.id, Buffer.from('mine'));
    assert.equal((await download(cloud, demo, image.id)).status, 404);
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('theirs'))).status, 404);
  });
});
