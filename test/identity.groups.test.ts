/** Groups: CRUD, filters, membership across domains, revocation on removal, cascading delete, policy. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';
import { grant, newDomain, newGroup, newProject, newUser, tokenFor, tokenValid, unique } from './helpers/identity-api.js';

describe('identity: groups', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('creates, shows, updates and deletes a group', async () => {
    const d = await newDomain(cloud);
    const name = unique('grp');
    const res = await cloud.request('POST', '/v3/groups', { token: admin, body: { group: { name, domain_id: d.id, description: 'first' } } });
    assert.equal(res.status, 201);
    const group = res.body.group;
    assert.deepEqual([group.name, group.domain_id, group.description], [name, d.id, 'first']);
    assert.ok(group.links.self.endsWith(`/v3/groups/${group.id}`));
    const renamed = await cloud.request('PATCH', `/v3/groups/${group.id}`, { token: admin, body: { group: { name: `${name}-2` } } });
    assert.equal(renamed.status, 200);
    assert.deepEqual([renamed.body.group.name, renamed.body.group.description, renamed.body.group.domain_id], [`${name}-2`, 'first', d.id]);
    assert.deepEqual((await cloud.request('GET', `/v3/groups/${group.id}`, { token: admin })).body.group, renamed.body.group);
    assert.equal((await cloud.request('PATCH', `/v3/groups/${group.id}`, { token: admin, body: { group: { domain_id: 'default' } } })).status, 400);
    assert.equal((await cloud.request('DELETE', `/v3/groups/${group.id}`, { token: admin })).status, 204);
    const gone = await cloud.request('GET', `/v3/groups/${group.id}`, { token: admin });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.message, `Could not find group: ${group.id}.`);
  });

  it('validates names and domains', async () => {
    const post = (group: Record<string, unknown>) => cloud.request('POST', '/v3/groups', { token: admin, body: { group } });
    assert.equal((await post({ name: '' })).status, 400);
    assert.equal((await post({ description: 'x' })).status, 400);
    assert.equal((await post({ name: unique('g'), domain_id: 'f'.repeat(32) })).status, 404);
    const g = await newGroup(cloud);
    assert.equal(g.domain_id, 'default');
    assert.equal((await post({ name: g.name })).status, 409);
    assert.equal((await post({ name: g.name, domain_id: (await newDomain(cloud)).id })).status, 201);
  });

  it('filters the list by name and domain_id', async () => {
    const d = await newDomain(cloud);
    const a = await newGroup(cloud, { domain_id: d.id });
    const b = await newGroup(cloud, { domain_id: d.id });
    const list = async (q: string) => (await cloud.request('GET', `/v3/groups?${q}`, { token: admin })).body.groups.map((g: { id: string }) => g.id).sort();
    assert.deepEqual(await list(`domain_id=${d.id}`), [a.id, b.id].sort());
    assert.deepEqual(await list(`name=${a.name}`), [a.id]);
    assert.ok((await list('')).includes(a.id));
  });

  it('adds, checks, lists and removes members of any domain', async () => {
    const group = await newGroup(cloud, { domain_id: (await newDomain(cloud)).id });
    const users = [await newUser(cloud), await newUser(cloud, { domain_id: (await newDomain(cloud)).id })];
    for (const u of users) {
      assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${u.id}`, { token: admin })).status, 204);
    }
    // Adding twice is harmless.
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${users[0].id}`, { token: admin })).status, 204);
    const listed = await cloud.request('GET', `/v3/groups/${group.id}/users`, { token: admin });
    const byId = (list: { id: string }[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
    // Listed members look exactly as they did when created (minus the password we kept).
    assert.deepEqual(byId(listed.body.users), byId(users.map(({ password: _p, ...rest }) => rest)));
    for (const u of users) {
      assert.equal((await cloud.request('HEAD', `/v3/groups/${group.id}/users/${u.id}`, { token: admin })).status, 204);
      assert.equal((await cloud.request('DELETE', `/v3/groups/${group.id}/users/${u.id}`, { token: admin })).status, 204);
      const missing = await cloud.request('GET', `/v3/groups/${group.id}/users/${u.id}`, { token: admin });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.message, `User '${u.id}' not found in group '${group.id}'`);
    }
    assert.deepEqual((await cloud.request('GET', `/v3/groups/${group.id}/users`, { token: admin })).body.users, []);
    assert.equal((await cloud.request('DELETE', `/v3/groups/${group.id}/users/${users[0].id}`, { token: admin })).status, 404);
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${'f'.repeat(32)}`, { token: admin })).status, 404);
    assert.equal((await cloud.request('PUT', `/v3/groups/${'f'.repeat(32)}/users/${users[0].id}`, { token: admin })).status, 404);
  });

  it('removing a member revokes its tokens; deleting the group removes its grants and memberships', async () => {
    const project = await newProject(cloud);
    const group = await newGroup(cloud);
    const user = await newUser(cloud);
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
    await grant(cloud, 'projects', project.id, 'groups', group.id);
    const token = await tokenFor(cloud, user, project.id);
    assert.ok(token, 'the group grant gives a project token');
    assert.equal((await cloud.request('DELETE', `/v3/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
    assert.equal(await tokenValid(cloud, token), false);
    assert.equal(await tokenFor(cloud, user, project.id), null);

    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
    const again = await tokenFor(cloud, user, project.id);
    assert.ok(again);
    assert.equal((await cloud.request('DELETE', `/v3/groups/${group.id}`, { token: admin })).status, 204);
    assert.equal(await tokenValid(cloud, again), false);
    assert.deepEqual((await cloud.request('GET', `/v3/users/${user.id}/groups`, { token: admin })).body.groups, []);
    assert.deepEqual(await cloud.store.db.selectFrom('assignments').selectAll().where('actor_id', '=', group.id).execute(), []);
  });

  it('refuses group reads and writes to a plain member', async () => {
    const demo = await cloud.token('demo');
    const group = await newGroup(cloud);
    const me = (await cloud.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': demo } })).body.token.user;
    assert.equal((await cloud.request('GET', '/v3/groups', { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', `/v3/groups/${group.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('POST', '/v3/groups', { token: demo, body: { group: { name: unique('g') } } })).status, 403);
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${me.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', `/v3/groups/${group.id}/users`, { token: demo })).status, 403);
    // Its own group list is its own business.
    assert.equal((await cloud.request('GET', `/v3/users/${me.id}/groups`, { token: demo })).status, 200);
  });
});
