/**
 * Sweeps every identity route with bad input: missing, forged, expired and revoked tokens;
 * malformed, mistyped and oversize bodies; a member where an admin is needed. No answer may
 * be a 5xx, every error is Keystone's body, and the store is unchanged afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../src/api/app.js';
import { badTokens } from './helpers/bad-tokens.js';
import { startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { assertStoreUnchangedBy, emptyBodyFor, sweepBadTokens, sweptRoutes, withMissingIds } from './helpers/negative-sweep.js';

const MISSING_ID = '0123456789abcdef0123456789abcdef';
const path = (route: RouteEntry) => withMissingIds(route.url, MISSING_ID);

function assertKeystoneError(res: TestResponse, where: string): void {
  assert.ok(res.status < 500, `${where} answered ${res.status}: ${res.text}`);
  if (res.status >= 400 && res.text) {
    assert.equal(res.body?.error?.code, res.status, `${where}: not a Keystone error body: ${res.text}`);
    assert.equal(typeof res.body.error.message, 'string', where);
  }
}

describe('identity: bad input never breaks anything', () => {
  let cloud: TestCloud;
  let routes: RouteEntry[];
  let admin: string;
  let demo: string;
  let forged: string;
  let expired: string;
  let revoked: string;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    routes = sweptRoutes(cloud, (r) => r.url === '/' || r.url.startsWith('/v3'));
    ({ expired, forged } = badTokens(cloud, admin));
    const victim = await cloud.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: admin } } } },
    });
    revoked = victim.headers.get('x-subject-token') as string;
    const del = await cloud.request('DELETE', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': revoked } });
    assert.equal(del.status, 204);
  });
  after(async () => cloud.destroy());

  it('covers a real route table', () => {
    assert.ok(routes.length >= 10, `only ${routes.length} routes found`);
  });

  it('rejects missing, forged, expired and revoked tokens on every authenticated route with 401', async () => {
    const tokens = [['none', undefined], ['forged', forged], ['expired', expired], ['revoked', revoked]] as const;
    await assertStoreUnchangedBy(cloud, () => sweepBadTokens({ cloud, path, assertFault: assertKeystoneError }, routes, tokens));
  });

  it('rejects malformed, mistyped and oversize bodies with 4xx and changes nothing', async () => {
    const writes = routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method));
    const bodies: [string, string][] = [
      ['malformed JSON', '{"user": {"name": '],
      ['array', '[]'],
      ['string', '"hello"'],
      ['number', '42'],
      ['null', 'null'],
      ['wrong types', '{"user": 1, "project": [], "domain": "x", "role": true, "group": 3, "auth": "x", "region": 5, "service": 1, "endpoint": 1, "policy": 1, "credential": 1, "application_credential": 1, "trust": 1, "consumer": 1, "config": 1, "endpoint_group": 1}'],
      ['oversize', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })],
    ];
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of writes) {
        for (const [label, rawBody] of bodies) {
          const res = await cloud.request(route.method, path(route), { token: admin, rawBody });
          assertKeystoneError(res, `${route.method} ${route.url} with ${label} body`);
          // PUT routes without a body (grants, memberships) may legitimately 404 on the missing ids.
          assert.ok(res.status >= 400, `${route.method} ${route.url} with ${label} body gave ${res.status}`);
        }
        const wrongType = await cloud.request(route.method, path(route), { token: admin, rawBody: '{}', headers: { 'content-type': 'text/plain' } });
        assertKeystoneError(wrongType, `${route.method} ${route.url} with text/plain`);
      }
    });
  });

  it('never lets a member change what only an admin may, and never answers 5xx', async () => {
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of routes.filter((r) => !r.public)) {
        const res = await cloud.request(route.method, path(route), { token: demo, body: emptyBodyFor(route) });
        assertKeystoneError(res, `${route.method} ${route.url} as demo`);
        if (route.method !== 'GET') assert.ok(res.status >= 400, `${route.method} ${route.url} as demo gave ${res.status}`);
      }
    });
  });
});
