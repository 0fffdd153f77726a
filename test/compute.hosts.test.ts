/** Hypervisors, services and availability zones over HTTP, from the hosts that registered. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, type TestCloud } from './helpers/cloud.js';
import { needs, nova, startCloudWithNovaClients, userId, type Nova } from './helpers/compute-catalog.js';
import { deleteFakeServer, fakeServer, registerHost, silenceHost } from './helpers/compute-hosts.js';

describe('compute: hypervisors, services and availability zones', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let local: string;
  let server: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    local = cloud.localHost.name;
    await registerHost(cloud, 'compute2', { az: 'az2', vcpus: 16, memoryMb: 32768, diskGb: 500 });
    await registerHost(cloud, 'compute3', {});
    await silenceHost(cloud, 'compute3');
    await registerHost(cloud, 'network1', { roles: ['l3', 'dhcp'] });
    server = await fakeServer(cloud, { projectId: await projectId(cloud, 'demo'), userId: await userId(cloud, 'demo'), host: 'compute2', vcpus: 2, memoryMb: 2048, rootGb: 20, name: 'on-compute2' });
  });
  after(async () => cloud.destroy());

  const hypervisor = async (name: string, version?: string) => {
    const list = await admin('GET', '/os-hypervisors/detail', version ? { version } : {});
    return list.body.hypervisors.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === name);
  };

  it('lists one hypervisor per compute host, named after it, with its state and status', async () => {
    const res = await admin('GET', '/os-hypervisors');
    assert.equal(res.status, 200);
    const byName = Object.fromEntries(res.body.hypervisors.map((h: { hypervisor_hostname: string }) => [h.hypervisor_hostname, h]));
    assert.deepEqual(Object.keys(byName).sort(), ['compute2', 'compute3', local].sort(), 'network-only hosts are not hypervisors');
    assert.equal(byName[local].state, 'up');
    assert.equal(byName[local].status, 'enabled');
    assert.equal(byName.compute3.state, 'down', 'a silent host is down');
    assert.equal(typeof byName[local].id, 'number');
    assert.deepEqual(Object.keys(byName[local]).sort(), ['hypervisor_hostname', 'id', 'state', 'status']);
    assert.equal((await demo('GET', '/os-hypervisors')).status, 403);
    assert.equal((await demo('GET', '/os-hypervisors/detail')).status, 403);
  });

  it('details capacity from the host and use from its instances', async () => {
    const h = await hypervisor('compute2');
    assert.equal(h.hypervisor_type, 'fake');
    assert.equal(h.host_ip, '192.0.2.50');
    assert.equal(h.vcpus, 16);
    assert.equal(h.memory_mb, 32768);
    assert.equal(h.local_gb, 500);
    assert.equal(h.vcpus_used, 2);
    assert.equal(h.memory_mb_used, 2048);
    assert.equal(h.local_gb_used, 20);
    assert.equal(h.free_ram_mb, 32768 - 2048);
    assert.equal(h.free_disk_gb, 480);
    assert.equal(h.running_vms, 1);
    assert.equal(typeof h.cpu_info, 'string', 'a JSON string before 2.28');
    assert.equal(JSON.parse(h.cpu_info).topology.cores, 16);
    assert.equal(h.service.host, 'compute2');
    assert.equal((await hypervisor(local)).running_vms, 0);
  });

  it('sums every hypervisor in the statistics', async () => {
    const res = await admin('GET', '/os-hypervisors/statistics');
    assert.equal(res.status, 200);
    const s = res.body.hypervisor_statistics;
    assert.equal(s.count, 3);
    assert.equal(s.running_vms, 1);
    assert.equal(s.vcpus_used, 2);
    assert.equal(s.vcpus, 16 + 8 + (await hypervisor(local)).vcpus);
    assert.equal((await demo('GET', '/os-hypervisors/statistics')).status, 403);
  });

  it('shows one hypervisor by integer id, and 404 for others', async () => {
    const h = await hypervisor('compute2');
    const res = await admin('GET', `/os-hypervisors/${h.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.hypervisor, h);
    assert.equal((await admin('GET', '/os-hypervisors/99999')).status, 404);
    assert.equal((await admin('GET', '/os-hypervisors/not-a-number')).status, 404);
    assert.equal((await demo('GET', `/os-hypervisors/${h.id}`)).status, 403);
  });

  it('gives the uptime of a live hypervisor, 400 for a dead one', async () => {
    const h = await hypervisor(local);
    const res = await admin('GET', `/os-hypervisors/${h.id}/uptime`);
    assert.equal(res.status, 200);
    assert.match(res.body.hypervisor.uptime, /up .*load average/);
    const dead = await hypervisor('compute3');
    assert.equal((await admin('GET', `/os-hypervisors/${dead.id}/uptime`)).status, 400);
    assert.equal((await admin('GET', '/os-hypervisors/424242/uptime')).status, 404);
  });

  it('searches hypervisors by hostname pattern and lists their servers (before 2.53)', async () => {
    const found = await admin('GET', '/os-hypervisors/compute/search');
    assert.deepEqual(found.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname).sort(), ['compute2', 'compute3']);
    assert.equal((await admin('GET', '/os-hypervisors/nothing-like-it/search')).status, 404);
    const servers = await admin('GET', '/os-hypervisors/compute2/servers');
    assert.deepEqual(servers.body.hypervisors[0].servers, [{ name: 'on-compute2', uuid: server }]);
    assert.equal((await demo('GET', '/os-hypervisors/compute2/servers')).status, 403);
  });

  it('shows cpu_info as an object from 2.28', needs('2.28'), async () => {
    const h = await hypervisor(local, '2.28');
    assert.equal(typeof h.cpu_info, 'object');
    assert.ok(h.cpu_info.arch);
  });

  it('pages hypervisors with limit and marker from 2.33', needs('2.33'), async () => {
    const page = await admin('GET', '/os-hypervisors?limit=1', { version: '2.33' });
    assert.equal(page.body.hypervisors.length, 1);
    assert.equal(page.body.hypervisors_links[0].rel, 'next');
    const rest = await admin('GET', `/os-hypervisors?marker=${page.body.hypervisors[0].id}`, { version: '2.33' });
    assert.equal(rest.body.hypervisors.length, 2);
    assert.equal((await admin('GET', '/os-hypervisors?marker=77777', { version: '2.33' })).status, 400);
  });

  it('uses UUIDs and query parameters from 2.53', needs('2.53'), async () => {
    const list = await admin('GET', '/os-hypervisors?hypervisor_hostname_pattern=compute2&with_servers=true', { version: '2.53' });
    assert.equal(list.status, 200);
    const h = list.body.hypervisors[0];
    assert.match(h.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(h.servers, [{ name: 'on-compute2', uuid: server }]);
    const shown = await admin('GET', `/os-hypervisors/${h.id}?with_servers=1`, { version: '2.53' });
    assert.equal(shown.body.hypervisor.hypervisor_hostname, 'compute2');
    assert.match(shown.body.hypervisor.service.id, /^[0-9a-f-]{36}$/);
    assert.equal((await admin('GET', '/os-hypervisors/1', { version: '2.53' })).status, 400, 'ids must be UUIDs');
    assert.equal((await admin('GET', '/os-hypervisors/compute2/search', { version: '2.53' })).status, 404, 'the route is gone');
    assert.equal((await admin('GET', '/os-hypervisors?hypervisor_hostname_pattern=zzz', { version: '2.53' })).status, 404);
    assert.equal((await admin('GET', '/os-hypervisors?hypervisor_hostname_pattern=c&limit=1', { version: '2.53' })).status, 400);
    assert.equal((await admin('GET', '/os-hypervisors?color=red', { version: '2.53' })).status, 400);
  });

  it('drops the resource figures and statistics, and adds uptime, from 2.88', needs('2.88'), async () => {
    const h = await hypervisor(local, '2.88');
    assert.equal('vcpus' in h, false);
    assert.equal('running_vms' in h, false);
    assert.match(h.uptime, /load average/);
    assert.equal((await admin('GET', '/os-hypervisors/statistics', { version: '2.88' })).status, 404);
  });

  it('answers the older os-hosts API: hosts by service and zone, a host\'s resources, enable/disable', async () => {
    const list = await admin('GET', '/os-hosts');
    assert.equal(list.status, 200);
    assert.ok(list.body.hosts.some((h: Record<string, string>) => h.host_name === local && h.service === 'scheduler' && h.zone === 'internal'));
    assert.ok(list.body.hosts.some((h: Record<string, string>) => h.host_name === 'compute2' && h.service === 'compute' && h.zone === 'az2'));
    assert.deepEqual((await admin('GET', '/os-hosts?zone=az2')).body.hosts, [{ host_name: 'compute2', service: 'compute', zone: 'az2' }]);
    assert.deepEqual((await admin('GET', '/os-hosts?zone=xxx')).body.hosts, []);
    const shown = await admin('GET', '/os-hosts/compute2');
    assert.equal(shown.status, 200);
    const resources = shown.body.host.map((r: { resource: Record<string, unknown> }) => r.resource);
    assert.deepEqual(resources[0], { host: 'compute2', project: '(total)', cpu: 16, memory_mb: 32768, disk_gb: 500 });
    assert.deepEqual(resources[1], { host: 'compute2', project: '(used_now)', cpu: 2, memory_mb: 2048, disk_gb: 20 });
    assert.equal(resources[3].project, await projectId(cloud, 'demo'));
    assert.equal((await admin('GET', '/os-hosts/nowhere')).status, 404);
    assert.equal((await admin('GET', '/os-hosts/network1')).status, 404, 'not a compute host');
    assert.equal((await demo('GET', '/os-hosts')).status, 403);
    const off = await admin('PUT', '/os-hosts/compute3', { body: { status: 'disable' } });
    assert.deepEqual(off.body, { host: 'compute3', status: 'disabled' });
    assert.equal((await hypervisor('compute3')).status, 'disabled');
    assert.equal((await admin('PUT', '/os-hosts/compute3', { body: { status: 'enable' } })).body.status, 'enabled');
    assert.equal((await admin('PUT', '/os-hosts/compute3', { body: { status: 'sideways' } })).status, 400);
    assert.equal((await admin('PUT', '/os-hosts/compute3', { body: {} })).status, 400);
    assert.equal((await admin('PUT', '/os-hosts/nowhere', { body: { status: 'enable' } })).status, 404);
    assert.equal((await admin('PUT', '/os-hosts/compute3', { body: { maintenance_mode: 'enable' } })).status, 501);
    assert.equal((await admin('GET', '/os-hosts/compute3/reboot')).status, 501);
    assert.equal((await admin('GET', '/os-hosts/nowhere/reboot')).status, 404);
    assert.equal((await demo('GET', '/os-hosts/compute3/shutdown')).status, 403);
  });

  it('removes os-hosts at 2.43', needs('2.43'), async () => {
    assert.equal((await admin('GET', '/os-hosts', { version: '2.43' })).status, 404);
  });

  it('lists the scheduler and conductor of the controller and a nova-compute per compute host', async () => {
    const res = await admin('GET', '/os-services');
    assert.equal(res.status, 200);
    const rows = res.body.services.map((s: Record<string, unknown>) => `${s.binary}@${s.host}:${s.zone}:${s.state}:${s.status}`).sort();
    assert.deepEqual(rows, [
      `nova-compute@compute2:az2:up:enabled`, `nova-compute@compute3:nova:down:enabled`, `nova-compute@${local}:nova:up:enabled`,
      `nova-conductor@${local}:internal:up:enabled`, `nova-scheduler@${local}:internal:up:enabled`,
    ].sort());
    const s = res.body.services[0];
    assert.equal(typeof s.id, 'number');
    assert.match(s.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal('forced_down' in s, false, 'forced_down from 2.11');
    const filtered = await admin('GET', `/os-services?binary=nova-compute&host=compute2`);
    assert.equal(filtered.body.services.length, 1);
    assert.equal((await admin('GET', '/os-services?host=xxx&binary=nova-compute')).body.services.length, 0);
    assert.equal((await admin('GET', '/os-services?xxx=1')).body.services.length, 5, 'unknown parameters are ignored before 2.75');
    assert.equal((await demo('GET', '/os-services')).status, 403);
  });

  it('disables and enables a compute service by host and binary (before 2.53), in the hosts table', async () => {
    const off = await admin('PUT', '/os-services/disable-log-reason', { body: { host: 'compute2', binary: 'nova-compute', disabled_reason: 'maintenance' } });
    assert.equal(off.status, 200);
    assert.deepEqual(off.body, { service: { host: 'compute2', binary: 'nova-compute', status: 'disabled', disabled_reason: 'maintenance' } });
    const row = await cloud.store.db.selectFrom('hosts').selectAll().where('name', '=', 'compute2').executeTakeFirstOrThrow();
    assert.equal(row.enabled, 0, 'the scheduler sees it');
    assert.equal(row.disabled_reason, 'maintenance');
    assert.equal((await hypervisor('compute2')).status, 'disabled');
    assert.equal((await hypervisor('compute2')).service.disabled_reason, 'maintenance');
    const zones = await demo('GET', '/os-availability-zone');
    assert.deepEqual(zones.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'az2').zoneState, { available: false });
    const on = await admin('PUT', '/os-services/enable', { body: { host: 'compute2', binary: 'nova-compute' } });
    assert.deepEqual(on.body, { service: { host: 'compute2', binary: 'nova-compute', status: 'enabled' } });
    assert.equal((await admin('PUT', '/os-services/disable', { body: { host: local, binary: 'nova-scheduler' } })).status, 400, 'only nova-compute');
    assert.equal((await admin('PUT', '/os-services/disable', { body: { host: 'nowhere', binary: 'nova-compute' } })).status, 404);
    assert.equal((await admin('PUT', '/os-services/disable-log-reason', { body: { host: 'compute2', binary: 'nova-compute' } })).status, 400);
    assert.equal((await admin('PUT', '/os-services/reboot', { body: { host: 'compute2', binary: 'nova-compute' } })).status, 404);
    assert.equal((await demo('PUT', '/os-services/disable', { body: { host: 'compute2', binary: 'nova-compute' } })).status, 403);
  });

  it('forces a service down from 2.11', needs('2.11'), async () => {
    const res = await admin('PUT', '/os-services/force-down', { body: { host: 'compute2', binary: 'nova-compute', forced_down: true }, version: '2.11' });
    assert.deepEqual(res.body, { service: { host: 'compute2', binary: 'nova-compute', forced_down: true } });
    const listed = (await admin('GET', '/os-services?host=compute2', { version: '2.11' })).body.services[0];
    assert.equal(listed.forced_down, true);
    assert.equal(listed.state, 'down');
    await admin('PUT', '/os-services/force-down', { body: { host: 'compute2', binary: 'nova-compute', forced_down: false }, version: '2.11' });
    assert.equal((await hypervisor('compute2')).state, 'up');
  });

  it('updates a service by UUID from 2.53', needs('2.53'), async () => {
    const list = (await admin('GET', '/os-services', { version: '2.53' })).body.services;
    const compute = list.find((s: { host: string; binary: string }) => s.host === 'compute2');
    const scheduler = list.find((s: { binary: string }) => s.binary === 'nova-scheduler');
    assert.match(compute.id, /^[0-9a-f-]{36}$/);
    const put = (id: string, body: Record<string, unknown>) => admin('PUT', `/os-services/${id}`, { body, version: '2.53' });
    const res = await put(compute.id, { status: 'disabled', disabled_reason: 'upgrade' });
    assert.equal(res.status, 200);
    assert.equal(res.body.service.status, 'disabled');
    assert.equal(res.body.service.disabled_reason, 'upgrade');
    assert.equal(res.body.service.forced_down, false);
    assert.equal((await put(compute.id, { status: 'enabled', disabled_reason: 'x' })).status, 400);
    assert.equal((await put(compute.id, { disabled_reason: 'only a reason' })).status, 400);
    assert.equal((await put(compute.id, { status: 'enabled' })).body.service.disabled_reason, null);
    assert.equal((await put(scheduler.id, { status: 'disabled' })).status, 400);
    assert.equal((await put('8ec4fd3c-7d2f-4a4e-9d5c-000000000000', { status: 'enabled' })).status, 404);
    assert.equal((await put('not-a-uuid', { status: 'enabled' })).status, 400);
    assert.equal((await put(compute.id, { status: 'sleeping' })).status, 400);
  });

  it('deletes a compute service only without instances; it returns when its host starts again', async () => {
    const services = (await admin('GET', '/os-services?binary=nova-compute')).body.services;
    const busy = services.find((s: { host: string }) => s.host === 'compute2');
    assert.equal((await admin('DELETE', `/os-services/${busy.id}`)).status, 409);
    await deleteFakeServer(cloud, server);
    assert.equal((await demo('DELETE', `/os-services/${busy.id}`)).status, 403);
    assert.equal((await admin('DELETE', `/os-services/${busy.id}`)).status, 204);
    assert.equal((await admin('DELETE', `/os-services/${busy.id}`)).status, 404);
    assert.equal((await admin('DELETE', '/os-services/abc')).status, 400);
    assert.equal((await hypervisor('compute2')), undefined, 'its hypervisor is gone');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await registerHost(cloud, 'compute2', { az: 'az2', vcpus: 16, memoryMb: 32768, diskGb: 500 });
    const back = (await admin('GET', '/os-services?host=compute2')).body.services;
    assert.equal(back.length, 1);
    assert.notEqual(back[0].id, busy.id, 'a new service record');
  });

  it('lists the availability zones; the detail (admin) has hosts and the internal zone', async () => {
    const res = await demo('GET', '/os-availability-zone');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.availabilityZoneInfo, [
      { zoneName: 'az2', zoneState: { available: true }, hosts: null },
      { zoneName: 'nova', zoneState: { available: true }, hosts: null },
    ]);
    assert.equal((await demo('GET', '/os-availability-zone/detail')).status, 403);
    const detail = (await admin('GET', '/os-availability-zone/detail')).body.availabilityZoneInfo;
    const internal = detail.find((z: { zoneName: string }) => z.zoneName === 'internal');
    assert.deepEqual(Object.keys(internal.hosts[local]).sort(), ['nova-conductor', 'nova-scheduler']);
    const novaZone = detail.find((z: { zoneName: string }) => z.zoneName === 'nova');
    assert.equal(novaZone.hosts[local]['nova-compute'].available, true);
    assert.equal(novaZone.hosts.compute3['nova-compute'].available, false);
    assert.equal(novaZone.hosts[local]['nova-compute'].active, true);
  });
});
