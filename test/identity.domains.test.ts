/** Domains: CRUD, filters, validation, delete-only-when-disabled, cascading delete, revocation, policy. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';
import { grant, newDomain, newGroup, newProject, newUser, tokenFor, tokenValid, unique } from './helpers/identity-api.js';

describe('identity: domains', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('creates, shows, updates and deletes a domain in Keystone form', async () => {
    const name = unique('dom');
    const created = await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name, color: 'blue' } } });
    assert.equal(created.status, 201);
    const domain = created.body.domain;
    assert.match(domain.id, /^[0-9a-f]{32}$/);
    assert.deepEqual({ ...domain, id: undefined, links: undefined }, { id: undefined, links: undefined, name, description: '', enabled: true, tags: [], options: {}, color: 'blue' });
    assert.ok(domain.links.self.endsWith(`/v3/domains/${domain.id}`));

    const updated = await cloud.request('PATCH', `/v3/domains/${domain.id}`, { token: admin, body: { domain: { name: `${name}-2`, description: 'd', enabled: false } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.domain.name, `${name}-2`);
    assert.equal(updated.body.domain.enabled, false);
    const shown = await cloud.request('GET', `/v3/domains/${domain.id}`, { token: admin });
    assert.deepEqual(shown.body.domain, updated.body.domain);

    assert.equal((await cloud.request('DELETE', `/v3/domains/${domain.id}`, { token: admin })).status, 204);
    const gone = await cloud.request('GET', `/v3/domains/${domain.id}`, { token: admin });
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { error: { code: 404, title: 'Not Found', message: `Could not find domain: ${domain.id}.` } });
  });

  it('refuses empty, too long and duplicate names', async () => {
    assert.equal((await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: '' } } })).status, 400);
    assert.equal((await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: 'a'.repeat(65) } } })).status, 400);
    assert.equal((await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: '   ' } } })).status, 400);
    assert.equal((await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: 'x', enabled: 'yes' } } })).status, 400);
    const d = await newDomain(cloud);
    const dup = await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: d.name } } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.title, 'Conflict');
  });

  it('creates a domain with an explicit id, and refuses a malformed one', async () => {
    const id = unique('x').replace(/[^0-9a-f]/g, '').padEnd(32, 'a').slice(0, 32);
    const res = await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: unique('dom'), explicit_domain_id: id } } });
    assert.equal(res.status, 201);
    assert.equal(res.body.domain.id, id);
    const bad = await cloud.request('POST', '/v3/domains', { token: admin, body: { domain: { name: unique('dom'), explicit_domain_id: 'not-a-uuid' } } });
    assert.equal(bad.status, 400);
  });

  it('filters the list by name and enabled', async () => {
    const on = await newDomain(cloud);
    const off = await newDomain(cloud, { enabled: false });
    const byName = await cloud.request('GET', `/v3/domains?name=${on.name}`, { token: admin });
    assert.deepEqual(byName.body.domains.map((d: { id: string }) => d.id), [on.id]);
    const enabled = await cloud.request('GET', '/v3/domains?enabled=true', { token: admin });
    const ids = enabled.body.domains.map((d: { id: string }) => d.id);
    assert.ok(ids.includes(on.id) && ids.includes('default') && !ids.includes(off.id));
    const disabled = await cloud.request('GET', '/v3/domains?enabled=false', { token: admin });
    assert.ok(disabled.body.domains.every((d: { enabled: boolean }) => d.enabled === false));
    assert.ok(disabled.body.domains.some((d: { id: string }) => d.id === off.id));
    const contains = await cloud.request('GET', `/v3/domains?name__contains=${on.name.slice(4)}`, { token: admin });
    assert.deepEqual(contains.body.domains.map((d: { id: string }) => d.id), [on.id]);
  });

  it('deletes only a disabled domain, and never the default one', async () => {
    const d = await newDomain(cloud);
    const refused = await cloud.request('DELETE', `/v3/domains/${d.id}`, { token: admin });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.message, 'Cannot delete a domain that is enabled, please disable it first.');
    assert.equal((await cloud.request('DELETE', '/v3/domains/default', { token: admin })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/domains/default', { token: admin })).status, 200);
    assert.equal((await cloud.request('DELETE', `/v3/domains/${'f'.repeat(32)}`, { token: admin })).status, 404);
  });

  it('deleting a domain deletes its projects, users, groups and their grants', async () => {
    const d = await newDomain(cloud);
    const root = await newProject(cloud, { domain_id: d.id });
    const child = await newProject(cloud, { domain_id: d.id, parent_id: root.id });
    const user = await newUser(cloud, { domain_id: d.id });
    const group = await newGroup(cloud, { domain_id: d.id });
    const outsider = await newUser(cloud);
    assert.equal((await cloud.request('PUT', `/v3/groups/${group.id}/users/${outsider.id}`, { token: admin })).status, 204);
    await grant(cloud, 'projects', child.id, 'users', outsider.id);
    await grant(cloud, 'domains', d.id, 'users', user.id);
    assert.equal((await cloud.request('PATCH', `/v3/domains/${d.id}`, { token: admin, body: { domain: { enabled: false } } })).status, 200);
    assert.equal((await cloud.request('DELETE', `/v3/domains/${d.id}`, { token: admin })).status, 204);

    for (const path of [`/v3/projects/${root.id}`, `/v3/projects/${child.id}`, `/v3/users/${user.id}`, `/v3/groups/${group.id}`]) {
      assert.equal((await cloud.request('GET', path, { token: admin })).status, 404, path);
    }
    assert.equal((await cloud.request('GET', `/v3/users/${outsider.id}`, { token: admin })).status, 200);
    const groups = await cloud.request('GET', `/v3/users/${outsider.id}/groups`, { token: admin });
    assert.deepEqual(groups.body.groups, []);
    const left = await cloud.store.db.selectFrom('assignments').selectAll()
      .where((eb) => eb.or([eb('actor_id', 'in', [user.id, outsider.id]), eb('target_id', 'in', [d.id, root.id, child.id])])).execute();
    assert.deepEqual(left, []);
  });

  it('disabling a domain revokes the tokens of its users and projects', async () => {
    const d = await newDomain(cloud);
    const project = await newProject(cloud, { domain_id: d.id });
    const inside = await newUser(cloud, { domain_id: d.id });
    const visitor = await newUser(cloud);
    await grant(cloud, 'projects', project.id, 'users', inside.id);
    await grant(cloud, 'projects', project.id, 'users', visitor.id);
    const insideToken = await tokenFor(cloud, inside, project.id);
    const visitorToken = await tokenFor(cloud, visitor, project.id);
    const visitorUnscoped = await tokenFor(cloud, visitor);
    assert.ok(insideToken && visitorToken && visitorUnscoped);
    assert.equal((await cloud.request('PATCH', `/v3/domains/${d.id}`, { token: admin, body: { domain: { enabled: false } } })).status, 200);
    assert.equal(await tokenValid(cloud, insideToken), false);
    assert.equal(await tokenValid(cloud, visitorToken), false);
    assert.equal(await tokenValid(cloud, visitorUnscoped), true);
    // Re-enabling does not bring revoked tokens back, but new ones work.
    assert.equal((await cloud.request('PATCH', `/v3/domains/${d.id}`, { token: admin, body: { domain: { enabled: true } } })).status, 200);
    assert.equal(await tokenValid(cloud, insideToken), false);
    const fresh = await tokenFor(cloud, inside, project.id);
    assert.ok(fresh && (await tokenValid(cloud, fresh)));
  });

  it('lets a project member read its own domain but not list or manage domains', async () => {
    const demo = await cloud.token('demo');
    const own = await cloud.request('GET', '/v3/domains/default', { token: demo });
    assert.equal(own.status, 200);
    assert.equal(own.body.domain.enabled, true);
    const other = await newDomain(cloud);
    assert.equal((await cloud.request('GET', `/v3/domains/${other.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/domains', { token: demo })).status, 403);
    assert.equal((await cloud.request('POST', '/v3/domains', { token: demo, body: { domain: { name: unique('dom') } } })).status, 403);
    assert.equal((await cloud.request('PATCH', `/v3/domains/${other.id}`, { token: demo, body: { domain: { enabled: false } } })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/domains')).status, 401);
  });
});
