/**
 * Sweeps the compute routes other than servers (flavors, key pairs, hypervisors, services,
 * zones, limits, quotas, server groups, aggregates, hosts, usage; the server routes have their
 * own sweep) with bad input: missing, forged and expired tokens, malformed, mistyped and
 * oversize bodies, a member where an admin is needed, ids that do not exist. No answer is a
 * 5xx (Nova's own 501 for host power actions aside), every error is a Nova fault body, and
 * the store is unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../src/api/app.js';
import { badTokens } from './helpers/bad-tokens.js';
import { startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { assertStoreUnchangedBy, emptyBodyFor, sweepBadBodies, sweepBadTokens, sweptRoutes, withMissingIds, WRONG_SHAPE_BODIES, type Sweep } from './helpers/negative-sweep.js';

const MISSING_ID = '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11';
const SERVER_ROUTES = /^\/compute\/v2\.1\/(servers|images|os-security-group|os-floating-ip|os-server-external-events)/;
const FAULTS = ['badRequest', 'unauthorized', 'forbidden', 'itemNotFound', 'badMethod', 'notAcceptable', 'conflictingRequest', 'overLimit', 'badMediaType', 'notImplemented'];

/** Nova answers 501 for host maintenance and power actions it does not support. */
const NOT_IMPLEMENTED_OK = /^\/compute\/v2\.1\/os-hosts\//;

function assertNovaFault(res: TestResponse, where: string, route: RouteEntry): void {
  const ceiling = NOT_IMPLEMENTED_OK.test(route.url) ? 502 : 500;
  assert.ok(res.status < ceiling, `${where} answered ${res.status}: ${res.text}`);
  if (res.status >= 400 && res.text) {
    const key = Object.keys(res.body ?? {})[0] ?? '';
    assert.ok(FAULTS.includes(key), `${where}: not a Nova fault body: ${res.text}`);
    assert.equal(res.body[key].code, res.status, where);
  }
}

/** This service's malformed and mistyped bodies; the sweep adds WRONG_SHAPE_BODIES to them. */
const NOVA_BAD_BODIES: readonly (readonly [string, string])[] = [
  ['malformed JSON', '{"flavor": {"name": '],
  ['wrong types', '{"flavor": 1, "keypair": [], "quota_set": "x", "server_group": true, "aggregate": 5, "status": 1, "host": [], "addTenantAccess": 1, "extra_specs": "x", "meta": 1}'],
  ['wrong attribute types', '{"flavor": {"name": 5, "ram": "lots", "vcpus": -1, "disk": "x"}, "keypair": {"name": 7, "public_key": 1}, "quota_set": {"instances": "many"}, "server_group": {"name": [], "policies": "x"}, "aggregate": {"name": 1}}'],
];

describe('compute: bad input never breaks anything', () => {
  let cloud: TestCloud;
  let routes: RouteEntry[];
  let admin: string;
  let demo: string;
  let forged: string;
  let expired: string;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    routes = sweptRoutes(cloud, (r) => r.url.startsWith('/compute/v2.1/') && !SERVER_ROUTES.test(r.url));
    ({ expired, forged } = badTokens(cloud, admin));
    // Service records of registered hosts are made on first read; read once so later
    // snapshots compare only what the bad requests could have changed.
    assert.equal((await cloud.request('GET', '/compute/v2.1/os-services', { token: admin })).status, 200);
  });
  after(async () => cloud.destroy());

  const path = (route: RouteEntry) => withMissingIds(route.url, MISSING_ID);
  const nova = (): Sweep => ({ cloud, path, assertFault: assertNovaFault });

  it('covers the compute routes', () => {
    assert.ok(routes.length >= 30, `only ${routes.length} routes`);
  });

  it('answers 401 to missing, forged and expired tokens everywhere', async () => {
    await assertStoreUnchangedBy(cloud, () => sweepBadTokens(nova(), routes, [['none', undefined], ['forged', forged], ['expired', expired]]));
  });

  it('answers 4xx to malformed, mistyped and oversize bodies and changes nothing', async () => {
    await assertStoreUnchangedBy(cloud, () => sweepBadBodies(nova(), routes, [admin, demo], [...NOVA_BAD_BODIES, ...WRONG_SHAPE_BODIES]));
  });

  it('never lets a member change what only an admin may, and answers no 5xx for missing ids', async () => {
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of routes.filter((r) => !r.public)) {
        for (const token of [demo, admin]) {
          const res = await cloud.request(route.method, path(route), { token, body: emptyBodyFor(route) });
          assertNovaFault(res, `${route.method} ${route.url} (missing ids)`, route);
        }
      }
    });
  });
});
