/**
 * Sweeps every Glance route with bad input: missing, forged and expired tokens; malformed,
 * mistyped and oversize bodies; wrong media types; a reader where a member is needed; ids that
 * do not exist. No answer may be a 5xx, every error has Glance's body, and neither the store nor
 * the image files change.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteEntry } from '../src/api/app.js';
import { badTokens } from './helpers/bad-tokens.js';
import { projectId, startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { createImage, PATCH_21, readerToken, upload, V2 } from './helpers/image-fixtures.js';
import { assertStoreUnchangedBy, sweptRoutes } from './helpers/negative-sweep.js';

const MISSING = '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11';

function assertGlanceError(res: TestResponse, where: string): void {
  assert.ok(res.status < 500, `${where} answered ${res.status}: ${res.text}`);
  if (res.status >= 400 && res.status !== 401) {
    assert.equal(typeof res.body?.message, 'string', `${where}: not a Glance error body: ${res.text}`);
    assert.match(res.body.code, /^\d{3} /, where);
  }
}

describe('image: bad input never breaks anything', () => {
  let cloud: TestCloud;
  let routes: RouteEntry[];
  let admin: string;
  let demo: string;
  let reader: string;
  let forged: string;
  let expired: string;
  let ids: Record<string, string>;

  const concrete = (url: string, values: Record<string, string>) =>
    url.replace(/:([A-Za-z_]+)/g, (_m, name: string) => values[name] ?? MISSING).replace(/\*$/, values.tag ?? 'tag');
  /** The image files must not change either. */
  const unchangedBy = (sweep: () => Promise<void>) => assertStoreUnchangedBy(cloud, sweep, () => readdirSync(join(cloud.config.home, 'images')).sort());
  const send = (method: string, path: string, token: string | undefined, rawBody?: string, contentType?: string) =>
    cloud.request(method, path, { token, rawBody, headers: { accept: 'application/json', ...(contentType ? { 'content-type': contentType } : {}) } });

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    routes = sweptRoutes(cloud, (r) => r.url.startsWith('/image'));
    reader = await readerToken(cloud);
    ({ expired, forged } = badTokens(cloud, admin));
    // State to be (not) changed: a shared, uploaded, tagged demo image with a member, and a namespace.
    const image = await createImage(cloud, demo, { name: 'keep', tags: ['t'], color: 'red' });
    assert.equal((await upload(cloud, demo, image.id, Buffer.from('data'))).status, 204);
    const member = await projectId(cloud, 'admin');
    assert.equal((await cloud.request('POST', `${V2}/images/${image.id}/members`, { token: demo, body: { member } })).status, 200);
    assert.equal((await cloud.request('POST', `${V2}/metadefs/namespaces`, { token: admin, body: { namespace: 'ns1', visibility: 'public' } })).status, 201);
    await cloud.request('POST', `${V2}/metadefs/namespaces/ns1/objects`, { token: admin, body: { name: 'o' } });
    ids = { id: image.id, member, tag: 't', ns: 'ns1', name: 'o' };
  });
  after(async () => cloud.destroy());

  it('covers the route table', () => {
    assert.ok(routes.length >= 40, `only ${routes.length} routes`);
  });

  it('answers 401 to missing, forged and expired tokens everywhere', async () => {
    await unchangedBy(async () => {
      for (const route of routes.filter((r) => !r.public)) {
        for (const [label, token] of [['none', undefined], ['forged', forged], ['expired', expired]] as const) {
          const res = await send(route.method, concrete(route.url, ids), token, ['GET', 'DELETE'].includes(route.method) ? undefined : '{}');
          assert.equal(res.status, 401, `${route.method} ${route.url} (${label} token) gave ${res.status}`);
          assert.equal(res.body.error.code, 401);
        }
      }
    });
  });

  it('answers 4xx to malformed, mistyped, oversize and mistyped-media bodies and changes nothing', async () => {
    const bodies: [string, string][] = [
      ['malformed JSON', '{"name": '],
      ['array of junk', '[1, "x", null]'],
      ['string', '"x"'],
      ['null', 'null'],
      ['number', '7'],
      ['wrong types', '{"name": 5, "visibility": 1, "member": [], "status": {}, "namespace": 3, "tags": "x", "min_disk": "big", "method": 1}'],
      ['read-only', '{"status": "active", "size": 1, "id": "x", "self": "y", "created_at": "z"}'],
      ['oversize', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })],
    ];
    await unchangedBy(async () => {
      for (const route of routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))) {
        // Body-less actions (tags, deactivate, file uploads) are covered by the other sweeps.
        if (/\/tags\/\*$|\/actions\/|\/file$|\/stage$|\/tags\/:name$/.test(route.url)) continue;
        for (const token of [admin, demo]) {
          for (const [label, rawBody] of bodies) {
            for (const type of route.method === 'PATCH' ? [PATCH_21, 'application/json'] : ['application/json', 'text/plain']) {
              const where = `${route.method} ${route.url} (${label}, ${type})`;
              const res = await send(route.method, concrete(route.url, ids), token, rawBody, type);
              assertGlanceError(res, where);
              assert.ok(res.status >= 400, `${where} gave ${res.status}`);
            }
          }
        }
      }
    });
  });

  it('answers 404 (never 5xx) for ids that do not exist, for reads and writes', async () => {
    await unchangedBy(async () => {
      for (const route of routes.filter((r) => r.url.includes(':'))) {
        for (const token of [admin, demo]) {
          const res = await send(route.method, concrete(route.url, {}), token, ['GET', 'DELETE'].includes(route.method) ? undefined : '{}');
          assertGlanceError(res, `${route.method} ${route.url} (missing id)`);
          assert.ok(res.status >= 400, `${route.method} ${route.url} (missing id) gave ${res.status}`);
        }
      }
    });
  });

  it('lets a reader change nothing anywhere', async () => {
    await unchangedBy(async () => {
      for (const route of routes.filter((r) => !['GET'].includes(r.method))) {
        const body = route.url.endsWith('/file') ? 'bytes' : route.method === 'PATCH' ? '[{"op": "replace", "path": "/name", "value": "x"}]'
          : '{"name": "x", "member": "p", "status": "accepted", "namespace": "nsx", "tags": [{"name": "x"}], "title": "t", "type": "string"}';
        const type = route.url.endsWith('/file') || route.url.endsWith('/stage') ? 'application/octet-stream' : route.method === 'PATCH' ? PATCH_21 : 'application/json';
        const res = await send(route.method, concrete(route.url, ids), reader, route.method === 'DELETE' ? undefined : body, type);
        assertGlanceError(res, `${route.method} ${route.url} (reader)`);
        assert.ok(res.status >= 400, `${route.method} ${route.url} (reader) gave ${res.status}`);
      }
    });
  });
});
