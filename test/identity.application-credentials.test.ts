/** Application credentials and access rules: create, read, authenticate with, delete. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCloud } from './helpers/cloud.js';
import { createRole, memberOfNewProject, revoke, roleId, startCloudWithMemberRole } from './helpers/delegation-fixtures.js';

describe('identity: application credentials', () => {
  let cloud: TestCloud;
  let member: string;
  before(async () => ({ cloud, member } = await startCloudWithMemberRole()));
  after(async () => cloud.destroy());

  const create = (token: string, userId: string, body: Record<string, unknown>) =>
    cloud.request('POST', `/v3/users/${userId}/application_credentials`, { token, body: { application_credential: body } });
  const appCredAuth = (credential: Record<string, unknown>) =>
    cloud.request('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['application_credential'], application_credential: credential } } } });
  const validate = async (subject: string) =>
    cloud.request('GET', '/v3/auth/tokens', { token: await cloud.token('admin'), headers: { 'x-subject-token': subject } });

  it('creates one with the token roles, shows the secret once, and authenticates with it', async () => {
    const { user, project, token } = await memberOfNewProject(cloud, [member]);
    const res = await create(token, user.id, { name: 'monitoring', description: 'for nagios' });
    assert.equal(res.status, 201);
    const cred = res.body.application_credential;
    assert.equal(cred.project_id, project.id);
    assert.equal(cred.unrestricted, false);
    assert.equal(cred.expires_at, null);
    assert.equal(cred.description, 'for nagios');
    assert.ok(cred.secret.length >= 64);
    assert.deepEqual(cred.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
    assert.match(cred.links.self, new RegExp(`/v3/users/${user.id}/application_credentials/${cred.id}$`));

    const shown = await cloud.request('GET', `/v3/users/${user.id}/application_credentials/${cred.id}`, { token });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.application_credential.secret, undefined);
    assert.equal(shown.body.application_credential.name, 'monitoring');

    const auth = await appCredAuth({ id: cred.id, secret: cred.secret });
    assert.equal(auth.status, 201);
    assert.equal(auth.body.token.project.id, project.id);
    assert.deepEqual(auth.body.token.methods, ['application_credential']);
    assert.equal(auth.body.token.application_credential.id, cred.id);
    assert.equal(auth.body.token.application_credential.restricted, true);

    const byName = await appCredAuth({ name: 'monitoring', secret: cred.secret, user: { name: user.name, domain: { id: 'default' } } });
    assert.equal(byName.status, 201);
    const wrong = await appCredAuth({ id: cred.id, secret: 'not-the-secret' });
    assert.equal(wrong.status, 401);
  });

  it('lists a user\'s credentials, filtered by name, and refuses a duplicate name', async () => {
    const { user, token } = await memberOfNewProject(cloud, [member]);
    assert.equal((await create(token, user.id, { name: 'one' })).status, 201);
    assert.equal((await create(token, user.id, { name: 'two', secret: 'chosen-secret' })).status, 201);
    const dup = await create(token, user.id, { name: 'one' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 409);
    const all = await cloud.request('GET', `/v3/users/${user.id}/application_credentials`, { token });
    assert.deepEqual(all.body.application_credentials.map((c: { name: string }) => c.name).sort(), ['one', 'two']);
    assert.ok(all.body.application_credentials.every((c: Record<string, unknown>) => !('secret' in c)));
    const filtered = await cloud.request('GET', `/v3/users/${user.id}/application_credentials?name=two`, { token });
    assert.deepEqual(filtered.body.application_credentials.map((c: { name: string }) => c.name), ['two']);
  });

  it('delegates only the roles asked for, and only roles of the token', async () => {
    const extra = await createRole(cloud);
    const { user, project, token } = await memberOfNewProject(cloud, [member, extra.id]);
    const subset = await create(token, user.id, { name: 'reader-only', roles: [{ name: 'reader' }], secret: 's3cret' });
    assert.equal(subset.status, 201);
    assert.deepEqual(subset.body.application_credential.roles.map((r: { name: string }) => r.name), ['reader']);
    const auth = await appCredAuth({ id: subset.body.application_credential.id, secret: 's3cret' });
    assert.equal(auth.status, 201);
    assert.deepEqual(auth.body.token.roles.map((r: { name: string }) => r.name), ['reader']);

    const byId = await create(token, user.id, { name: 'extra', roles: [{ id: extra.id }] });
    assert.equal(byId.status, 201);
    assert.deepEqual(byId.body.application_credential.roles.map((r: { id: string }) => r.id), [extra.id]);

    const admin = await roleId(cloud, 'admin');
    const notHeld = await create(token, user.id, { name: 'escalate', roles: [{ id: admin }] });
    assert.equal(notHeld.status, 400);
    const unknown = await create(token, user.id, { name: 'ghost', roles: [{ name: 'no-such-role' }] });
    assert.equal(unknown.status, 404);
    assert.equal(project.id, subset.body.application_credential.project_id);
  });

  it('keeps the expiry exactly as given and refuses past or malformed ones', async () => {
    const { user, token } = await memberOfNewProject(cloud, [member]);
    const future = new Date(Date.now() + 3600_000).toISOString().slice(0, 19) + '.123456';
    const res = await create(token, user.id, { name: 'expiring', expires_at: future });
    assert.equal(res.status, 201);
    assert.equal(res.body.application_credential.expires_at, future);
    const past = await create(token, user.id, { name: 'past', expires_at: '2001-01-01T00:00:00Z' });
    assert.equal(past.status, 400);
    const bad = await create(token, user.id, { name: 'bad', expires_at: 'bad.123Z' });
    assert.equal(bad.status, 400);
    const noName = await cloud.request('POST', `/v3/users/${user.id}/application_credentials`, { token, body: { application_credential: {} } });
    assert.equal(noName.status, 400);
    assert.equal(noName.body.error.title, 'Bad Request');
  });

  it('lets only the owner create, and the owner or an admin read', async () => {
    const a = await memberOfNewProject(cloud, [member]);
    const b = await memberOfNewProject(cloud, [member]);
    const forOther = await create(a.token, b.user.id, { name: 'sneaky' });
    assert.equal(forOther.status, 403);
    const adminFor = await create(await cloud.token('admin'), b.user.id, { name: 'by-admin' });
    assert.equal(adminFor.status, 403);
    const mine = await create(b.token, b.user.id, { name: 'mine' });
    const id = mine.body.application_credential.id;
    // Putting one's own id in the path does not reach someone else's credential.
    const peek = await cloud.request('GET', `/v3/users/${a.user.id}/application_credentials/${id}`, { token: a.token });
    assert.equal(peek.status, 403);
    const list = await cloud.request('GET', `/v3/users/${b.user.id}/application_credentials`, { token: a.token });
    assert.equal(list.status, 403);
    const asAdmin = await cloud.request('GET', `/v3/users/${b.user.id}/application_credentials/${id}`, { token: await cloud.token('admin') });
    assert.equal(asAdmin.status, 200);
    const missing = await cloud.request('GET', `/v3/users/${b.user.id}/application_credentials/nope`, { token: b.token });
    assert.equal(missing.status, 404);
  });

  it('lets an application credential token create others only when unrestricted', async () => {
    const { user, token } = await memberOfNewProject(cloud, [member]);
    const restricted = (await create(token, user.id, { name: 'restricted', secret: 'r' })).body.application_credential;
    const open = (await create(token, user.id, { name: 'open', secret: 'o', unrestricted: true })).body.application_credential;
    assert.equal(open.unrestricted, true);
    const rToken = (await appCredAuth({ id: restricted.id, secret: 'r' })).headers.get('x-subject-token') as string;
    const oToken = (await appCredAuth({ id: open.id, secret: 'o' })).headers.get('x-subject-token') as string;
    const refused = await create(rToken, user.id, { name: 'child' });
    assert.equal(refused.status, 403);
    const accepted = await create(oToken, user.id, { name: 'child' });
    assert.equal(accepted.status, 201);
    const delRefused = await cloud.request('DELETE', `/v3/users/${user.id}/application_credentials/${open.id}`, { token: rToken });
    assert.equal(delRefused.status, 403);
  });

  it('deletes one and the tokens issued with it stop working', async () => {
    const { user, token } = await memberOfNewProject(cloud, [member]);
    const cred = (await create(token, user.id, { name: 'short-lived', secret: 'x' })).body.application_credential;
    const issued = (await appCredAuth({ id: cred.id, secret: 'x' })).headers.get('x-subject-token') as string;
    assert.equal((await validate(issued)).status, 200);
    const del = await cloud.request('DELETE', `/v3/users/${user.id}/application_credentials/${cred.id}`, { token });
    assert.equal(del.status, 204);
    assert.equal((await validate(issued)).status, 404);
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}/application_credentials/${cred.id}`, { token })).status, 404);
    assert.equal((await appCredAuth({ id: cred.id, secret: 'x' })).status, 401);
    assert.equal((await cloud.request('DELETE', `/v3/users/${user.id}/application_credentials/${cred.id}`, { token })).status, 404);
  });

  it('stops working once the user loses the delegated role', async () => {
    const extra = await createRole(cloud);
    const { user, project, token } = await memberOfNewProject(cloud, [member, extra.id]);
    const cred = (await create(token, user.id, { name: 'only-extra', roles: [{ id: extra.id }], secret: 'y' })).body.application_credential;
    assert.equal((await appCredAuth({ id: cred.id, secret: 'y' })).status, 201);
    await revoke(cloud, user.id, project.id, extra.id);
    assert.equal((await appCredAuth({ id: cred.id, secret: 'y' })).status, 401);
  });
});

describe('identity: access rules', () => {
  let cloud: TestCloud;
  let member: string;
  before(async () => ({ cloud, member } = await startCloudWithMemberRole()));
  after(async () => cloud.destroy());

  const rule = { path: '/v2.1/servers/*/ips', method: 'GET', service: 'compute' };

  it('creates rules through a credential, shares identical ones, and deletes them only when unused', async () => {
    const { user, token } = await memberOfNewProject(cloud, [member]);
    const first = await cloud.request('POST', `/v3/users/${user.id}/application_credentials`, { token, body: { application_credential: { name: 'ar1', access_rules: [rule] } } });
    assert.equal(first.status, 201);
    const shown = first.body.application_credential.access_rules;
    assert.equal(shown.length, 1);
    const { id, ...rest } = shown[0];
    assert.deepEqual(rest, rule);
    const second = await cloud.request('POST', `/v3/users/${user.id}/application_credentials`, { token, body: { application_credential: { name: 'ar2', access_rules: [rule] } } });
    assert.equal(second.body.application_credential.access_rules[0].id, id);

    const list = await cloud.request('GET', `/v3/users/${user.id}/access_rules`, { token });
    assert.equal(list.status, 200);
    assert.equal(list.body.access_rules.length, 1);
    const one = await cloud.request('GET', `/v3/users/${user.id}/access_rules/${id}`, { token });
    assert.equal(one.status, 200);
    assert.equal(one.body.access_rule.service, 'compute');
    const filtered = await cloud.request('GET', `/v3/users/${user.id}/access_rules?service=image`, { token });
    assert.equal(filtered.body.access_rules.length, 0);

    const inUse = await cloud.request('DELETE', `/v3/users/${user.id}/access_rules/${id}`, { token });
    assert.equal(inUse.status, 403);
    for (const cred of [first, second]) {
      const del = await cloud.request('DELETE', `/v3/users/${user.id}/application_credentials/${cred.body.application_credential.id}`, { token });
      assert.equal(del.status, 204);
    }
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}/access_rules`, { token })).body.access_rules.length, 1);
    assert.equal((await cloud.request('DELETE', `/v3/users/${user.id}/access_rules/${id}`, { token })).status, 204);
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}/access_rules`, { token })).body.access_rules.length, 0);
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}/access_rules/${id}`, { token })).status, 404);
  });

  it('validates rules and keeps them private to their user', async () => {
    const a = await memberOfNewProject(cloud, [member]);
    const b = await memberOfNewProject(cloud, [member]);
    const badMethod = await cloud.request('POST', `/v3/users/${a.user.id}/application_credentials`, { token: a.token, body: { application_credential: { name: 'x', access_rules: [{ ...rule, method: 'FETCH' }] } } });
    assert.equal(badMethod.status, 400);
    const created = await cloud.request('POST', `/v3/users/${a.user.id}/application_credentials`, { token: a.token, body: { application_credential: { name: 'x', access_rules: [rule] } } });
    const ruleId = created.body.application_credential.access_rules[0].id;
    const other = await cloud.request('GET', `/v3/users/${a.user.id}/access_rules`, { token: b.token });
    assert.equal(other.status, 403);
    const stolen = await cloud.request('POST', `/v3/users/${b.user.id}/application_credentials`, { token: b.token, body: { application_credential: { name: 'y', access_rules: [{ id: ruleId }] } } });
    assert.equal(stolen.status, 404);
  });
});
