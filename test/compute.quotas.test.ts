/** Quota sets, quota classes and limits over HTTP, and the quota check server create uses. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, type TestCloud } from './helpers/cloud.js';
import { needs, startCloudWithNovaClients, userId, type Nova } from './helpers/compute-catalog.js';
import { fakeServer } from './helpers/compute-hosts.js';
import { checkComputeQuota } from '../src/compute/catalog/quotas.js';

const V21_KEYS = ['cores', 'fixed_ips', 'floating_ips', 'injected_file_content_bytes', 'injected_file_path_bytes', 'injected_files', 'instances',
  'key_pairs', 'metadata_items', 'ram', 'security_group_rules', 'security_groups', 'server_group_members', 'server_groups'];

describe('compute: quotas and limits', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let demoProject: string;
  let demoUser: string;
  let adminProject: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    demoProject = await projectId(cloud, 'demo');
    adminProject = await projectId(cloud, 'admin');
    demoUser = await userId(cloud, 'demo');
  });
  after(async () => cloud.destroy());

  it('shows Nova\'s default quotas for a project, and its defaults to anyone', async () => {
    const res = await demo('GET', `/os-quota-sets/${demoProject}`);
    assert.equal(res.status, 200);
    const q = res.body.quota_set;
    assert.equal(q.id, demoProject);
    assert.deepEqual(Object.keys(q).filter((k) => k !== 'id').sort(), V21_KEYS);
    assert.equal(q.instances, 10);
    assert.equal(q.cores, 20);
    assert.equal(q.ram, 51200);
    assert.equal(q.key_pairs, 100);
    assert.equal(q.metadata_items, 128);
    assert.equal(q.server_groups, 10);
    const defaults = await demo('GET', `/os-quota-sets/${demoProject}/defaults`);
    assert.deepEqual(defaults.body, res.body);
    assert.equal((await demo('GET', `/os-quota-sets/${adminProject}`)).status, 403, 'another project is the admin\'s business');
    assert.equal((await admin('GET', '/os-quota-sets/no-such-project')).status, 400);
  });

  it('updates limits (admin), refusing values below use unless forced, and a non-admin', async () => {
    assert.equal((await demo('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { ram: 0 } } })).status, 403);
    const res = await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { ram: '5120', instances: 3, cores: -1 } } });
    assert.equal(res.status, 200);
    assert.equal('id' in res.body.quota_set, false);
    assert.equal(res.body.quota_set.ram, 5120);
    assert.equal(res.body.quota_set.cores, -1);
    assert.equal((await demo('GET', `/os-quota-sets/${demoProject}`)).body.quota_set.instances, 3);
    await fakeServer(cloud, { projectId: demoProject, userId: demoUser, host: null, vcpus: 2, memoryMb: 1024 });
    await fakeServer(cloud, { projectId: demoProject, userId: demoUser, host: null, vcpus: 2, memoryMb: 1024 });
    const below = await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { instances: 1 } } });
    assert.equal(below.status, 400);
    assert.match(below.body.badRequest.message, /must be greater than or equal to already used and reserved 2/);
    assert.equal((await admin('GET', `/os-quota-sets/${demoProject}`)).body.quota_set.instances, 3, 'nothing changed');
    assert.equal((await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { instances: 1, force: 'True' } } })).status, 200);
    for (const bad of [{ ram: -2 }, { ram: 'lots' }, { color: 1 }, { ram: 2 ** 31 }]) {
      assert.equal((await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: bad } })).status, 400, JSON.stringify(bad));
    }
  });

  it('details limits with what is in use', async () => {
    const res = await demo('GET', `/os-quota-sets/${demoProject}/detail`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.quota_set.instances, { limit: 1, in_use: 2, reserved: 0 });
    assert.deepEqual(res.body.quota_set.cores, { limit: -1, in_use: 4, reserved: 0 });
    assert.deepEqual(res.body.quota_set.ram, { limit: 5120, in_use: 2048, reserved: 0 });
    assert.deepEqual(res.body.quota_set.key_pairs, { limit: 100, in_use: 0, reserved: 0 });
  });

  it('keeps per-user limits under the project\'s', async () => {
    const put = (quota: Record<string, unknown>) => admin('PUT', `/os-quota-sets/${demoProject}?user_id=${demoUser}`, { body: { quota_set: quota } });
    assert.equal((await put({ ram: 2048 })).status, 200);
    assert.equal((await admin('GET', `/os-quota-sets/${demoProject}?user_id=${demoUser}`)).body.quota_set.ram, 2048);
    assert.equal((await admin('GET', `/os-quota-sets/${demoProject}`)).body.quota_set.ram, 5120, 'the project keeps its own');
    assert.equal((await put({ ram: 8192 })).status, 400, 'above the project\'s limit');
    assert.equal((await admin('DELETE', `/os-quota-sets/${demoProject}?user_id=${demoUser}`)).status, 202);
    assert.equal((await admin('GET', `/os-quota-sets/${demoProject}?user_id=${demoUser}`)).body.quota_set.ram, 5120);
  });

  it('reverts a project to the defaults on delete', async () => {
    assert.equal((await demo('DELETE', `/os-quota-sets/${demoProject}`)).status, 403);
    assert.equal((await admin('DELETE', `/os-quota-sets/${demoProject}`)).status, 202);
    const q = (await demo('GET', `/os-quota-sets/${demoProject}`)).body.quota_set;
    assert.equal(q.instances, 10);
    assert.equal(q.ram, 51200);
  });

  it('refuses what would go over quota in the check server create calls (403, Nova\'s message)', async () => {
    await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { cores: 5, instances: 10 } } });
    await checkComputeQuota(cloud.store.db, demoProject, demoUser, { instances: 1, cores: 1, ram: 512 });
    await assert.rejects(checkComputeQuota(cloud.store.db, demoProject, demoUser, { instances: 1, cores: 2, ram: 512 }), (err: Error & { status?: number }) => {
      assert.equal(err.status, 403);
      assert.equal(err.message, 'Quota exceeded for cores: Requested 2, but already used 4 of 5 cores');
      return true;
    });
    await admin('DELETE', `/os-quota-sets/${demoProject}`);
  });

  it('changes every project\'s defaults through the default quota class (admin)', async () => {
    const shown = await admin('GET', '/os-quota-class-sets/default');
    assert.equal(shown.status, 200);
    assert.equal(shown.body.quota_class_set.id, 'default');
    assert.equal('server_groups' in shown.body.quota_class_set, false, 'server group quotas appear at 2.50');
    const res = await admin('PUT', '/os-quota-class-sets/default', { body: { quota_class_set: { instances: 20, cores: 40 } } });
    assert.equal(res.status, 200);
    assert.equal(res.body.quota_class_set.instances, 20);
    assert.equal((await demo('GET', `/os-quota-sets/${demoProject}`)).body.quota_set.instances, 20);
    assert.equal((await demo('GET', `/os-quota-sets/${demoProject}/defaults`)).body.quota_set.cores, 40);
    assert.equal((await demo('GET', '/os-quota-class-sets/default')).status, 403);
    assert.equal((await admin('PUT', '/os-quota-class-sets/default', { body: { quota_class_set: { server_groups: 5 } } })).status, 400);
    await admin('PUT', '/os-quota-class-sets/default', { body: { quota_class_set: { instances: 10, cores: 20 } } });
  });

  it('hides network quotas from 2.36 and file quotas from 2.57', needs('2.57'), async () => {
    const at236 = (await demo('GET', `/os-quota-sets/${demoProject}`, { version: '2.36' })).body.quota_set;
    assert.equal('floating_ips' in at236, false);
    assert.equal('injected_files' in at236, true);
    const at257 = (await demo('GET', `/os-quota-sets/${demoProject}`, { version: '2.57' })).body.quota_set;
    assert.deepEqual(Object.keys(at257).sort(), ['cores', 'id', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups']);
    assert.equal((await admin('PUT', `/os-quota-sets/${demoProject}`, { body: { quota_set: { floating_ips: 1 } }, version: '2.36' })).status, 400);
    const cls = (await admin('GET', '/os-quota-class-sets/default', { version: '2.50' })).body.quota_class_set;
    assert.equal(cls.server_groups, 10);
    assert.equal('fixed_ips' in cls, false);
  });

  it('gives a project its absolute limits and use; admins may ask for another', async () => {
    const res = await demo('GET', '/limits');
    assert.equal(res.status, 200);
    const a = res.body.limits.absolute;
    assert.deepEqual(res.body.limits.rate, []);
    assert.equal(a.maxTotalInstances, 10);
    assert.equal(a.maxTotalCores, 20);
    assert.equal(a.maxTotalRAMSize, 51200);
    assert.equal(a.maxServerMeta, 128);
    assert.equal(a.maxImageMeta, 128);
    assert.equal(a.maxPersonality, 5);
    assert.equal(a.totalInstancesUsed, 2);
    assert.equal(a.totalCoresUsed, 4);
    assert.equal(a.totalRAMUsed, 2048);
    assert.equal(a.totalServerGroupsUsed, 0);
    assert.equal(a.maxSecurityGroups, -1);
    const adminOwn = (await admin('GET', '/limits')).body.limits.absolute;
    assert.equal(adminOwn.totalInstancesUsed, 0);
    const other = (await admin('GET', `/limits?tenant_id=${demoProject}`)).body.limits.absolute;
    assert.equal(other.totalInstancesUsed, 2);
    assert.equal((await demo('GET', `/limits?tenant_id=${adminProject}`)).status, 403);
  });

  it('drops network limits at 2.36, maxImageMeta at 2.39 and personality limits at 2.57', needs('2.75'), async () => {
    const at236 = (await demo('GET', '/limits', { version: '2.36' })).body.limits.absolute;
    assert.equal('maxSecurityGroups' in at236, false);
    assert.equal('totalFloatingIpsUsed' in at236, false);
    assert.equal('maxImageMeta' in at236, true);
    const at257 = (await demo('GET', '/limits', { version: '2.57' })).body.limits.absolute;
    assert.equal('maxImageMeta' in at257, false);
    assert.equal('maxPersonality' in at257, false);
    assert.equal((await demo('GET', '/limits?x=1', { version: '2.75' })).status, 400);
  });
});
