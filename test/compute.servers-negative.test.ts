/**
 * Sweeps the server routes (servers, their actions, interfaces, metadata, tags, instance
 * actions, and Nova's image, security group and floating IP proxies) with bad input: missing
 * and forged tokens, malformed and mistyped bodies and actions against a real server, ids that
 * do not exist. No answer is a 5xx, every error is a Nova fault body, the store is unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../src/api/app.js';
import { startCloudWithTokens, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { assertStoreUnchangedBy, emptyBodyFor, sweptRoutes } from './helpers/negative-sweep.js';
import { bootActive, makeNetwork, nova, settle } from './helpers/servers-fixtures.js';

const MISSING_ID = '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11';
const MINE = /^\/compute\/v2\.1\/(servers|images|os-security-group|os-floating-ip|os-server-external-events)/;
const FAULTS = ['badRequest', 'unauthorized', 'forbidden', 'itemNotFound', 'badMethod', 'notAcceptable', 'conflictingRequest', 'overLimit', 'badMediaType'];

function assertNovaFault(res: TestResponse, where: string): void {
  assert.ok(res.status < 500, `${where} answered ${res.status}: ${res.text}`);
  if (res.status >= 400 && res.text) {
    const key = Object.keys(res.body ?? {})[0] ?? '';
    assert.ok(FAULTS.includes(key), `${where}: not a Nova fault body: ${res.text}`);
    assert.equal(res.body[key].code, res.status, where);
  }
}

describe('servers: bad input never breaks anything', () => {
  let cloud: TestCloud;
  let routes: RouteEntry[];
  let admin: string;
  let demo: string;
  let serverId: string;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    routes = sweptRoutes(cloud, (r) => MINE.test(r.url));
    const net = await makeNetwork(cloud, demo);
    serverId = (await bootActive(cloud, nova(cloud, demo), net.networkId, { extra: { metadata: { k: 'v' } } })).id;
    await settle(cloud);
  });
  after(async () => cloud.destroy());

  function at(url: string, id: string): string {
    return url.replace(/:id/, id).replace(/:[A-Za-z_]+/g, MISSING_ID);
  }

  it('covers the server routes', () => {
    assert.ok(routes.length >= 40, `only ${routes.length} routes`);
  });

  it('answers 401 to missing and forged tokens everywhere', async () => {
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of routes) {
        for (const token of [undefined, `${admin}x`]) {
          const res = await cloud.request(route.method, at(route.url, serverId), { token, body: emptyBodyFor(route) });
          assertNovaFault(res, `${route.method} ${route.url}`);
          assert.equal(res.status, 401, `${route.method} ${route.url} gave ${res.status}`);
        }
      }
    });
  });

  it('answers 4xx to malformed and mistyped bodies on a real server and changes nothing', async () => {
    const bodies = [
      '{"server": {"name": ', '[]', '"x"', 'null', '{}',
      '{"server": 1, "metadata": [], "meta": "x", "tags": 3, "interfaceAttachment": 5, "security_group": 1, "security_group_rule": [], "events": {}}',
      '{"server": {"name": 5, "flavorRef": [], "imageRef": {}, "networks": 7, "min_count": "x"}}',
      '{"reboot": {"type": 1}}', '{"rebuild": {"imageRef": 5}}', '{"createImage": {"name": ""}}', '{"createBackup": {"name": "b", "rotation": -1, "backup_type": "x"}}',
      '{"os-getConsoleOutput": {"length": "all"}}', '{"addSecurityGroup": {}}', '{"os-resetState": {"state": "gone"}}', '{"os-migrateLive": {}}',
      '{"lock": {"locked_reason": 5}}', '{"rescue": {"rescue_image_ref": 5}}', '{"reboot": {"type": "SOFT"}, "pause": null}',
      '{"addFloatingIp": {"address": "not-an-ip"}}', '{"unshelve": {"availability_zone": 5}}', '{"changePassword": {"adminPass": 5}}',
    ];
    await assertStoreUnchangedBy(cloud, async () => {
      // PUT /tags/{tag} takes no body: whatever is sent, it adds the tag named in the URL.
      for (const route of routes.filter((r) => ['POST', 'PUT'].includes(r.method) && !r.url.endsWith('/tags/:tag'))) {
        for (const token of [admin, demo]) {
          for (const rawBody of bodies) {
            // An empty attach request is valid: a new port on the project's one network.
            if (rawBody === '{}' && route.url.endsWith('/os-interface')) continue;
            const res = await cloud.request(route.method, at(route.url, serverId), { token, rawBody, headers: { 'OpenStack-API-Version': 'compute 2.91' } });
            assertNovaFault(res, `${route.method} ${route.url} (${rawBody.slice(0, 40)})`);
            if (res.status < 400) assert.fail(`${route.method} ${route.url} accepted ${rawBody}: ${res.status} ${res.text}`);
          }
        }
      }
      await settle(cloud);
    });
  });

  it('answers 404 (never 5xx) for servers, images, groups and rules that do not exist', async () => {
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of routes.filter((r) => r.url.includes(':'))) {
        for (const token of [admin, demo]) {
          const res = await cloud.request(route.method, at(route.url, MISSING_ID), { token, body: emptyBodyFor(route) });
          assertNovaFault(res, `${route.method} ${route.url} (missing id)`);
          assert.ok(res.status >= 400, `${route.method} ${route.url} (missing id) gave ${res.status}`);
        }
      }
    });
  });

  it('keeps another project’s server out of reach for every route', async () => {
    const other = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: 'other', domain_id: 'default' } } });
    assert.equal(other.status, 201);
    const outsider = await cloud.request('POST', '/v3/users', { token: admin, body: { user: { name: 'outsider', password: 'pw', default_project_id: other.body.project.id } } });
    const member = await cloud.request('GET', '/v3/roles?name=member', { token: admin });
    await cloud.request('PUT', `/v3/projects/${other.body.project.id}/users/${outsider.body.user.id}/roles/${member.body.roles[0].id}`, { token: admin });
    const auth = await cloud.request('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { name: 'outsider', domain: { id: 'default' }, password: 'pw' } } }, scope: { project: { id: other.body.project.id } } } } });
    const token = auth.headers.get('x-subject-token') as string;
    await assertStoreUnchangedBy(cloud, async () => {
      for (const route of routes.filter((r) => r.url.startsWith('/compute/v2.1/servers/:id'))) {
        const res = await cloud.request(route.method, at(route.url, serverId), { token, body: emptyBodyFor(route) });
        assertNovaFault(res, `${route.method} ${route.url} (other project)`);
        assert.ok([400, 403, 404].includes(res.status), `${route.method} ${route.url} (other project) gave ${res.status}`);
      }
    });
  });
});
