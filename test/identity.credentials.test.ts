/** /v3/credentials CRUD and the OS-EC2 view of ec2 credentials. */
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCloud } from './helpers/cloud.js';
import { createProject, memberOfNewProject, startCloudWithMemberRole } from './helpers/delegation-fixtures.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('identity: credentials', () => {
  let cloud: TestCloud;
  let member: string;
  before(async () => ({ cloud, member } = await startCloudWithMemberRole()));
  after(async () => cloud.destroy());

  const post = (token: string, credential: Record<string, unknown>) => cloud.request('POST', '/v3/credentials', { token, body: { credential } });

  it('creates, reads, updates and deletes an ec2 credential whose id is the hash of its access key', async () => {
    const admin = await cloud.token('admin');
    const { user, project } = await memberOfNewProject(cloud, [member]);
    const other = await createProject(cloud);
    const blob = JSON.stringify({ access: 'AKIA-1', secret: 'S-1' });
    const res = await post(admin, { user_id: user.id, project_id: project.id, type: 'ec2', blob });
    assert.equal(res.status, 201);
    const cred = res.body.credential;
    assert.equal(cred.id, sha256('AKIA-1'));
    assert.equal(cred.blob, blob);
    assert.equal(cred.user_id, user.id);
    assert.equal(cred.project_id, project.id);
    assert.match(cred.links.self, new RegExp(`/v3/credentials/${cred.id}$`));

    const newBlob = JSON.stringify({ access: 'AKIA-2', secret: 'S-2' });
    const upd = await cloud.request('PATCH', `/v3/credentials/${cred.id}`, { token: admin, body: { credential: { blob: newBlob, project_id: other.id, type: 'ec2' } } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.credential.id, cred.id);
    assert.equal(upd.body.credential.project_id, other.id);
    assert.deepEqual(JSON.parse(upd.body.credential.blob), { access: 'AKIA-2', secret: 'S-2' });
    const got = await cloud.request('GET', `/v3/credentials/${cred.id}`, { token: admin });
    assert.deepEqual(got.body.credential, upd.body.credential);

    const dup = await post(admin, { user_id: user.id, project_id: project.id, type: 'ec2', blob: JSON.stringify({ access: 'AKIA-1', secret: 'x' }) });
    // The id stays the hash of the first access key, so that key cannot be registered again.
    assert.equal(dup.status, 409);
  });

  it('checks ec2 blobs and required fields', async () => {
    const admin = await cloud.token('admin');
    const { user, project } = await memberOfNewProject(cloud, [member]);
    assert.equal((await post(admin, { user_id: user.id, type: 'ec2', blob: '{"access": "a"}' })).status, 400);
    assert.equal((await post(admin, { user_id: user.id, project_id: project.id, type: 'ec2', blob: 'not json' })).status, 400);
    assert.equal((await post(admin, { user_id: user.id, project_id: project.id, type: 'ec2', blob: '{"secret": "s"}' })).status, 400);
    assert.equal((await post(admin, { user_id: user.id, type: 'cert' })).status, 400);
    assert.equal((await post(admin, { user_id: 'nobody', type: 'cert', blob: 'x' })).status, 404);
    const first = await post(admin, { user_id: user.id, project_id: project.id, type: 'ec2', blob: '{"access": "same"}' });
    assert.equal(first.status, 201);
    const again = await post(admin, { user_id: user.id, project_id: project.id, type: 'ec2', blob: '{"access": "same"}' });
    assert.equal(again.status, 409);
    const free = await post(admin, { user_id: user.id, type: 'totp', blob: 'seed', extra_field: 'kept' });
    assert.equal(free.status, 201);
    assert.match(free.body.credential.id, /^[0-9a-f]{32}$/);
    assert.equal(free.body.credential.project_id, null);
    assert.equal(free.body.credential.extra_field, 'kept');
  });

  it('lets users manage their own credentials only, and filters lists', async () => {
    const a = await memberOfNewProject(cloud, [member]);
    const b = await memberOfNewProject(cloud, [member]);
    const mine = await post(a.token, { user_id: a.user.id, type: 'cert', blob: 'pem-a' });
    assert.equal(mine.status, 201);
    assert.equal((await post(a.token, { user_id: b.user.id, type: 'cert', blob: 'pem-b' })).status, 403);
    const theirs = await post(b.token, { user_id: b.user.id, type: 'cert', blob: 'pem-b' });
    const ec2 = await post(a.token, { user_id: a.user.id, project_id: a.project.id, type: 'ec2', blob: '{"access": "list-me"}' });
    assert.equal(ec2.status, 201);

    assert.equal((await cloud.request('GET', `/v3/credentials/${theirs.body.credential.id}`, { token: a.token })).status, 403);
    assert.equal((await cloud.request('DELETE', `/v3/credentials/${theirs.body.credential.id}`, { token: a.token })).status, 403);
    assert.equal((await cloud.request('PATCH', `/v3/credentials/${mine.body.credential.id}`, { token: a.token, body: { credential: { user_id: b.user.id } } })).status, 403);

    const listA = await cloud.request('GET', '/v3/credentials', { token: a.token });
    assert.deepEqual(listA.body.credentials.map((c: { id: string }) => c.id).sort(), [mine.body.credential.id, ec2.body.credential.id].sort());
    const admin = await cloud.token('admin');
    const byType = await cloud.request('GET', `/v3/credentials?user_id=${a.user.id}&type=ec2`, { token: admin });
    assert.deepEqual(byType.body.credentials.map((c: { id: string }) => c.id), [ec2.body.credential.id]);
    const all = await cloud.request('GET', '/v3/credentials', { token: admin });
    assert.ok(all.body.credentials.some((c: { id: string }) => c.id === theirs.body.credential.id));

    assert.equal((await cloud.request('DELETE', `/v3/credentials/${mine.body.credential.id}`, { token: a.token })).status, 204);
    assert.equal((await cloud.request('GET', `/v3/credentials/${mine.body.credential.id}`, { token: a.token })).status, 404);
  });
});

