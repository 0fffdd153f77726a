/** Roles (global and domain-specific) and implied roles, through the Keystone v3 API. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';
import { apiRole, createDomain, createProject, createUser, roleIdByName, tokenOf, tokenValid } from './helpers/assignment-fixtures.js';

describe('identity: roles', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('creates, shows, lists, updates and deletes a global role', async () => {
    const created = await cloud.request('POST', '/v3/roles', { token: admin, body: { role: { name: 'observer', color: 'blue' } } });
    assert.equal(created.status, 201);
    const role = created.body.role;
    assert.match(role.id, /^[0-9a-f]{32}$/);
    assert.equal(role.name, 'observer');
    assert.equal(role.domain_id, null);
    assert.equal(role.description, null);
    assert.deepEqual(role.options, {});
    assert.equal(role.color, 'blue');
    assert.equal(role.links.self, `${cloud.url}/v3/roles/${role.id}`);

    const shown = await cloud.request('GET', `/v3/roles/${role.id}`, { token: admin });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.role, role);

    const list = await cloud.request('GET', '/v3/roles', { token: admin });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.roles.find((r: { id: string }) => r.id === role.id), role);
    assert.deepEqual(list.body.roles.map((r: { name: string }) => r.name).filter((n: string) => ['admin', 'member', 'reader'].includes(n)).sort(), ['admin', 'member', 'reader']);
    assert.equal(list.body.links.self, `${cloud.url}/v3/roles`);

    const byName = await cloud.request('GET', '/v3/roles?name=observer', { token: admin });
    assert.deepEqual(byName.body.roles.map((r: { id: string }) => r.id), [role.id]);
    const inexact = await cloud.request('GET', '/v3/roles?name__icontains=BSERV', { token: admin });
    assert.deepEqual(inexact.body.roles.map((r: { id: string }) => r.id), [role.id]);

    const updated = await cloud.request('PATCH', `/v3/roles/${role.id}`, { token: admin, body: { role: { name: 'watcher', description: 'looks' } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.role.name, 'watcher');
    assert.equal(updated.body.role.description, 'looks');
    assert.equal(updated.body.role.color, 'blue');
    assert.equal((await cloud.request('GET', `/v3/roles/${role.id}`, { token: admin })).body.role.name, 'watcher');

    assert.equal((await cloud.request('DELETE', `/v3/roles/${role.id}`, { token: admin })).status, 204);
    const gone = await cloud.request('GET', `/v3/roles/${role.id}`, { token: admin });
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { error: { code: 404, title: 'Not Found', message: `Could not find role: ${role.id}.` } });
  });

  it('refuses duplicate names in the same domain with 409 and bad bodies with 400', async () => {
    const first = await apiRole(cloud);
    const dup = await cloud.request('POST', '/v3/roles', { token: admin, body: { role: { name: first.name } } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.title, 'Conflict');
    const other = await apiRole(cloud);
    const rename = await cloud.request('PATCH', `/v3/roles/${other.id}`, { token: admin, body: { role: { name: first.name } } });
    assert.equal(rename.status, 409);

    for (const body of [{}, { role: {} }, { role: { name: '' } }, { role: { name: '   ' } }, { role: { name: 5 } }, { role: { name: 'x', options: { bogus: true } } }]) {
      const res = await cloud.request('POST', '/v3/roles', { token: admin, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 400);
    }
    const empty = await cloud.request('PATCH', `/v3/roles/${other.id}`, { token: admin, body: { role: {} } });
    assert.equal(empty.status, 400);
  });

  it('keeps domain-specific roles apart from global ones', async () => {
    const domain = await createDomain(cloud);
    const other = await createDomain(cloud);
    const global = await apiRole(cloud);
    const created = await cloud.request('POST', '/v3/roles', { token: admin, body: { role: { name: global.name, domain_id: domain.id } } });
    assert.equal(created.status, 201, 'the same name is fine in another domain');
    const role = created.body.role;
    assert.equal(role.domain_id, domain.id);
    assert.equal((await cloud.request('POST', '/v3/roles', { token: admin, body: { role: { name: global.name, domain_id: other.id } } })).status, 201);
    assert.equal((await cloud.request('POST', '/v3/roles', { token: admin, body: { role: { name: global.name, domain_id: domain.id } } })).status, 409);

    const globals = await cloud.request('GET', '/v3/roles', { token: admin });
    assert.ok(!globals.body.roles.some((r: { id: string }) => r.id === role.id), 'global list excludes domain roles');
    const inDomain = await cloud.request('GET', `/v3/roles?domain_id=${domain.id}`, { token: admin });
    assert.deepEqual(inDomain.body.roles, [role]);

    const move = await cloud.request('PATCH', `/v3/roles/${role.id}`, { token: admin, body: { role: { domain_id: other.id } } });
    assert.equal(move.status, 400);
    assert.equal(move.body.error.message, 'Update of `domain_id` is not allowed.');
    const missing = await cloud.request('POST', '/v3/roles', { token: admin, body: { role: { name: 'x', domain_id: 'nope' } } });
    assert.equal(missing.status, 404);

    assert.equal((await cloud.request('DELETE', `/v3/roles/${role.id}`, { token: admin })).status, 204);
    assert.deepEqual((await cloud.request('GET', `/v3/roles?domain_id=${domain.id}`, { token: admin })).body.roles, []);
  });

  it('protects immutable roles until the option is cleared', async () => {
    const role = await apiRole(cloud, { options: { immutable: true } });
    assert.deepEqual(role.options, { immutable: true });
    const del = await cloud.request('DELETE', `/v3/roles/${role.id}`, { token: admin });
    assert.equal(del.status, 403);
    assert.match(del.body.error.message, /immutable/);
    assert.equal((await cloud.request('PATCH', `/v3/roles/${role.id}`, { token: admin, body: { role: { name: 'renamed' } } })).status, 403);
    const cleared = await cloud.request('PATCH', `/v3/roles/${role.id}`, { token: admin, body: { role: { options: { immutable: false } } } });
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body.role.options, { immutable: false });
    assert.equal((await cloud.request('DELETE', `/v3/roles/${role.id}`, { token: admin })).status, 204);
  });

  it('lets only an admin manage roles', async () => {
    const demo = await cloud.token('demo');
    assert.equal((await cloud.request('POST', '/v3/roles', { token: demo, body: { role: { name: 'sneaky' } } })).status, 403);
    const role = await apiRole(cloud);
    assert.equal((await cloud.request('DELETE', `/v3/roles/${role.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/roles', {})).status, 401);
  });

  it('deleting a role removes its grants and revokes the tokens of those who held it', async () => {
    const project = await createProject(cloud);
    const user = await createUser(cloud);
    const role = await apiRole(cloud);
    const member = await roleIdByName(cloud, 'member');
    for (const r of [role.id, member]) {
      assert.equal((await cloud.request('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${r}`, { token: admin })).status, 204);
    }
    const before = await tokenOf(cloud, user, { project: project.id });
    assert.ok(before);
    assert.ok(before.roles.includes(role.name));
    assert.equal((await cloud.request('DELETE', `/v3/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal(await tokenValid(cloud, before.token), false, 'token that carried the role is revoked');
    const afterwards = await tokenOf(cloud, user, { project: project.id });
    assert.deepEqual(afterwards?.roles, ['member', 'reader']);
    const list = await cloud.request('GET', `/v3/role_assignments?user.id=${user.id}`, { token: admin });
    assert.deepEqual(list.body.role_assignments.map((a: { role: { id: string } }) => a.role.id), [member]);
  });
});

describe('identity: implied roles', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('creates, checks, shows, lists and deletes an inference rule', async () => {
    const prior = await apiRole(cloud);
    const implied = await apiRole(cloud);
    const third = await apiRole(cloud);
    const path = `/v3/roles/${prior.id}/implies/${implied.id}`;
    const created = await cloud.request('PUT', path, { token: admin });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, {
      role_inference: {
        prior_role: { id: prior.id, name: prior.name, links: { self: `${cloud.url}/v3/roles/${prior.id}` } },
        implies: { id: implied.id, name: implied.name, links: { self: `${cloud.url}/v3/roles/${implied.id}` } },
      },
      links: { self: `${cloud.url}${path}` },
    });
    assert.equal((await cloud.request('PUT', path, { token: admin })).status, 409);
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
    const shown = await cloud.request('GET', path, { token: admin });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, created.body);

    assert.equal((await cloud.request('PUT', `/v3/roles/${prior.id}/implies/${third.id}`, { token: admin })).status, 201);
    const list = await cloud.request('GET', `/v3/roles/${prior.id}/implies`, { token: admin });
    assert.equal(list.status, 200);
    assert.equal(list.body.role_inference.prior_role.id, prior.id);
    assert.deepEqual(list.body.role_inference.implies.map((r: { id: string }) => r.id).sort(), [implied.id, third.id].sort());
    assert.equal(list.body.links.self, `${cloud.url}/v3/roles/${prior.id}/implies`);

    const all = await cloud.request('GET', '/v3/role_inferences', { token: admin });
    assert.equal(all.status, 200);
    const mine = all.body.role_inferences.find((r: { prior_role: { id: string } }) => r.prior_role.id === prior.id);
    assert.deepEqual(mine.implies.map((r: { id: string }) => r.id).sort(), [implied.id, third.id].sort());
    const bootstrap = all.body.role_inferences.find((r: { prior_role: { name: string } }) => r.prior_role.name === 'admin');
    assert.deepEqual(bootstrap.implies.map((r: { name: string }) => r.name), ['member']);

    assert.equal((await cloud.request('DELETE', path, { token: admin })).status, 204);
    const gone = await cloud.request('GET', path, { token: admin });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.message, `${prior.id} does not imply ${implied.id}.`);
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 404);
    assert.equal((await cloud.request('DELETE', path, { token: admin })).status, 404);
    assert.equal((await cloud.request('PUT', `/v3/roles/${prior.id}/implies/nope`, { token: admin })).status, 404);
  });

  it('refuses a global role implying a domain role, and anything implying admin', async () => {
    const domain = await createDomain(cloud);
    const other = await createDomain(cloud);
    const global = await apiRole(cloud);
    const d1 = await apiRole(cloud, { domain_id: domain.id });
    const d2 = await apiRole(cloud, { domain_id: domain.id });
    const d3 = await apiRole(cloud, { domain_id: other.id });
    assert.equal((await cloud.request('PUT', `/v3/roles/${d1.id}/implies/${d2.id}`, { token: admin })).status, 201);
    assert.equal((await cloud.request('PUT', `/v3/roles/${d1.id}/implies/${d3.id}`, { token: admin })).status, 201);
    assert.equal((await cloud.request('PUT', `/v3/roles/${d1.id}/implies/${global.id}`, { token: admin })).status, 201);
    const refused = await cloud.request('PUT', `/v3/roles/${global.id}/implies/${d1.id}`, { token: admin });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.title, 'Forbidden');
    const adminId = await roleIdByName(cloud, 'admin');
    assert.equal((await cloud.request('PUT', `/v3/roles/${global.id}/implies/${adminId}`, { token: admin })).status, 403);
    assert.equal((await cloud.request('PUT', `/v3/roles/${d1.id}/implies/${d2.id}`, { token: await cloud.token('demo') })).status, 403);
  });

  it('puts implied roles in tokens and deleting a role drops its rules', async () => {
    const project = await createProject(cloud);
    const user = await createUser(cloud);
    const prior = await apiRole(cloud);
    const implied = await apiRole(cloud);
    assert.equal((await cloud.request('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin })).status, 201);
    assert.equal((await cloud.request('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${prior.id}`, { token: admin })).status, 204);
    const token = await tokenOf(cloud, user, { project: project.id });
    assert.deepEqual(token?.roles, [implied.name, prior.name].sort());
    assert.equal((await cloud.request('DELETE', `/v3/roles/${implied.id}`, { token: admin })).status, 204);
    const list = await cloud.request('GET', `/v3/roles/${prior.id}/implies`, { token: admin });
    assert.deepEqual(list.body.role_inference.implies, []);
  });
});
