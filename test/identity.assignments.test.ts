/** Grants (project, domain, system, OS-INHERIT) and GET /v3/role_assignments, through the API. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';
import { addMember, apiRole, createDomain, createGroup, createProject, createUser, roleIdByName, tokenOf, tokenValid } from './helpers/assignment-fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('identity: grants', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('grants, checks, lists and revokes a user role on a project', async () => {
    const project = await createProject(cloud);
    const user = await createUser(cloud);
    const role = await apiRole(cloud);
    const path = `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`;
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 404);
    assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204);
    assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204, 'granting twice is fine');
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
    assert.equal((await cloud.request('GET', path, { token: admin })).status, 204);
    const list = await cloud.request('GET', `/v3/projects/${project.id}/users/${user.id}/roles`, { token: admin });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.roles, [role]);
    assert.equal(list.body.links.self, `${cloud.url}/v3/projects/${project.id}/users/${user.id}/roles`);
    assert.deepEqual((await tokenOf(cloud, user, { project: project.id }))?.roles, [role.name]);

    assert.equal((await cloud.request('DELETE', path, { token: admin })).status, 204);
    const check = await cloud.request('GET', path, { token: admin });
    assert.equal(check.status, 404);
    assert.equal(check.body.error.message, `Could not find role assignment with role: ${role.id}, user or group: ${user.id}, project, domain, or system: ${project.id}.`);
    assert.equal((await cloud.request('DELETE', path, { token: admin })).status, 404);
    assert.deepEqual((await cloud.request('GET', `/v3/projects/${project.id}/users/${user.id}/roles`, { token: admin })).body.roles, []);
  });

  it('answers 404 naming whatever is missing', async () => {
    const project = await createProject(cloud);
    const domain = await createDomain(cloud);
    const user = await createUser(cloud);
    const group = await createGroup(cloud);
    const role = await apiRole(cloud);
    const cases: [string, string][] = [
      [`/v3/projects/${project.id}/users/${user.id}/roles/nope`, 'Could not find role: nope.'],
      [`/v3/projects/${project.id}/users/nope/roles/${role.id}`, 'Could not find user: nope.'],
      [`/v3/projects/nope/users/${user.id}/roles/${role.id}`, 'Could not find project: nope.'],
      [`/v3/domains/nope/groups/${group.id}/roles/${role.id}`, 'Could not find domain: nope.'],
      [`/v3/domains/${domain.id}/groups/nope/roles/${role.id}`, 'Could not find group: nope.'],
      [`/v3/system/users/nope/roles/${role.id}`, 'Could not find user: nope.'],
      [`/v3/OS-INHERIT/domains/${domain.id}/users/nope/roles/${role.id}/inherited_to_projects`, 'Could not find user: nope.'],
    ];
    for (const [path, message] of cases) {
      const res = await cloud.request('PUT', path, { token: admin });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.message, message, path);
    }
    assert.equal((await cloud.request('GET', `/v3/projects/nope/users/${user.id}/roles`, { token: admin })).status, 404);
    assert.equal((await cloud.request('GET', `/v3/system/groups/nope/roles`, { token: admin })).status, 404);
  });

  it('keeps domain-specific roles on their own domain and off the system', async () => {
    const domain = await createDomain(cloud);
    const inside = await createProject(cloud, domain.id);
    const outside = await createProject(cloud);
    const user = await createUser(cloud);
    const role = await apiRole(cloud, { domain_id: domain.id });
    assert.equal((await cloud.request('PUT', `/v3/projects/${inside.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('PUT', `/v3/domains/${domain.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('PUT', `/v3/projects/${outside.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 403);
    assert.equal((await cloud.request('PUT', `/v3/domains/default/users/${user.id}/roles/${role.id}`, { token: admin })).status, 403);
    assert.equal((await cloud.request('PUT', `/v3/system/users/${user.id}/roles/${role.id}`, { token: admin })).status, 400);
  });

  it('lets a group grant reach its members, and revoking it revokes their tokens', async () => {
    const project = await createProject(cloud);
    const user = await createUser(cloud);
    const group = await createGroup(cloud);
    const role = await apiRole(cloud);
    const member = await roleIdByName(cloud, 'member');
    await addMember(cloud, group.id, user.id);
    const path = `/v3/projects/${project.id}/groups/${group.id}/roles/${role.id}`;
    assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204);
    assert.equal((await cloud.request('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${member}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
    assert.deepEqual((await cloud.request('GET', `/v3/projects/${project.id}/groups/${group.id}/roles`, { token: admin })).body.roles.map((r: Json) => r.id), [role.id]);
    const token = await tokenOf(cloud, user, { project: project.id });
    assert.deepEqual(token?.roles, ['member', 'reader', role.name].sort());
    assert.equal((await cloud.request('DELETE', path, { token: admin })).status, 204);
    assert.equal(await tokenValid(cloud, token!.token), false);
    assert.deepEqual((await tokenOf(cloud, user, { project: project.id }))?.roles, ['member', 'reader']);
  });

  it('revoking a project grant revokes the user tokens for that project only', async () => {
    const p1 = await createProject(cloud);
    const p2 = await createProject(cloud);
    const user = await createUser(cloud);
    const role = await apiRole(cloud);
    const member = await roleIdByName(cloud, 'member');
    for (const [p, r] of [[p1, role.id], [p1, member], [p2, member]] as const) {
      assert.equal((await cloud.request('PUT', `/v3/projects/${p.id}/users/${user.id}/roles/${r}`, { token: admin })).status, 204);
    }
    const t1 = await tokenOf(cloud, user, { project: p1.id });
    const t2 = await tokenOf(cloud, user, { project: p2.id });
    assert.equal((await cloud.request('DELETE', `/v3/projects/${p1.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal(await tokenValid(cloud, t1!.token), false);
    assert.equal(await tokenValid(cloud, t2!.token), true);
  });

  it('grants, lists, checks and revokes system roles for users and groups', async () => {
    const user = await createUser(cloud);
    const group = await createGroup(cloud);
    const role = await apiRole(cloud);
    for (const actor of [`users/${user.id}`, `groups/${group.id}`]) {
      const path = `/v3/system/${actor}/roles/${role.id}`;
      assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204);
      assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
      const list = await cloud.request('GET', `/v3/system/${actor}/roles`, { token: admin });
      assert.deepEqual(list.body.roles, [role]);
    }
    const assignments = await cloud.request('GET', `/v3/role_assignments?scope.system=all&role.id=${role.id}`, { token: admin });
    assert.deepEqual(assignments.body.role_assignments.map((a: Json) => [a.user?.id ?? a.group?.id, a.scope, a.links.assignment]).sort(), [
      [user.id, { system: { all: true } }, `${cloud.url}/v3/system/users/${user.id}/roles/${role.id}`],
      [group.id, { system: { all: true } }, `${cloud.url}/v3/system/groups/${group.id}/roles/${role.id}`],
    ].sort());
    assert.deepEqual((await tokenOf(cloud, user, 'system'))?.roles, [role.name]);
    assert.equal((await cloud.request('DELETE', `/v3/system/users/${user.id}/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('HEAD', `/v3/system/users/${user.id}/roles/${role.id}`, { token: admin })).status, 404);
  });

  it('OS-INHERIT: a domain grant inherited to projects reaches every project of the domain, not the domain', async () => {
    const domain = await createDomain(cloud);
    const parent = await createProject(cloud, domain.id);
    const leaf = await createProject(cloud, domain.id, parent.id);
    const user = await createUser(cloud, domain.id);
    const role = await apiRole(cloud);
    const path = `/v3/OS-INHERIT/domains/${domain.id}/users/${user.id}/roles/${role.id}/inherited_to_projects`;
    assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204);
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
    const inherited = await cloud.request('GET', `/v3/OS-INHERIT/domains/${domain.id}/users/${user.id}/roles/inherited_to_projects`, { token: admin });
    assert.deepEqual(inherited.body.roles, [role]);
    assert.deepEqual((await cloud.request('GET', `/v3/domains/${domain.id}/users/${user.id}/roles`, { token: admin })).body.roles, []);
    assert.equal((await cloud.request('HEAD', `/v3/domains/${domain.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 404);

    for (const project of [parent, leaf]) {
      const eff = await cloud.request('GET', `/v3/role_assignments?effective&user.id=${user.id}&scope.project.id=${project.id}`, { token: admin });
      assert.deepEqual(eff.body.role_assignments, [{
        user: { id: user.id },
        role: { id: role.id },
        scope: { project: { id: project.id }, 'OS-INHERIT:inherited_to': 'projects' },
        links: { assignment: `${cloud.url}${path}` },
      }]);
      assert.deepEqual((await tokenOf(cloud, user, { project: project.id }))?.roles, [role.name]);
    }
    assert.equal(await tokenOf(cloud, user, { domain: domain.id }), null, 'no role on the domain itself');
    const direct = await cloud.request('GET', `/v3/role_assignments?user.id=${user.id}`, { token: admin });
    assert.deepEqual(direct.body.role_assignments, [{
      user: { id: user.id }, role: { id: role.id },
      scope: { domain: { id: domain.id }, 'OS-INHERIT:inherited_to': 'projects' },
      links: { assignment: `${cloud.url}${path}` },
    }]);
    assert.equal((await cloud.request('DELETE', path, { token: admin })).status, 204);
    const none = await cloud.request('GET', `/v3/role_assignments?effective&user.id=${user.id}&scope.project.id=${leaf.id}`, { token: admin });
    assert.deepEqual(none.body.role_assignments, []);
  });

  it('OS-INHERIT: a project grant inherited to projects reaches the subtree, not the project', async () => {
    const parent = await createProject(cloud);
    const child = await createProject(cloud, 'default', parent.id);
    const user = await createUser(cloud);
    const group = await createGroup(cloud);
    await addMember(cloud, group.id, user.id);
    const role = await apiRole(cloud);
    const path = `/v3/OS-INHERIT/projects/${parent.id}/groups/${group.id}/roles/${role.id}/inherited_to_projects`;
    assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204);
    assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
    assert.deepEqual((await cloud.request('GET', `/v3/OS-INHERIT/projects/${parent.id}/groups/${group.id}/roles/inherited_to_projects`, { token: admin })).body.roles, [role]);
    const onChild = await cloud.request('GET', `/v3/role_assignments?effective&user.id=${user.id}&scope.project.id=${child.id}`, { token: admin });
    assert.deepEqual(onChild.body.role_assignments, [{
      user: { id: user.id },
      role: { id: role.id },
      scope: { project: { id: child.id }, 'OS-INHERIT:inherited_to': 'projects' },
      links: { assignment: `${cloud.url}${path}`, membership: `${cloud.url}/v3/groups/${group.id}/users/${user.id}` },
    }]);
    const onParent = await cloud.request('GET', `/v3/role_assignments?effective&user.id=${user.id}&scope.project.id=${parent.id}`, { token: admin });
    assert.deepEqual(onParent.body.role_assignments, []);
    assert.deepEqual((await tokenOf(cloud, user, { project: child.id }))?.roles, [role.name]);
    assert.equal(await tokenOf(cloud, user, { project: parent.id }), null);
  });

  it('lets only admins manage grants', async () => {
    const project = await createProject(cloud);
    const user = await createUser(cloud);
    const role = await apiRole(cloud);
    const demo = await cloud.token('demo');
    assert.equal((await cloud.request('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, { token: demo })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/role_assignments', { token: demo })).status, 403);
  });
});

describe('identity: role assignment lists', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  it('lists direct assignments with filters and links, and effective ones expanded', async () => {
    const domain = await createDomain(cloud);
    const project = await createProject(cloud, domain.id);
    const user = await createUser(cloud, domain.id);
    const other = await createUser(cloud, domain.id);
    const group = await createGroup(cloud, domain.id);
    await addMember(cloud, group.id, user.id);
    await addMember(cloud, group.id, other.id);
    const prior = await apiRole(cloud);
    const implied = await apiRole(cloud);
    const viaGroup = await apiRole(cloud);
    const onDomain = await apiRole(cloud);
    assert.equal((await cloud.request('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, { token: admin })).status, 201);
    for (const path of [
      `/v3/projects/${project.id}/users/${user.id}/roles/${prior.id}`,
      `/v3/projects/${project.id}/groups/${group.id}/roles/${viaGroup.id}`,
      `/v3/domains/${domain.id}/users/${user.id}/roles/${onDomain.id}`,
    ]) assert.equal((await cloud.request('PUT', path, { token: admin })).status, 204, path);

    const onProject = await cloud.request('GET', `/v3/role_assignments?scope.project.id=${project.id}`, { token: admin });
    assert.equal(onProject.status, 200);
    assert.equal(onProject.body.links.self, `${cloud.url}/v3/role_assignments?scope.project.id=${project.id}`);
    const key = (a: Json) => `${a.user ? `u:${a.user.id}` : `g:${a.group.id}`} ${a.role.id}`;
    assert.deepEqual(onProject.body.role_assignments.map(key).sort(), [`u:${user.id} ${prior.id}`, `g:${group.id} ${viaGroup.id}`].sort());
    const groupAssignment = onProject.body.role_assignments.find((a: Json) => a.group);
    assert.deepEqual(groupAssignment, {
      group: { id: group.id }, role: { id: viaGroup.id }, scope: { project: { id: project.id } },
      links: { assignment: `${cloud.url}/v3/projects/${project.id}/groups/${group.id}/roles/${viaGroup.id}` },
    });

    const byDomain = await cloud.request('GET', `/v3/role_assignments?scope.domain.id=${domain.id}`, { token: admin });
    assert.deepEqual(byDomain.body.role_assignments.map(key), [`u:${user.id} ${onDomain.id}`]);
    const byRole = await cloud.request('GET', `/v3/role_assignments?role.id=${viaGroup.id}`, { token: admin });
    assert.deepEqual(byRole.body.role_assignments.map(key), [`g:${group.id} ${viaGroup.id}`]);
    const byGroup = await cloud.request('GET', `/v3/role_assignments?group.id=${group.id}`, { token: admin });
    assert.deepEqual(byGroup.body.role_assignments.map(key), [`g:${group.id} ${viaGroup.id}`]);

    const effective = await cloud.request('GET', `/v3/role_assignments?effective=true&user.id=${user.id}&scope.project.id=${project.id}`, { token: admin });
    const byRoleId = new Map(effective.body.role_assignments.map((a: Json) => [a.role.id, a]));
    assert.deepEqual([...byRoleId.keys()].sort(), [prior.id, implied.id, viaGroup.id].sort());
    assert.deepEqual(byRoleId.get(viaGroup.id), {
      user: { id: user.id }, role: { id: viaGroup.id }, scope: { project: { id: project.id } },
      links: {
        assignment: `${cloud.url}/v3/projects/${project.id}/groups/${group.id}/roles/${viaGroup.id}`,
        membership: `${cloud.url}/v3/groups/${group.id}/users/${user.id}`,
      },
    });
    assert.deepEqual(byRoleId.get(implied.id), {
      user: { id: user.id }, role: { id: implied.id }, scope: { project: { id: project.id } },
      links: {
        assignment: `${cloud.url}/v3/projects/${project.id}/users/${user.id}/roles/${prior.id}`,
        prior_role: `${cloud.url}/v3/prior_role/${implied.id}/implies/${prior.id}`,
      },
    });
    const onlyImplied = await cloud.request('GET', `/v3/role_assignments?effective&role.id=${implied.id}`, { token: admin });
    assert.deepEqual(onlyImplied.body.role_assignments.map((a: Json) => a.user.id), [user.id]);
    const groupEffective = await cloud.request('GET', `/v3/role_assignments?effective&role.id=${viaGroup.id}`, { token: admin });
    assert.deepEqual(groupEffective.body.role_assignments.map((a: Json) => a.user.id).sort(), [user.id, other.id].sort());
    assert.equal((await cloud.request('GET', `/v3/role_assignments?effective=0&group.id=${group.id}`, { token: admin })).status, 200, 'effective=0 is off');
  });

  it('shows names with include_names', async () => {
    const domain = await createDomain(cloud);
    const project = await createProject(cloud, domain.id);
    const user = await createUser(cloud, domain.id);
    const role = await apiRole(cloud, { domain_id: domain.id });
    assert.equal((await cloud.request('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 204);
    const res = await cloud.request('GET', `/v3/role_assignments?user.id=${user.id}&include_names=True`, { token: admin });
    assert.deepEqual(res.body.role_assignments, [{
      user: { id: user.id, name: user.name, domain: { id: domain.id, name: domain.name } },
      role: { id: role.id, name: role.name, domain: { id: domain.id, name: domain.name } },
      scope: { project: { id: project.id, name: project.name, domain: { id: domain.id, name: domain.name } } },
      links: { assignment: `${cloud.url}/v3/projects/${project.id}/users/${user.id}/roles/${role.id}` },
    }]);
    // Domain-specific roles never reach a token, so the effective list leaves them out.
    const effective = await cloud.request('GET', `/v3/role_assignments?effective&user.id=${user.id}`, { token: admin });
    assert.deepEqual(effective.body.role_assignments, []);
  });

  it('lists a project subtree with include_subtree and filters inherited grants', async () => {
    const parent = await createProject(cloud);
    const child = await createProject(cloud, 'default', parent.id);
    const user = await createUser(cloud);
    const role = await apiRole(cloud);
    assert.equal((await cloud.request('PUT', `/v3/projects/${child.id}/users/${user.id}/roles/${role.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('PUT', `/v3/OS-INHERIT/projects/${parent.id}/users/${user.id}/roles/${role.id}/inherited_to_projects`, { token: admin })).status, 204);
    const plain = await cloud.request('GET', `/v3/role_assignments?scope.project.id=${parent.id}`, { token: admin });
    assert.deepEqual(plain.body.role_assignments.map((a: Json) => a.scope), [{ project: { id: parent.id }, 'OS-INHERIT:inherited_to': 'projects' }]);
    const subtree = await cloud.request('GET', `/v3/role_assignments?scope.project.id=${parent.id}&include_subtree=True`, { token: admin });
    assert.deepEqual(subtree.body.role_assignments.map((a: Json) => a.scope.project.id).sort(), [parent.id, child.id].sort());
    const inheritedOnly = await cloud.request('GET', `/v3/role_assignments?user.id=${user.id}&scope.OS-INHERIT:inherited_to=projects`, { token: admin });
    assert.deepEqual(inheritedOnly.body.role_assignments.map((a: Json) => a.scope.project.id), [parent.id]);
    const effective = await cloud.request('GET', `/v3/role_assignments?effective&user.id=${user.id}&scope.project.id=${child.id}`, { token: admin });
    assert.equal(effective.body.role_assignments.length, 2, 'the direct grant and the inherited one');
  });

  it('refuses filter combinations that cannot match', async () => {
    for (const q of [
      'scope.project.id=a&scope.domain.id=b',
      'scope.system=all&scope.domain.id=b',
      'scope.system=all&scope.project.id=a',
      'user.id=a&group.id=b',
      'effective&group.id=b',
      'effective&scope.domain.id=b&scope.OS-INHERIT:inherited_to=projects',
      'include_subtree=True',
    ]) {
      const res = await cloud.request('GET', `/v3/role_assignments?${q}`, { token: admin });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.code, 400, q);
    }
    assert.equal((await cloud.request('GET', '/v3/role_assignments?scope.project.id=nope&include_subtree=True', { token: admin })).status, 404);
  });

  it('lists the bootstrap assignments', async () => {
    const res = await cloud.request('GET', '/v3/role_assignments?include_names', { token: admin });
    const summary = res.body.role_assignments.filter((a: Json) => a.user).map((a: Json) => `${a.user.name} ${a.role.name} ${a.scope.project?.name ?? (a.scope.system ? 'system' : '?')}`).sort();
    assert.ok(summary.includes('admin admin admin'));
    assert.ok(summary.includes('admin admin system'));
    assert.ok(summary.includes('demo member demo'));
  });
});
