/** os-simple-tenant-usage over HTTP: hours and resource-hours of a period, per project. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, type TestCloud } from './helpers/cloud.js';
import { needs, startCloudWithNovaClients, userId, type Nova } from './helpers/compute-catalog.js';
import { fakeServer } from './helpers/compute-hosts.js';

describe('compute: simple tenant usage', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let demoProject: string;
  let server: string;
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
  const stamp = (d: Date) => d.toISOString().slice(0, 23).replace(/Z$/, '');
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    demoProject = await projectId(cloud, 'demo');
    server = await fakeServer(cloud, { projectId: demoProject, userId: await userId(cloud, 'demo'), host: null, vcpus: 2, memoryMb: 1024, rootGb: 10, name: 'worker' });
    // It has been running for three hours.
    await cloud.store.db.updateTable('instances').set({ launched_at: hoursAgo(3).toISOString() }).where('uuid', '=', server).execute();
  });
  after(async () => cloud.destroy());

  it('reports a project\'s servers with the hours they ran in the period', async () => {
    const res = await demo('GET', `/os-simple-tenant-usage/${demoProject}?start=${stamp(hoursAgo(2))}&end=${stamp(hoursAgo(-1))}`);
    assert.equal(res.status, 200);
    const u = res.body.tenant_usage;
    assert.equal(u.tenant_id, demoProject);
    assert.ok(Math.abs(u.total_hours - 2) < 0.01, `about 2 hours, got ${u.total_hours}`);
    assert.ok(Math.abs(u.total_vcpus_usage - 4) < 0.02);
    assert.ok(Math.abs(u.total_memory_mb_usage - 2048) < 5);
    assert.ok(Math.abs(u.total_local_gb_usage - 20) < 0.1);
    const s = u.server_usages[0];
    assert.equal(s.instance_id, server);
    assert.equal(s.name, 'worker');
    assert.equal(s.state, 'active');
    assert.equal(s.ended_at, null);
    assert.ok(s.uptime >= 3 * 3600 - 5);
    assert.match(s.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(s.flavor, '');
  });

  it('lists all projects for admins only, with servers when detailed=1', async () => {
    const q = `start=${stamp(hoursAgo(24))}&end=${stamp(hoursAgo(-24))}`;
    const brief = await admin('GET', `/os-simple-tenant-usage?${q}`);
    assert.equal(brief.status, 200);
    assert.equal(brief.body.tenant_usages.length, 1);
    assert.equal('server_usages' in brief.body.tenant_usages[0], false);
    const detailed = await admin('GET', `/os-simple-tenant-usage?${q}&detailed=1`);
    assert.equal(detailed.body.tenant_usages[0].server_usages.length, 1);
    assert.equal((await demo('GET', `/os-simple-tenant-usage?${q}`)).status, 403);
    assert.equal((await demo('GET', `/os-simple-tenant-usage/${await projectId(cloud, 'admin')}?${q}`)).status, 403);
  });

  it('answers an empty usage outside the server\'s life, and 400/404 for bad requests', async () => {
    const before = await demo('GET', `/os-simple-tenant-usage/${demoProject}?start=${stamp(hoursAgo(10))}&end=${stamp(hoursAgo(5))}`);
    assert.deepEqual(before.body, { tenant_usage: {} });
    assert.equal((await admin('GET', `/os-simple-tenant-usage/${demoProject}?start=${stamp(hoursAgo(1))}&end=${stamp(hoursAgo(2))}`)).status, 400);
    assert.equal((await admin('GET', `/os-simple-tenant-usage/${demoProject}?start=yesterday`)).status, 400);
    assert.equal((await admin('GET', `/os-simple-tenant-usage/?start=${stamp(hoursAgo(2))}`)).status, 404, 'an empty project id');
  });

  it('pages servers with limit and marker from 2.40', needs('2.40'), async () => {
    const res = await admin('GET', `/os-simple-tenant-usage/${demoProject}?start=${stamp(hoursAgo(5))}&limit=1`, { version: '2.40' });
    assert.equal(res.body.tenant_usage.server_usages.length, 1);
    assert.match(res.body.tenant_usage_links[0].href, new RegExp(`marker=${server}`));
    const after = await admin('GET', `/os-simple-tenant-usage/${demoProject}?start=${stamp(hoursAgo(5))}&marker=${server}`, { version: '2.40' });
    assert.deepEqual(after.body.tenant_usage, {});
  });
});