describe('identity: OS-EC2 credentials', () => {
  let cloud: TestCloud;
  let member: string;
  before(async () => ({ cloud, member } = await startCloudWithMemberRole()));
  after(async () => cloud.destroy());

  it('creates, lists, shows and deletes a user\'s EC2 keys', async () => {
    const { user, project, token } = await memberOfNewProject(cloud, [member]);
    const base = `/v3/users/${user.id}/credentials/OS-EC2`;
    const res = await cloud.request('POST', base, { token, body: { tenant_id: project.id } });
    assert.equal(res.status, 201);
    const cred = res.body.credential;
    assert.match(cred.access, /^[0-9a-f]{32}$/);
    assert.match(cred.secret, /^[0-9a-f]{32}$/);
    assert.equal(cred.user_id, user.id);
    assert.equal(cred.tenant_id, project.id);
    assert.equal(cred.trust_id, null);
    assert.match(cred.links.self, new RegExp(`${base}/${cred.access}$`));

    // The same key is a v3 credential of type ec2.
    const v3 = await cloud.request('GET', `/v3/credentials/${sha256(cred.access)}`, { token });
    assert.equal(v3.status, 200);
    assert.equal(v3.body.credential.type, 'ec2');

    const second = (await cloud.request('POST', base, { token, body: { tenant_id: project.id } })).body.credential;
    const list = await cloud.request('GET', base, { token });
    assert.deepEqual(list.body.credentials.map((c: { access: string }) => c.access).sort(), [cred.access, second.access].sort());
    const shown = await cloud.request('GET', `${base}/${cred.access}`, { token });
    assert.equal(shown.status, 200);
    for (const key of ['access', 'secret', 'user_id', 'tenant_id']) assert.equal(shown.body.credential[key], cred[key]);

    assert.equal((await cloud.request('DELETE', `${base}/${cred.access}`, { token })).status, 204);
    assert.equal((await cloud.request('GET', `${base}/${cred.access}`, { token })).status, 404);
    assert.equal((await cloud.request('DELETE', `${base}/${cred.access}`, { token })).status, 404);
  });

  it('refuses other users, unknown projects and unknown users', async () => {
    const a = await memberOfNewProject(cloud, [member]);
    const b = await memberOfNewProject(cloud, [member]);
    assert.equal((await cloud.request('POST', `/v3/users/${b.user.id}/credentials/OS-EC2`, { token: a.token, body: { tenant_id: b.project.id } })).status, 403);
    assert.equal((await cloud.request('GET', `/v3/users/${b.user.id}/credentials/OS-EC2`, { token: a.token })).status, 403);
    const bKey = (await cloud.request('POST', `/v3/users/${b.user.id}/credentials/OS-EC2`, { token: b.token, body: { tenant_id: b.project.id } })).body.credential;
    assert.equal((await cloud.request('GET', `/v3/users/${a.user.id}/credentials/OS-EC2/${bKey.access}`, { token: a.token })).status, 403);
    assert.equal((await cloud.request('POST', `/v3/users/${a.user.id}/credentials/OS-EC2`, { token: a.token, body: { tenant_id: 'nope' } })).status, 404);
    assert.equal((await cloud.request('POST', `/v3/users/${a.user.id}/credentials/OS-EC2`, { token: a.token, body: {} })).status, 400);
    const admin = await cloud.token('admin');
    assert.equal((await cloud.request('GET', '/v3/users/nobody/credentials/OS-EC2', { token: admin })).status, 404);
    assert.equal((await cloud.request('GET', `/v3/users/${b.user.id}/credentials/OS-EC2/${bKey.access}`, { token: admin })).status, 200);
  });
});
