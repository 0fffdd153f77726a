/** Projects: CRUD, hierarchy rules and expansions, is_domain, filters, revocation, policy. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';
import { grant, newDomain, newProject, newUser, tokenFor, tokenValid, unique } from './helpers/identity-api.js';

const ids = (list: { id: string }[]) => list.map((p) => p.id);

describe('identity: projects', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('creates a project with Keystone defaults, and show equals list', async () => {
    const name = unique('proj');
    const res = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: ` ${name} `, tags: ['b', 'a'], flavor: 'x' } } });
    assert.equal(res.status, 201);
    const p = res.body.project;
    assert.equal(p.name, name);
    assert.equal(p.domain_id, 'default');
    assert.equal(p.parent_id, 'default');
    assert.equal(p.is_domain, false);
    assert.equal(p.enabled, true);
    assert.equal(p.description, '');
    assert.equal(p.flavor, 'x');
    assert.deepEqual(p.tags, ['a', 'b']);
    const shown = (await cloud.request('GET', `/v3/projects/${p.id}`, { token: admin })).body.project;
    const listed = (await cloud.request('GET', '/v3/projects', { token: admin })).body.projects.find((x: { id: string }) => x.id === p.id);
    assert.deepEqual(shown, p);
    assert.deepEqual(listed, p);
  });

  it('validates names, domains and parents', async () => {
    const post = (project: Record<string, unknown>) => cloud.request('POST', '/v3/projects', { token: admin, body: { project } });
    assert.equal((await post({ name: '' })).status, 400);
    assert.equal((await post({ name: 'a'.repeat(65) })).status, 400);
    assert.equal((await post({ description: 'no name' })).status, 400);
    assert.equal((await post({ name: 'x', tags: ['a', 'a'] })).status, 400);
    assert.equal((await post({ name: 'x', tags: ['a/b'] })).status, 400);
    assert.equal((await post({ name: 'x', domain_id: 'f'.repeat(32) })).status, 400);
    assert.equal((await post({ name: 'x', parent_id: 'f'.repeat(32) })).status, 400);
    const existing = await newProject(cloud);
    const dup = await post({ name: existing.name });
    assert.equal(dup.status, 409);
    assert.match(dup.body.error.message, /same name/);
    // The same name is fine in another domain.
    const d = await newDomain(cloud);
    assert.equal((await post({ name: existing.name, domain_id: d.id })).status, 201);
    // A parent must be in the project's domain.
    const cross = await post({ name: unique('p'), domain_id: d.id, parent_id: existing.id });
    assert.equal(cross.status, 400);
    assert.match(cross.body.error.message, /parent in a different domain/);
  });

  it('builds a hierarchy with parents and subtree expansions', async () => {
    const d = await newDomain(cloud);
    const a = await newProject(cloud, { domain_id: d.id });
    const b = await newProject(cloud, { domain_id: d.id, parent_id: a.id });
    const c = await newProject(cloud, { domain_id: d.id, parent_id: b.id });
    assert.equal(b.parent_id, a.id);
    const get = async (id: string, q: string) => (await cloud.request('GET', `/v3/projects/${id}?${q}`, { token: admin })).body.project;
    assert.deepEqual((await get(c.id, 'parents_as_ids')).parents, { [b.id]: { [a.id]: { [d.id]: null } } });
    assert.deepEqual((await get(a.id, 'subtree_as_ids')).subtree, { [b.id]: { [c.id]: null } });
    assert.equal((await get(c.id, 'subtree_as_ids')).subtree, null);
    assert.deepEqual((await get(d.id, 'subtree_as_ids')).subtree, { [a.id]: { [b.id]: { [c.id]: null } } });
    // The list forms show only projects the caller has a role on.
    const user = await newUser(cloud, { domain_id: d.id });
    await grant(cloud, 'projects', a.id, 'users', user.id);
    await grant(cloud, 'projects', c.id, 'users', user.id);
    const token = await tokenFor(cloud, user, c.id);
    assert.ok(token);
    const mine = await cloud.request('GET', `/v3/projects/${c.id}?parents_as_list`, { token });
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.project.parents.map((p: { project: { id: string } }) => p.project.id), [a.id]);
    const both = await cloud.request('GET', `/v3/projects/${c.id}?parents_as_list&parents_as_ids`, { token: admin });
    assert.equal(both.status, 400);
    assert.equal((await cloud.request('GET', `/v3/projects?parent_id=${a.id}`, { token: admin })).body.projects.map((p: { id: string }) => p.id).join(), b.id);
    assert.deepEqual(ids((await cloud.request('GET', `/v3/projects?parent_id=${d.id}`, { token: admin })).body.projects), [a.id]);
  });

  it('enforces the hierarchy rules on create, update and delete', async () => {
    const d = await newDomain(cloud);
    const chain = [await newProject(cloud, { domain_id: d.id })];
    for (let i = 1; i < 5; i++) chain.push(await newProject(cloud, { domain_id: d.id, parent_id: chain[i - 1].id }));
    const tooDeep = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: unique('p'), domain_id: d.id, parent_id: chain[4].id } } });
    assert.equal(tooDeep.status, 403);
    assert.match(tooDeep.body.error.message, /Max hierarchy depth/);
    const [top, second] = chain;
    const notLeaf = await cloud.request('DELETE', `/v3/projects/${top.id}`, { token: admin });
    assert.equal(notLeaf.status, 403);
    assert.match(notLeaf.body.error.message, /not a leaf/);
    const disableParent = await cloud.request('PATCH', `/v3/projects/${top.id}`, { token: admin, body: { project: { enabled: false } } });
    assert.equal(disableParent.status, 403);
    const reparent = await cloud.request('PATCH', `/v3/projects/${second.id}`, { token: admin, body: { project: { parent_id: d.id } } });
    assert.equal(reparent.status, 403);
    const redomain = await cloud.request('PATCH', `/v3/projects/${second.id}`, { token: admin, body: { project: { domain_id: 'default' } } });
    assert.equal(redomain.status, 400);
    // Disable bottom-up, then nothing may be created or enabled under a disabled branch.
    for (const p of [...chain].reverse()) {
      assert.equal((await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { enabled: false } } })).status, 200);
    }
    const underDisabled = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: unique('p'), domain_id: d.id, parent_id: second.id } } });
    assert.equal(underDisabled.status, 400);
    const enableChild = await cloud.request('PATCH', `/v3/projects/${second.id}`, { token: admin, body: { project: { enabled: true } } });
    assert.equal(enableChild.status, 403);
    for (const p of [...chain].reverse()) assert.equal((await cloud.request('DELETE', `/v3/projects/${p.id}`, { token: admin })).status, 204);
  });

  it('updates name, description and enabled; rejects duplicates and id changes', async () => {
    const p = await newProject(cloud, { enabled: false });
    const other = await newProject(cloud);
    const res = await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { name: `${p.name}-2`, description: 'new', enabled: true, tags: ['z'] } } });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.project.name, res.body.project.description, res.body.project.enabled, res.body.project.tags], [`${p.name}-2`, 'new', true, ['z']]);
    assert.equal((await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { name: other.name } } })).status, 409);
    assert.equal((await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { id: other.id } } })).status, 400);
    assert.equal((await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: {} } })).status, 400);
    assert.equal((await cloud.request('PATCH', `/v3/projects/${'f'.repeat(32)}`, { token: admin, body: { project: { name: 'x' } } })).status, 404);
  });

  it('treats an is_domain project as a domain', async () => {
    const res = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: unique('isdom'), domain_id: null, is_domain: true } } });
    assert.equal(res.status, 201);
    const p = res.body.project;
    assert.deepEqual([p.is_domain, p.domain_id, p.parent_id], [true, null, null]);
    assert.ok(ids((await cloud.request('GET', '/v3/projects?is_domain=true', { token: admin })).body.projects).includes(p.id));
    assert.ok(!ids((await cloud.request('GET', '/v3/projects', { token: admin })).body.projects).includes(p.id));
    assert.ok(ids((await cloud.request('GET', '/v3/domains', { token: admin })).body.domains).includes(p.id));
    assert.equal((await cloud.request('DELETE', `/v3/projects/${p.id}`, { token: admin })).status, 403);
    assert.equal((await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { enabled: false } } })).status, 200);
    assert.equal((await cloud.request('DELETE', `/v3/projects/${p.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('GET', `/v3/domains/${p.id}`, { token: admin })).status, 404);
    const nested = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: unique('isdom'), domain_id: 'default', is_domain: true } } });
    assert.equal(nested.status, 400);
  });

  it('filters the list by name, domain_id and enabled', async () => {
    const d = await newDomain(cloud);
    const on = await newProject(cloud, { domain_id: d.id });
    const off = await newProject(cloud, { domain_id: d.id, enabled: false });
    const list = async (q: string) => ids((await cloud.request('GET', `/v3/projects?${q}`, { token: admin })).body.projects);
    assert.deepEqual(await list(`domain_id=${d.id}`), [on, off].sort((a, b) => a.name.localeCompare(b.name)).map((p) => p.id));
    assert.deepEqual(await list(`domain_id=${d.id}&enabled=false`), [off.id]);
    assert.deepEqual(await list(`name=${on.name}`), [on.id]);
    assert.equal((await cloud.request('GET', '/v3/projects?enabled=maybe', { token: admin })).status, 400);
  });

  it('manages tags and filters by them', async () => {
    const p = await newProject(cloud);
    const q = await newProject(cloud, { tags: ['red', 'blue'] });
    const base = `/v3/projects/${p.id}/tags`;
    const put = await cloud.request('PUT', `${base}/red`, { token: admin, rawBody: '{}' });
    assert.equal(put.status, 201);
    assert.ok(put.headers.get('location')?.endsWith(`${base}/red`));
    assert.equal((await cloud.request('GET', `${base}/red`, { token: admin })).status, 204);
    assert.equal((await cloud.request('HEAD', `${base}/green`, { token: admin })).status, 404);
    const all = await cloud.request('PUT', base, { token: admin, body: { tags: ['green', 'red'] } });
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.tags, ['green', 'red']);
    assert.deepEqual((await cloud.request('GET', base, { token: admin })).body.tags, ['green', 'red']);
    assert.equal((await cloud.request('PUT', `${base}/a,b`, { token: admin })).status, 400);
    assert.equal((await cloud.request('PUT', base, { token: admin, body: { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) } })).status, 400);

    const list = async (query: string) => ids((await cloud.request('GET', `/v3/projects?${query}`, { token: admin })).body.projects).filter((id) => id === p.id || id === q.id).sort();
    assert.deepEqual(await list('tags=red,green'), [p.id]);
    assert.deepEqual(await list('tags-any=blue,green'), [p.id, q.id].sort());
    assert.deepEqual(await list('not-tags=red,blue'), [p.id]);
    assert.deepEqual(await list('not-tags-any=green'), [q.id]);

    assert.equal((await cloud.request('DELETE', `${base}/green`, { token: admin })).status, 204);
    assert.equal((await cloud.request('DELETE', `${base}/green`, { token: admin })).status, 404);
    assert.equal((await cloud.request('DELETE', base, { token: admin })).status, 204);
    assert.deepEqual((await cloud.request('GET', base, { token: admin })).body.tags, []);
  });

  it('disabling or deleting a project revokes its tokens and removes its grants', async () => {
    const p = await newProject(cloud);
    const user = await newUser(cloud);
    // Its default project scopes a token asked for without scope, so it only checks the cleanup.
    const other = await newUser(cloud, { default_project_id: p.id });
    await grant(cloud, 'projects', p.id, 'users', user.id);
    const scoped = await tokenFor(cloud, user, p.id);
    const unscoped = await tokenFor(cloud, user);
    assert.ok(scoped && unscoped);
    assert.equal((await cloud.request('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { enabled: false } } })).status, 200);
    assert.equal(await tokenValid(cloud, scoped), false);
    assert.equal(await tokenValid(cloud, unscoped), true);
    assert.equal((await cloud.request('DELETE', `/v3/projects/${p.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('GET', `/v3/projects/${p.id}`, { token: admin })).status, 404);
    const grants = await cloud.store.db.selectFrom('assignments').selectAll().where('target_id', '=', p.id).execute();
    assert.deepEqual(grants, []);
    const after = (await cloud.request('GET', `/v3/users/${other.id}`, { token: admin })).body.user;
    assert.equal(after.default_project_id, undefined);
  });

  it('lets a member read its own project only; listing and writing need admin', async () => {
    const demo = await cloud.token('demo');
    const demoProject = (await cloud.request('GET', '/v3/projects?name=demo', { token: admin })).body.projects[0];
    const own = await cloud.request('GET', `/v3/projects/${demoProject.id}`, { token: demo });
    assert.equal(own.status, 200);
    assert.equal(own.body.project.name, 'demo');
    assert.equal((await cloud.request('GET', `/v3/projects/${demoProject.id}/tags`, { token: demo })).status, 200);
    const other = await newProject(cloud);
    assert.equal((await cloud.request('GET', `/v3/projects/${other.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/projects', { token: demo })).status, 403);
    assert.equal((await cloud.request('POST', '/v3/projects', { token: demo, body: { project: { name: unique('p') } } })).status, 403);
    assert.equal((await cloud.request('DELETE', `/v3/projects/${other.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('PUT', `/v3/projects/${demoProject.id}/tags/x`, { token: demo })).status, 403);
  });
});
