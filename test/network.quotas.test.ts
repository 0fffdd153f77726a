/** Neutron quotas: defaults, per-project limits, list, reset, details with usage, validation, policy, OverQuota. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, startCloudWithTokens, type TestCloud } from './helpers/cloud.js';

const DEFAULTS = { network: 100, subnet: 100, subnetpool: -1, port: 500, router: 10, floatingip: 50, security_group: 10, security_group_rule: 100, rbac_policy: 10 };

describe('network: quotas', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let demoProject: string;
  let adminProject: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    demoProject = await projectId(cloud, 'demo');
    adminProject = await projectId(cloud, 'admin');
  });
  after(async () => cloud.destroy());

  const put = (token: string, project: string, quota: unknown) => cloud.request('PUT', `/network/v2.0/quotas/${project}`, { token, body: { quota } });

  it('shows Neutron\'s defaults for a project without limits of its own', async () => {
    const res = await cloud.request('GET', `/network/v2.0/quotas/${demoProject}`, { token: admin });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.quota, DEFAULTS);
    const defaults = await cloud.request('GET', `/network/v2.0/quotas/${demoProject}/default`, { token: admin });
    assert.deepEqual(defaults.body.quota, DEFAULTS);
  });

  it('updates, lists, resets to defaults', async () => {
    const res = await put(admin, demoProject, { network: 0, port: '7' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.quota.network, 0);
    assert.equal(res.body.quota.port, 7);
    assert.equal(res.body.quota.subnet, 100);
    const list = await cloud.request('GET', '/network/v2.0/quotas', { token: admin });
    const entry = list.body.quotas.find((q: { project_id: string }) => q.project_id === demoProject);
    assert.ok(entry, JSON.stringify(list.body));
    assert.equal(entry.tenant_id, demoProject);
    assert.equal(entry.network, 0);
    const refused = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name: 'none allowed' } } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.NeutronError.type, 'OverQuota');
    assert.equal(refused.body.NeutronError.message, "Quota exceeded for resources: ['network'].");
    assert.equal((await cloud.request('DELETE', `/network/v2.0/quotas/${demoProject}`, { token: admin })).status, 204);
    const after = await cloud.request('GET', '/network/v2.0/quotas', { token: admin });
    assert.ok(!after.body.quotas.some((q: { project_id: string }) => q.project_id === demoProject));
    const again = await cloud.request('DELETE', `/network/v2.0/quotas/${demoProject}`, { token: admin });
    assert.equal(again.status, 404);
    assert.equal(again.body.NeutronError.type, 'TenantQuotaNotFound');
    assert.deepEqual((await cloud.request('GET', `/network/v2.0/quotas/${demoProject}`, { token: admin })).body.quota, DEFAULTS);
  });

  it('validates limits: integers from -1, known resources, not below usage unless forced', async () => {
    const bad: [unknown, string][] = [
      [{ network: -2 }, 'HTTPBadRequest'],
      [{ network: 'many' }, 'InvalidInput'],
      [{ network: 2147483648 }, 'HTTPBadRequest'],
      [{ widgets: 1 }, 'HTTPBadRequest'],
      ['x', 'HTTPBadRequest'],
    ];
    for (const [quota, type] of bad) {
      const res = await put(admin, demoProject, quota);
      assert.equal(res.status, 400, JSON.stringify(quota));
      assert.equal(res.body.NeutronError.type, type, JSON.stringify(quota));
    }
    // The demo project has its default security group, so 4 rules are in use.
    const low = await put(admin, demoProject, { security_group_rule: 3 });
    assert.equal(low.status, 400);
    assert.match(low.body.NeutronError.message, /Quota limit 3 for security_group_rule must be greater than or equal to already used 4/);
    const forced = await put(admin, demoProject, { security_group_rule: 3, force: true });
    assert.equal(forced.status, 200);
    assert.equal(forced.body.quota.security_group_rule, 3);
    assert.equal((await put(admin, demoProject, { security_group_rule: -1 })).body.quota.security_group_rule, -1, '-1 is unlimited');
    await cloud.request('DELETE', `/network/v2.0/quotas/${demoProject}`, { token: admin });
  });

  it('reports details with usage (also under details.json, as neutronclient asks)', async () => {
    const net = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name: 'counted' } } });
    assert.equal(net.status, 201);
    for (const path of ['details', 'details.json']) {
      const res = await cloud.request('GET', `/network/v2.0/quotas/${demoProject}/${path}`, { token: demo });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body.quota).sort(), Object.keys(DEFAULTS).sort());
      assert.deepEqual(res.body.quota.network, { limit: 100, used: 1, reserved: 0 });
      assert.deepEqual(res.body.quota.security_group, { limit: 10, used: 1, reserved: 0 });
      assert.equal(res.body.quota.security_group_rule.used, 4);
    }
  });

  it('lets members read only their own project\'s quotas and change nothing', async () => {
    assert.equal((await cloud.request('GET', `/network/v2.0/quotas/${demoProject}`, { token: demo })).status, 200);
    const other = await cloud.request('GET', `/network/v2.0/quotas/${adminProject}`, { token: demo });
    assert.equal(other.status, 403);
    assert.equal(other.body.NeutronError.type, 'PolicyNotAuthorized');
    const details = await cloud.request('GET', `/network/v2.0/quotas/${adminProject}/details`, { token: demo });
    assert.equal(details.status, 403);
    assert.equal(details.body.NeutronError.type, 'AdminRequired');
    assert.equal((await cloud.request('GET', '/network/v2.0/quotas', { token: demo })).status, 403);
    assert.equal((await put(demo, demoProject, { network: 1000 })).status, 403);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/quotas/${demoProject}`, { token: demo })).status, 403);
    const me = await cloud.request('GET', '/network/v2.0/quotas/project', { token: demo });
    assert.deepEqual(me.body, { project: { project_id: demoProject } });
  });
});
