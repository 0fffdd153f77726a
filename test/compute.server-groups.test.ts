/** Server groups over HTTP: policies per microversion, members, projects, quota. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, type TestCloud } from './helpers/cloud.js';
import { needs, startCloudWithNovaClients, userId, type Nova } from './helpers/compute-catalog.js';
import { deleteFakeServer, fakeServer } from './helpers/compute-hosts.js';

describe('compute: server groups', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let demoProject: string;
  let demoUser: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    demoProject = await projectId(cloud, 'demo');
    demoUser = await userId(cloud, 'demo');
  });
  after(async () => cloud.destroy());

  const create = (n: Nova, group: Record<string, unknown>, version?: string) => n('POST', '/os-server-groups', { body: { server_group: group }, ...(version ? { version } : {}) });
  let demoGroup: string;
  let adminGroup: string;

  it('creates a group with one policy (2.1 shape: policies, metadata, members)', async () => {
    const res = await create(demo, { name: 'web', policies: ['anti-affinity'] });
    assert.equal(res.status, 200);
    const g = res.body.server_group;
    assert.match(g.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...g, id: undefined }, { id: undefined, name: 'web', policies: ['anti-affinity'], metadata: {}, members: [] });
    demoGroup = g.id;
    adminGroup = (await create(admin, { name: 'web', policies: ['affinity'] })).body.server_group.id;
    assert.notEqual(adminGroup, demoGroup);
  });

  it('refuses invalid groups with 400 and stores nothing', async () => {
    const bad: Record<string, unknown>[] = [
      { name: 'x', policies: ['soft-affinity'] }, { name: 'x', policies: ['affinity', 'anti-affinity'] }, { name: 'x', policies: [] },
      { name: 'x', policies: 'affinity' }, { name: '', policies: ['affinity'] }, { name: 'x' }, { name: 'x', policy: 'affinity' },
      { name: 'x', policies: ['affinity'], extra: 1 },
    ];
    for (const group of bad) assert.equal((await create(demo, group)).status, 400, JSON.stringify(group));
    assert.equal((await demo('GET', '/os-server-groups')).body.server_groups.length, 1);
  });

  it('lists a project\'s own groups; admins see all with all_projects', async () => {
    const own = await demo('GET', '/os-server-groups');
    assert.deepEqual(own.body.server_groups.map((g: { id: string }) => g.id), [demoGroup]);
    assert.deepEqual((await demo('GET', '/os-server-groups?all_projects=True')).body.server_groups.map((g: { id: string }) => g.id), [demoGroup]);
    assert.deepEqual((await admin('GET', '/os-server-groups')).body.server_groups.map((g: { id: string }) => g.id), [adminGroup]);
    const all = (await admin('GET', '/os-server-groups?all_projects=True')).body.server_groups.map((g: { id: string }) => g.id);
    assert.deepEqual(all.sort(), [demoGroup, adminGroup].sort());
    assert.equal((await admin('GET', '/os-server-groups?all_projects=True&limit=1')).body.server_groups.length, 1);
    assert.equal((await admin('GET', '/os-server-groups?all_projects=True&offset=1')).body.server_groups.length, 1);
  });

  it('shows a group to its project and admins only', async () => {
    const res = await demo('GET', `/os-server-groups/${demoGroup}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.server_group.name, 'web');
    assert.equal((await admin('GET', `/os-server-groups/${demoGroup}`)).status, 200);
    assert.equal((await demo('GET', `/os-server-groups/${adminGroup}`)).status, 403);
    const missing = await demo('GET', '/os-server-groups/8ec4fd3c-7d2f-4a4e-9d5c-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.itemNotFound.message, 'Instance group 8ec4fd3c-7d2f-4a4e-9d5c-000000000000 could not be found.');
  });

  it('shows as members the group\'s servers that still exist', async () => {
    const a = await fakeServer(cloud, { projectId: demoProject, userId: demoUser, host: null });
    const b = await fakeServer(cloud, { projectId: demoProject, userId: demoUser, host: null });
    await cloud.store.db.insertInto('server_group_members').values([{ group_id: demoGroup, server_id: a }, { group_id: demoGroup, server_id: b }]).execute();
    assert.deepEqual((await demo('GET', `/os-server-groups/${demoGroup}`)).body.server_group.members, [a, b]);
    await deleteFakeServer(cloud, a);
    assert.deepEqual((await demo('GET', `/os-server-groups/${demoGroup}`)).body.server_group.members, [b]);
    assert.deepEqual((await demo('GET', '/os-server-groups')).body.server_groups[0].members, [b]);
  });

  it('adds project_id and user_id at 2.13 and soft policies at 2.15', needs('2.15'), async () => {
    const shown = (await demo('GET', `/os-server-groups/${demoGroup}`, { version: '2.13' })).body.server_group;
    assert.equal(shown.project_id, demoProject);
    assert.equal(shown.user_id, demoUser);
    assert.equal((await create(demo, { name: 'soft', policies: ['soft-affinity'] }, '2.14')).status, 400);
    const soft = await create(demo, { name: 'soft', policies: ['soft-anti-affinity'] }, '2.15');
    assert.equal(soft.status, 200);
    assert.deepEqual(soft.body.server_group.policies, ['soft-anti-affinity']);
    await demo('DELETE', `/os-server-groups/${soft.body.server_group.id}`);
  });

  it('takes a policy and rules from 2.64 (max_server_per_host for anti-affinity only)', needs('2.64'), async () => {
    const res = await create(demo, { name: 'spread', policy: 'anti-affinity', rules: { max_server_per_host: 2 } }, '2.64');
    assert.equal(res.status, 200);
    const g = res.body.server_group;
    assert.equal(g.policy, 'anti-affinity');
    assert.deepEqual(g.rules, { max_server_per_host: 2 });
    assert.equal('policies' in g, false);
    assert.equal('metadata' in g, false);
    assert.equal((await create(demo, { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } }, '2.64')).status, 400);
    assert.equal((await create(demo, { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 0 } }, '2.64')).status, 400);
    assert.equal((await create(demo, { name: 'x', policies: ['affinity'] }, '2.64')).status, 400);
    const old = (await demo('GET', `/os-server-groups/${demoGroup}`, { version: '2.64' })).body.server_group;
    assert.deepEqual(old.rules, {});
    await demo('DELETE', `/os-server-groups/${g.id}`);
  });

  it('counts the server_groups quota (403 when full)', async () => {
    await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { server_groups: 1 } } });
    const res = await create(demo, { name: 'one-more', policies: ['affinity'] });
    assert.equal(res.status, 403);
    assert.equal(res.body.forbidden.message, 'Quota exceeded, too many server groups.');
    assert.equal((await demo('GET', '/limits')).body.limits.absolute.totalServerGroupsUsed, 1);
    await admin('DELETE', `/os-quota-sets/${demoProject}`);
  });

  it('deletes a group (its project or an admin) with 204', async () => {
    assert.equal((await demo('DELETE', `/os-server-groups/${adminGroup}`)).status, 403);
    assert.equal((await demo('DELETE', `/os-server-groups/${demoGroup}`)).status, 204);
    assert.equal((await demo('GET', `/os-server-groups/${demoGroup}`)).status, 404);
    assert.equal((await demo('DELETE', `/os-server-groups/${demoGroup}`)).status, 404);
    assert.equal((await cloud.store.db.selectFrom('server_group_members').selectAll().where('group_id', '=', demoGroup).execute()).length, 0);
    assert.equal((await admin('DELETE', `/os-server-groups/${adminGroup}`)).status, 204);
  });
});
