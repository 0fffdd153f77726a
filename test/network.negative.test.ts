/**
 * Sweeps every Neutron route with bad input: missing, forged, expired and revoked tokens;
 * malformed, mistyped and oversize bodies; a reader/member where more is needed; ids that do
 * not exist. No answer may be a 5xx, every error is a NeutronError body, and the store is
 * unchanged afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../src/api/app.js';
import { badTokens } from './helpers/bad-tokens.js';
import { startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { assertStoreUnchangedBy, emptyBodyFor, sweepBadBodies, sweepBadTokens, sweptRoutes, withMissingIds, WRONG_SHAPE_BODIES, type Sweep } from './helpers/negative-sweep.js';

const MISSING_ID = '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11';
const path = (route: RouteEntry) => withMissingIds(route.url, MISSING_ID);

function assertNeutronError(res: TestResponse, where: string): void {
  assert.ok(res.status < 500, `${where} answered ${res.status}: ${res.text}`);
  if (res.status >= 400 && res.text) {
    assert.equal(typeof res.body?.NeutronError?.type, 'string', `${where}: not a NeutronError body: ${res.text}`);
    assert.equal(typeof res.body.NeutronError.message, 'string', where);
  }
}

/** This service's malformed and mistyped bodies; the sweep adds WRONG_SHAPE_BODIES to them. */
const NEUTRON_BAD_BODIES: readonly (readonly [string, string])[] = [
  ['malformed JSON', '{"network": {"name": '],
  ['wrong types', '{"network": 1, "subnet": [], "port": "x", "security_group": true, "security_group_rule": 5, "quota": "x", "rbac_policy": 1, "subnetpool": 2, "tags": 3}'],
  ['wrong attribute types', '{"network": {"name": 5, "admin_state_up": "maybe"}, "subnet": {"cidr": 7, "ip_version": "x"}, "port": {"fixed_ips": "x"}, "security_group": {"name": []}, "security_group_rule": {"direction": 1}}'],
];

describe('network: bad input never breaks anything', () => {
  let cloud: TestCloud;
  let routes: RouteEntry[];
  let admin: string;
  let demo: string;
  let forged: string;
  let expired: string;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    routes = sweptRoutes(cloud, (r) => r.url.startsWith('/network/v2.0'));
    ({ expired, forged } = badTokens(cloud, admin));
    // Some state to be (not) changed: a network with a subnet and a port, in the demo project.
    const net = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name: 'n' } } });
    assert.equal(net.status, 201);
  });
  after(async () => cloud.destroy());

  const neutron = (): Sweep => ({ cloud, path, assertFault: assertNeutronError });

  it('covers the route table', () => {
    assert.ok(routes.length >= 5, `only ${routes.length} routes`);
  });

  it('answers 401 to missing, forged and expired tokens everywhere', async () => {
    await assertStoreUnchangedBy(cloud, () => sweepBadTokens(neutron(), routes, [['none', undefined], ['forged', forged], ['expired', expired]]));
  });

  it('answers 4xx to malformed, mistyped and oversize bodies and changes nothing', async () => {
    await assertStoreUnchangedBy(cloud, () => sweepBadBodies(neutron(), routes, [admin, demo], [...NEUTRON_BAD_BODIES, ...WRONG_SHAPE_BODIES]));
  });

  it('answers 404 (never 5xx) for ids that do not exist, for reads and writes', async () => {
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of routes.filter((r) => r.url.includes(':'))) {
        for (const token of [admin, demo]) {
          const res = await cloud.request(route.method, path(route), { token, body: emptyBodyFor(route) });
          assertNeutronError(res, `${route.method} ${route.url} (missing id)`);
          // Quotas are keyed by any project id, existing or not (as in Neutron).
          if (route.url.includes('/quotas/')) continue;
          assert.ok(res.status >= 400, `${route.method} ${route.url} (missing id) gave ${res.status}`);
        }
      }
    });
  });
});
