/** Users: CRUD, extra attributes, filters, password changes and revocation, projects and groups of a user, policy. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';
import { grant, newDomain, newGroup, newProject, newUser, tokenFor, tokenValid, unique } from './helpers/identity-api.js';

const ids = (list: { id: string }[]) => list.map((x) => x.id).sort();

describe('identity: users', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('creates a user in Keystone form; show and list agree; the password is never shown', async () => {
    const project = await newProject(cloud);
    const name = unique('user');
    const res = await cloud.request('POST', '/v3/users', {
      token: admin,
      body: { user: { name, password: 'secret-1', email: `${name}@example.org`, description: 'd', project_id: project.id, enabled: false } },
    });
    assert.equal(res.status, 201);
    const user = res.body.user;
    assert.deepEqual({ ...user, id: undefined, links: undefined }, {
      id: undefined, links: undefined, name, domain_id: 'default', enabled: false, password_expires_at: null, options: {},
      email: `${name}@example.org`, description: 'd', project_id: project.id,
    });
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}`, { token: admin })).body.user.project_id, project.id);
    const listed = (await cloud.request('GET', '/v3/users', { token: admin })).body.users.find((u: { id: string }) => u.id === user.id);
    assert.deepEqual(listed, user);
  });

  it('validates the domain, the name and the default project', async () => {
    const post = (user: Record<string, unknown>) => cloud.request('POST', '/v3/users', { token: admin, body: { user } });
    const noDomain = await post({ name: unique('u'), domain_id: 'f'.repeat(32) });
    assert.equal(noDomain.status, 404);
    assert.equal(noDomain.body.error.message, `Could not find domain: ${'f'.repeat(32)}.`);
    assert.equal((await post({ name: '' })).status, 400);
    assert.equal((await post({ name: 'x'.repeat(256) })).status, 400);
    assert.equal((await post({ name: 'x', options: { no_such_option: true } })).status, 400);
    const existing = await newUser(cloud);
    const dup = await post({ name: existing.name });
    assert.equal(dup.status, 409);
    const d = await newDomain(cloud);
    assert.equal((await post({ name: existing.name, domain_id: d.id })).status, 201);
    assert.equal((await post({ name: unique('u'), default_project_id: d.id })).status, 400);
    // A default project that does not exist is accepted, as in Keystone.
    assert.equal((await post({ name: unique('u'), default_project_id: 'f'.repeat(32) })).status, 201);
  });

  it('filters users by name, domain_id, enabled and password_expires_at', async () => {
    const d = await newDomain(cloud);
    const a = await newUser(cloud, { domain_id: d.id });
    const b = await newUser(cloud, { domain_id: d.id, enabled: false });
    const list = async (q: string) => ids((await cloud.request('GET', `/v3/users?${q}`, { token: admin })).body.users);
    assert.deepEqual(await list(`domain_id=${d.id}`), ids([a, b]));
    assert.deepEqual(await list(`domain_id=${d.id}&enabled=false`), [b.id]);
    assert.deepEqual(await list(`name=${a.name}`), [a.id]);
    assert.deepEqual(await list(`domain_id=${d.id}&name__startswith=${a.name.slice(0, 10)}`), [a.id]);
    assert.deepEqual(await list(`domain_id=${d.id}&password_expires_at=lt:2099-01-01T00:00:00Z`), []);
    assert.equal((await cloud.request('GET', '/v3/users?password_expires_at=xx:2099-01-01T00:00:00Z', { token: admin })).status, 400);
    assert.equal((await cloud.request('GET', '/v3/users?password_expires_at=lt:yesterday', { token: admin })).status, 400);
  });

  it('updates attributes, keeps extras, refuses id and domain changes', async () => {
    const user = await newUser(cloud, { color: 'red' });
    const patch = (body: Record<string, unknown>) => cloud.request('PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: body } });
    const res = await patch({ id: user.id, name: `${user.name}-2`, email: 'n@example.org', description: 'x', shape: 'round', options: { lock_password: true } });
    assert.equal(res.status, 200);
    const u = res.body.user;
    assert.deepEqual([u.name, u.email, u.description, u.color, u.shape, u.options], [`${user.name}-2`, 'n@example.org', 'x', 'red', 'round', { lock_password: true }]);
    assert.deepEqual((await patch({ options: { lock_password: null } })).body.user.options, {});
    assert.equal((await patch({ id: 'other' })).status, 400);
    assert.equal((await patch({ domain_id: (await newDomain(cloud)).id })).status, 400);
    const other = await newUser(cloud);
    assert.equal((await patch({ name: other.name })).status, 409);
  });

  it('disabling a user or resetting its password revokes its tokens', async () => {
    const project = await newProject(cloud);
    const user = await newUser(cloud);
    await grant(cloud, 'projects', project.id, 'users', user.id);
    const first = await tokenFor(cloud, user, project.id);
    assert.ok(first);
    assert.equal((await cloud.request('PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: { password: 'reset-pw' } } })).status, 200);
    assert.equal(await tokenValid(cloud, first), false);
    assert.equal(await tokenFor(cloud, user), null);
    const second = await tokenFor(cloud, { id: user.id, password: 'reset-pw' }, project.id);
    assert.ok(second);
    assert.equal((await cloud.request('PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: { enabled: false } } })).status, 200);
    assert.equal(await tokenValid(cloud, second), false);
    assert.equal(await tokenFor(cloud, { id: user.id, password: 'reset-pw' }), null);
    assert.equal((await cloud.request('PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: { enabled: true } } })).status, 200);
    assert.ok(await tokenFor(cloud, { id: user.id, password: 'reset-pw' }));
  });

  it('lets a user change its own password with the original one', async () => {
    const project = await newProject(cloud);
    const user = await newUser(cloud);
    await grant(cloud, 'projects', project.id, 'users', user.id);
    const old = await tokenFor(cloud, user, project.id);
    assert.ok(old);
    const path = `/v3/users/${user.id}/password`;
    const wrong = await cloud.request('POST', path, { token: old, body: { user: { original_password: 'nope', password: 'new-pw' } } });
    assert.equal(wrong.status, 401);
    assert.equal((await cloud.request('POST', path, { token: old, body: { user: { password: 'new-pw' } } })).status, 400);
    assert.equal((await cloud.request('POST', path, { token: old, body: { user: { original_password: user.password, password: 'new-pw' } } })).status, 204);
    assert.equal(await tokenValid(cloud, old), false);
    assert.equal(await tokenFor(cloud, user), null);
    assert.ok(await tokenFor(cloud, { id: user.id, password: 'new-pw' }, project.id));
    // No token is needed: the original password is the proof (a user whose password expired has no token).
    assert.equal((await cloud.request('POST', path, { body: { user: { original_password: 'new-pw', password: 'newer-pw' } } })).status, 204);
    assert.ok(await tokenFor(cloud, { id: user.id, password: 'newer-pw' }));
    assert.equal((await cloud.request('POST', `/v3/users/${'f'.repeat(32)}/password`, { body: { user: { original_password: 'a', password: 'b' } } })).status, 401);
    // lock_password stops self-service changes.
    assert.equal((await cloud.request('PATCH', `/v3/users/${user.id}`, { token: admin, body: { user: { options: { lock_password: true } } } })).status, 200);
    assert.equal((await cloud.request('POST', path, { body: { user: { original_password: 'newer-pw', password: 'x' } } })).status, 400);
  });

  it('lists the projects a user has a role on: direct, through a group, inherited', async () => {
    const d = await newDomain(cloud);
    const direct = await newProject(cloud, { domain_id: d.id });
    const viaGroup = await newProject(cloud, { domain_id: d.id });
    const parent = await newProject(cloud, { domain_id: d.id });
    const child = await newProject(cloud, { domain_id: d.id, parent_id: parent.id });
    await newProject(cloud, { domain_id: d.id });
    const user = await newUser(cloud);
    const group = await newGroup(cloud);
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
    await grant(cloud, 'projects', direct.id, 'users', user.id);
    await grant(cloud, 'projects', viaGroup.id, 'groups', group.id);
    await grant(cloud, 'projects', parent.id, 'users', user.id, 'member', true);
    const res = await cloud.request('GET', `/v3/users/${user.id}/projects`, { token: admin });
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res.body.projects), ids([direct, viaGroup, child]));
    const named = await cloud.request('GET', `/v3/users/${user.id}/projects?name=${direct.name}`, { token: admin });
    assert.deepEqual(ids(named.body.projects), [direct.id]);
    // A domain-wide inherited grant reaches every project of the domain.
    const everywhere = await newUser(cloud);
    await grant(cloud, 'domains', d.id, 'users', everywhere.id, 'reader', true);
    assert.equal((await cloud.request('GET', `/v3/users/${everywhere.id}/projects`, { token: admin })).body.projects.length, 5);
    // The user itself may list its projects; another non-admin may not.
    const own = await tokenFor(cloud, user, direct.id);
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}/projects`, { token: own as string })).status, 200);
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}/projects`, { token: await cloud.token('demo') })).status, 403);
  });

  it('lists a user\'s groups with membership_expires_at', async () => {
    const user = await newUser(cloud);
    const g1 = await newGroup(cloud);
    const g2 = await newGroup(cloud, { domain_id: (await newDomain(cloud)).id });
    for (const g of [g1, g2]) assert.equal((await cloud.request('PUT', `/v3/groups/${g.id}/users/${user.id}`, { token: admin })).status, 204);
    const res = await cloud.request('GET', `/v3/users/${user.id}/groups`, { token: admin });
    assert.equal(res.status, 200);
    const byId = new Map(res.body.groups.map((g: { id: string }) => [g.id, g]));
    assert.deepEqual(byId.get(g1.id), { ...g1, membership_expires_at: null });
    assert.deepEqual(byId.get(g2.id), { ...g2, membership_expires_at: null });
  });

  it('deleting a user removes its grants, memberships and tokens', async () => {
    const project = await newProject(cloud);
    const group = await newGroup(cloud);
    const user = await newUser(cloud);
    await grant(cloud, 'projects', project.id, 'users', user.id);
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${user.id}`, { token: admin })).status, 204);
    const token = await tokenFor(cloud, user, project.id);
    assert.ok(token);
    assert.equal((await cloud.request('DELETE', `/v3/users/${user.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('GET', `/v3/users/${user.id}`, { token: admin })).status, 404);
    assert.equal((await cloud.request('DELETE', `/v3/users/${user.id}`, { token: admin })).status, 404);
    assert.equal(await tokenValid(cloud, token), false);
    assert.deepEqual((await cloud.request('GET', `/v3/groups/${group.id}/users`, { token: admin })).body.users, []);
    assert.deepEqual(await cloud.store.db.selectFrom('assignments').selectAll().where('actor_id', '=', user.id).execute(), []);
  });

  it('lets a user read itself only; listing and managing users needs admin', async () => {
    const demo = await cloud.token('demo');
    const me = (await cloud.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': demo } })).body.token.user;
    assert.equal((await cloud.request('GET', `/v3/users/${me.id}`, { token: demo })).status, 200);
    const other = await newUser(cloud);
    assert.equal((await cloud.request('GET', `/v3/users/${other.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', `/v3/users/${'f'.repeat(32)}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/users', { token: demo })).status, 403);
    assert.equal((await cloud.request('POST', '/v3/users', { token: demo, body: { user: { name: unique('u') } } })).status, 403);
    assert.equal((await cloud.request('PATCH', `/v3/users/${me.id}`, { token: demo, body: { user: { enabled: false } } })).status, 403);
    assert.equal((await cloud.request('DELETE', `/v3/users/${other.id}`, { token: demo })).status, 403);
  });
});
