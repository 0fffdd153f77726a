/** Tokens: issue with password, validate, revoke; the catalog in the token. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';

describe('identity: tokens', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud.destroy();
  });

  it('issues a project-scoped token with roles and a catalog', async () => {
    const res = await cloud.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: cloud.passwords.admin } } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } },
    });
    assert.equal(res.status, 201);
    assert.ok(res.headers.get('x-subject-token'));
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
    const token = res.body.token;
    assert.equal(token.project.name, 'admin');
    assert.deepEqual(token.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
    const identity = token.catalog.find((s: { type: string }) => s.type === 'identity');
    assert.deepEqual(identity.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
  });

  it('refuses a wrong password with 401 in Keystone format', async () => {
    const res = await cloud.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'wrong' } } } } },
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 401);
    assert.equal(res.body.error.title, 'Unauthorized');
  });

  it('validates a token and stops validating it once revoked', async () => {
    const admin = await cloud.token('admin');
    const demo = await cloud.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: cloud.passwords.demo } } } } },
    });
    const subject = demo.headers.get('x-subject-token') as string;
    const ok = await cloud.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': subject } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.token.user.name, 'demo');
    const del = await cloud.request('DELETE', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': subject } });
    assert.equal(del.status, 204);
    const gone = await cloud.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': subject } });
    assert.equal(gone.status, 404);
  });
});
