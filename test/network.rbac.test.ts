/** RBAC policies: sharing networks and security groups with a project or everyone, policy, validation, in-use refusal, quota. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPort } from '../src/network/ports/create.js';
import { projectId, startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { snapshot } from './helpers/snapshot.js';

describe('network: RBAC policies', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let demoProject: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    demoProject = await projectId(cloud, 'demo');
  });
  after(async () => cloud.destroy());

  const network = async (token: string, name: string): Promise<string> => {
    const res = await cloud.request('POST', '/network/v2.0/networks', { token, body: { network: { name } } });
    assert.equal(res.status, 201, res.text);
    return res.body.network.id;
  };
  const policy = (token: string, rbac_policy: Record<string, unknown>) => cloud.request('POST', '/network/v2.0/rbac-policies', { token, body: { rbac_policy } });
  const visibleTo = async (token: string, id: string) => (await cloud.request('GET', `/network/v2.0/networks/${id}`, { token })).status === 200;

  it('shares a network with one project, and withdraws it', async () => {
    const net = await network(admin, 'shared-with-demo');
    assert.equal(await visibleTo(demo, net), false);
    const res = await policy(admin, { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: demoProject });
    assert.equal(res.status, 201, res.text);
    const p = res.body.rbac_policy;
    assert.deepEqual(Object.keys(p).sort(), ['action', 'id', 'object_id', 'object_type', 'project_id', 'target_tenant', 'tenant_id']);
    assert.equal(await visibleTo(demo, net), true);
    const listed = await cloud.request('GET', '/network/v2.0/networks', { token: demo });
    assert.ok(listed.body.networks.some((n: { id: string }) => n.id === net));
    assert.equal((await cloud.request('GET', `/network/v2.0/rbac-policies/${p.id}`, { token: demo })).status, 404, 'the policy belongs to its creator');
    const dup = await policy(admin, { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: demoProject });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.NeutronError.type, 'DuplicateRbacPolicy');
    assert.equal((await cloud.request('DELETE', `/network/v2.0/rbac-policies/${p.id}`, { token: admin })).status, 204);
    assert.equal(await visibleTo(demo, net), false);
  });

  it('turns wildcard policies into the network\'s shared and router:external flags', async () => {
    const net = await network(admin, 'everyone');
    const shared = await policy(admin, { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: '*' });
    assert.equal(shared.status, 201);
    let view = (await cloud.request('GET', `/network/v2.0/networks/${net}`, { token: demo })).body.network;
    assert.equal(view.shared, true);
    const external = await policy(admin, { object_type: 'network', object_id: net, action: 'access_as_external', target_tenant: '*' });
    assert.equal(external.status, 201);
    view = (await cloud.request('GET', `/network/v2.0/networks/${net}`, { token: admin })).body.network;
    assert.equal(view['router:external'], true);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/rbac-policies/${shared.body.rbac_policy.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/rbac-policies/${external.body.rbac_policy.id}`, { token: admin })).status, 204);
    view = (await cloud.request('GET', `/network/v2.0/networks/${net}`, { token: admin })).body.network;
    assert.equal(view.shared, false);
    assert.equal(view['router:external'], false);
    assert.equal(await visibleTo(demo, net), false);
  });

  it('refuses to withdraw a share the target still uses', async () => {
    const net = await network(admin, 'in-use');
    const p = await policy(admin, { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: demoProject });
    await cloud.store.transaction((tx) => createPort(tx, { networkId: net, projectId: demoProject }));
    const before = await snapshot(cloud.store, ['revocation_events']);
    const del = await cloud.request('DELETE', `/network/v2.0/rbac-policies/${p.body.rbac_policy.id}`, { token: admin });
    assert.equal(del.status, 409);
    assert.equal(del.body.NeutronError.type, 'RbacPolicyInUse');
    assert.match(del.body.NeutronError.message, new RegExp(`RBAC policy on object ${net} cannot be removed because other objects depend on it`));
    const retarget = await cloud.request('PUT', `/network/v2.0/rbac-policies/${p.body.rbac_policy.id}`, { token: admin, body: { rbac_policy: { target_tenant: '*' } } });
    assert.equal(retarget.status, 409, 'moving the share away from the project that uses it');
    assert.deepEqual(await snapshot(cloud.store, ['revocation_events']), before);
    // With a wildcard share as well, the project keeps its access, so the specific one may go.
    const wildcard = await policy(admin, { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: '*' });
    assert.equal(wildcard.status, 201);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/rbac-policies/${p.body.rbac_policy.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/rbac-policies/${wildcard.body.rbac_policy.id}`, { token: admin })).status, 409);
  });

  it('lets an owner share its own network with a project but not with everyone, nor share others\' networks', async () => {
    const mine = await network(demo, 'demo-net');
    const adminProject = (await cloud.request('GET', '/v3/projects?name=admin', { token: admin })).body.projects[0].id;
    const ok = await policy(demo, { object_type: 'network', object_id: mine, action: 'access_as_shared', target_tenant: adminProject });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.rbac_policy.project_id, demoProject);
    const wildcard = await policy(demo, { object_type: 'network', object_id: mine, action: 'access_as_shared', target_tenant: '*' });
    assert.equal(wildcard.status, 403);
    assert.equal(wildcard.body.NeutronError.type, 'PolicyNotAuthorized');
    const foreign = await network(admin, 'admin-net');
    assert.equal((await policy(demo, { object_type: 'network', object_id: foreign, action: 'access_as_shared', target_tenant: demoProject })).status, 404);
    const list = await cloud.request('GET', '/network/v2.0/rbac-policies', { token: demo });
    assert.deepEqual(list.body.rbac_policies.map((r: { id: string }) => r.id), [ok.body.rbac_policy.id]);
    const upd = await cloud.request('PUT', `/network/v2.0/rbac-policies/${ok.body.rbac_policy.id}`, { token: demo, body: { rbac_policy: { object_id: foreign } } });
    assert.equal(upd.status, 400);
  });

  it('validates object types, actions and targets', async () => {
    const net = await network(admin, 'validation');
    const cases: [Record<string, unknown>, number, string][] = [
      [{ object_type: 'volume' }, 400, 'InvalidInput'],
      [{ action: 'access_as_owner' }, 400, 'InvalidActionForType'],
      [{ target_tenant: 'not a project' }, 400, 'InvalidInput'],
      [{ object_id: 'nope' }, 400, 'HTTPBadRequest'],
      [{ object_id: '3f8c1b52-5c9e-4a0e-9a60-1c2d3e4f5a6b' }, 404, 'NetworkNotFound'],
      [{ object_type: 'security_group', action: 'access_as_external' }, 400, 'InvalidActionForType'],
      [{ target_tenant: undefined }, 400, 'HTTPBadRequest'],
    ];
    for (const [override, status, type] of cases) {
      const body = { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: demoProject, ...override };
      const res = await policy(admin, body);
      assert.equal(res.status, status, `${JSON.stringify(override)}: ${res.text}`);
      assert.equal(res.body.NeutronError.type, type, JSON.stringify(override));
    }
  });

  it('shares a security group so the target project sees it', async () => {
    const group = await cloud.request('POST', '/network/v2.0/security-groups', { token: admin, body: { security_group: { name: 'shared-sg' } } });
    const id = group.body.security_group.id;
    assert.equal((await cloud.request('GET', `/network/v2.0/security-groups/${id}`, { token: demo })).status, 404);
    const p = await policy(admin, { object_type: 'security_group', object_id: id, action: 'access_as_shared', target_tenant: demoProject });
    assert.equal(p.status, 201, p.text);
    assert.equal((await cloud.request('GET', `/network/v2.0/security-groups/${id}`, { token: demo })).status, 200);
    const change = await cloud.request('PUT', `/network/v2.0/security-groups/${id}`, { token: demo, body: { security_group: { name: 'mine now' } } });
    assert.equal(change.status, 403, 'shared is not owned');
    assert.equal((await cloud.request('DELETE', `/network/v2.0/rbac-policies/${p.body.rbac_policy.id}`, { token: admin })).status, 204);
    assert.equal((await cloud.request('GET', `/network/v2.0/security-groups/${id}`, { token: demo })).status, 404);
  });

  it('counts policies against the rbac_policy quota', async () => {
    await cloud.request('PUT', `/network/v2.0/quotas/${demoProject}`, { token: admin, body: { quota: { rbac_policy: 1 } } });
    const net = await network(demo, 'quota-net');
    const projects = (await cloud.request('GET', '/v3/projects', { token: admin })).body.projects.map((p: { id: string }) => p.id).filter((p: string) => p !== demoProject);
    const used = (await cloud.request('GET', `/network/v2.0/quotas/${demoProject}/details`, { token: demo })).body.quota.rbac_policy.used;
    assert.equal(used, 1, 'the policy of the owner test above');
    const over = await policy(demo, { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: projects[0] });
    assert.equal(over.status, 409);
    assert.equal(over.body.NeutronError.type, 'OverQuota');
    await cloud.request('DELETE', `/network/v2.0/quotas/${demoProject}`, { token: admin });
  });
});
