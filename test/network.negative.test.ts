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
import { projectId, startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { assertStoreUnchangedBy, emptyBodyFor, sweepBadBodies, sweepBadTokens, sweptRoutes, withMissingIds, WRONG_SHAPE_BODIES, type Sweep } from './helpers/negative-sweep.js';
import { grant, newUser, tokenFor } from './helpers/identity-api.js';

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
  ['wrong types', '{"network": 1, "subnet": [], "port": "x", "security_group": true, "security_group_rule": 5, "quota": "x", "rbac_policy": 1, "subnetpool": 2, "tags": 3, "address_group": 4, "addresses": 5}'],
  ['wrong attribute types', '{"network": {"name": 5, "admin_state_up": "maybe"}, "subnet": {"cidr": 7, "ip_version": "x"}, "port": {"fixed_ips": "x"}, "security_group": {"name": []}, "security_group_rule": {"direction": 1}, "address_group": {"name": 1, "addresses": "x"}, "addresses": "x"}'],
  ['wrong list items', '{"address_group": {"addresses": [null, {}, ["10.0.0.0/8"]]}, "addresses": [null, 7, {"a": 1}, "300.1.1.1/8", "10.0.0.0/99"], "address_groups": [{"addresses": [1]}]}'],
];

describe('network: bad input never breaks anything', () => {
  let cloud: TestCloud;
  let routes: RouteEntry[];
  let admin: string;
  let demo: string;
  let forged: string;
  let expired: string;
  let addressGroup: string;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    routes = sweptRoutes(cloud, (r) => r.url.startsWith('/network/v2.0'));
    ({ expired, forged } = badTokens(cloud, admin));
    // Some state to be (not) changed: a network with a subnet and a port, in the demo project.
    const net = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name: 'n' } } });
    assert.equal(net.status, 201);
    const ag = await cloud.request('POST', '/network/v2.0/address-groups', { token: demo, body: { address_group: { name: 'ag', addresses: ['10.0.0.0/24'] } } });
    assert.equal(ag.status, 201);
    addressGroup = ag.body.address_group.id;
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

  it('answers 4xx to bad bodies on an address group that exists, as its owner and as a reader, and changes nothing', async () => {
    const user = await newUser(cloud);
    const demoProject = await projectId(cloud, 'demo');
    await grant(cloud, 'projects', demoProject, 'users', user.id, 'reader');
    const reader = await tokenFor(cloud, user, demoProject) as string;
    const writes = routes.filter((r) => r.url.includes('/address-groups/:') && ['PUT', 'POST'].includes(r.method));
    assert.ok(writes.length >= 3, writes.map((r) => r.url).join(', '));
    const existing: Sweep = { ...neutron(), path: (route) => route.url.replace(/:[A-Za-z_]+/, addressGroup) };
    const alreadyOrMissing: [string, string] = ['already there / missing', JSON.stringify({ addresses: ['10.0.0.7/24', '10.1.0.0/24'] })];
    await assertStoreUnchangedBy(cloud, async () => {
      await sweepBadBodies(existing, writes, [demo, reader], [...NEUTRON_BAD_BODIES, ...WRONG_SHAPE_BODIES, alreadyOrMissing]);
      for (const route of writes) {
        const res = await cloud.request(route.method, existing.path(route), { token: reader, body: { address_group: { name: 'x' }, addresses: ['10.9.0.0/16'] } });
        assertNeutronError(res, `${route.method} ${route.url} (reader)`);
        assert.equal(res.status, 403, `${route.method} ${route.url} (reader) gave ${res.status}`);
      }
    });
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
