/** Servers over HTTP: create, the BUILD → ACTIVE lifecycle, show, list, update, delete, validation, isolation, quotas. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { projectId, startTestCloud, type TestCloud } from './helpers/cloud.js';
import { needs } from './helpers/compute-catalog.js';
import { boot, bootActive, cirrosId, fakeDriver, makeNetwork, nova, settle, show, type Nova } from './helpers/servers-fixtures.js';

describe('servers', () => {
  let cloud: TestCloud;
  let demo: Nova;
  let admin: Nova;
  let demoToken: string;
  let net: { networkId: string; subnetId: string };

  before(async () => {
    cloud = await startTestCloud();
    demoToken = await cloud.token('demo');
    demo = nova(cloud, demoToken);
    admin = nova(cloud, await cloud.token('admin'));
    net = await makeNetwork(cloud, demoToken);
    // Room for every server the suite boots; the quota test lowers it.
    const project = await projectId(cloud, 'demo');
    await cloud.store.db.insertInto('quotas').values(['instances', 'cores'].map((resource) => ({ project_id: project, service: 'compute', resource, hard_limit: 200 }))).execute();
  });
  after(async () => cloud.destroy());

  async function instanceCount(): Promise<number> {
    const row = await cloud.store.db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  it('answers a create with 202, the id, links, a generated adminPass and the requested groups', async () => {
    const res = await demo('POST', '/servers', { body: { server: { name: 'a', flavorRef: '0', imageRef: await cirrosId(cloud), networks: [{ uuid: net.networkId }] } } });
    assert.equal(res.status, 202, res.text);
    const s = res.body.server;
    assert.deepEqual(Object.keys(s).sort(), ['OS-DCF:diskConfig', 'adminPass', 'id', 'links', 'security_groups']);
    assert.match(s.adminPass, /^[A-Za-z0-9]{12}$/);
    assert.deepEqual(s.security_groups, [{ name: 'default' }]);
    assert.equal(res.headers.get('location'), s.links[0].href);
    assert.match(s.links[0].href, new RegExp(`/compute/v2.1/servers/${s.id}$`));
    await settle(cloud);
  });

  it('shows a new server in BUILD/scheduling with no host and no addresses yet', async () => {
    const created = await boot(cloud, demo, net.networkId);
    const s = await show(demo, created.id);
    assert.equal(s.status, 'BUILD');
    assert.equal(s['OS-EXT-STS:vm_state'], 'building');
    assert.equal(s['OS-EXT-STS:task_state'], 'scheduling');
    assert.equal(s['OS-EXT-STS:power_state'], 0);
    assert.equal(s.hostId, '');
    assert.deepEqual(s.addresses, {});
    assert.equal(s['OS-EXT-AZ:availability_zone'], '');
    await settle(cloud);
  });

  it('takes the server to ACTIVE with its port on the chosen host', async () => {
    const created = await boot(cloud, demo, net.networkId, { name: 'web' });
    await settle(cloud);
    const s = await show(demo, created.id);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(s['OS-EXT-AZ:availability_zone'], 'nova');
    assert.notEqual(s['OS-SRV-USG:launched_at'], null);
    const host = cloud.localHost.name;
    assert.equal(s.hostId, createHash('sha224').update(`${s.tenant_id}${host}`).digest('hex'));
    const addrs = s.addresses.net1;
    assert.equal(addrs.length, 1);
    assert.equal(addrs[0].version, 4);
    assert.equal(addrs[0]['OS-EXT-IPS:type'], 'fixed');
    assert.match(addrs[0].addr, /^10\.10\.0\.\d+$/);
    assert.deepEqual(s.security_groups, [{ name: 'default' }]);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${created.id}`, { token: await cloud.token('admin') });
    assert.equal(ports.body.ports.length, 1);
    const port = ports.body.ports[0];
    assert.equal(port.device_owner, 'compute:nova');
    assert.equal(port['binding:host_id'], host);
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port.mac_address, addrs[0]['OS-EXT-IPS-MAC:mac_addr']);
    assert.equal(fakeDriver(cloud).callsFor(created.id, 'spawn').length, 1);
  });

  it('shows the extended server attributes to admins only', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined);
    const asAdmin = await show(admin, s.id);
    assert.equal(asAdmin['OS-EXT-SRV-ATTR:host'], cloud.localHost.name);
    assert.equal(asAdmin['OS-EXT-SRV-ATTR:hypervisor_hostname'], cloud.localHost.name);
    assert.match(asAdmin['OS-EXT-SRV-ATTR:instance_name'], /^instance-[0-9a-f]{8}$/);
  });

  it('keeps microversion 2.1 documents free of later fields and embeds the flavor from 2.47', needs('2.47'), async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    for (const key of ['locked', 'description', 'tags', 'OS-EXT-SRV-ATTR:hostname', 'host_status']) assert.equal(key in s, false, key);
    assert.deepEqual(Object.keys(s.flavor).sort(), ['id', 'links']);
    const v247 = await show(demo, s.id, '2.47');
    assert.deepEqual(v247.flavor, { vcpus: 1, ram: 64, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.nano', extra_specs: {} });
    assert.equal(v247.locked, false);
    assert.deepEqual(v247.tags, []);
  });

  it('refuses malformed creates with 400 and writes nothing', async () => {
    const image = await cirrosId(cloud);
    const before = await instanceCount();
    const cases: [unknown, RegExp][] = [
      [{ server: { name: 'x', imageRef: image } }, /'flavorRef' is a required property/],
      [{ server: { name: 'x', flavorRef: '99', imageRef: image, networks: [{ uuid: net.networkId }] } }, /Flavor 99 could not be found/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: '6f0b4d5c-7c84-4c1a-9d0e-000000000000', networks: [{ uuid: net.networkId }] } }, /Can not find requested image/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: image, key_name: 'nope', networks: [{ uuid: net.networkId }] } }, /Invalid key_name provided/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: image, networks: [{ uuid: '6f0b4d5c-7c84-4c1a-9d0e-000000000000' }] } }, /Network 6f0b4d5c-7c84-4c1a-9d0e-000000000000 could not be found/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: image, user_data: 'not base64!' } }, /user_data/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: image, bogus: 1 } }, /Additional properties are not allowed \('bogus' was unexpected\)/],
      [{ server: { name: ' x', flavorRef: '0', imageRef: image } }, /name/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: image, min_count: 2, max_count: 1 } }, /min_count must be <= max_count/],
      [{ server: { name: 'x', flavorRef: '0', imageRef: image, security_groups: [{ name: 'nope' }], networks: [{ uuid: net.networkId }] } }, /Security group nope not found/],
    ];
    for (const [body, message] of cases) {
      const res = await demo('POST', '/servers', { body });
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
      assert.match(res.body.badRequest.message, message);
    }
    assert.equal(await instanceCount(), before);
  });

  it("refuses an image whose min_disk the flavor's disk cannot hold, with Nova's message", async () => {
    const token = await cloud.token('admin');
    const img = await cloud.request('POST', '/image/v2/images', { token, body: { name: 'big', disk_format: 'qcow2', container_format: 'bare', min_disk: 5, visibility: 'public' } });
    assert.equal(img.status, 201, img.text);
    const put = await cloud.request('PUT', `/image/v2/images/${img.body.id}/file`, { token, rawBody: 'x'.repeat(16), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 204, put.text);
    const res = await demo('POST', '/servers', { body: { server: { name: 'x', flavorRef: '1', imageRef: img.body.id, networks: [{ uuid: net.networkId }] } } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.badRequest.message, "Flavor's disk is too small for requested image. Flavor disk is 1073741824 bytes, minimum size is 5368709120 bytes.");
    const ok = await demo('POST', '/servers', { body: { server: { name: 'x', flavorRef: '2', imageRef: img.body.id, networks: [{ uuid: net.networkId }] } } });
    assert.equal(ok.status, 202, ok.text);
    await settle(cloud);
  });

  it('makes another project’s server a 404', async () => {
    const s = await bootActive(cloud, admin, null);
    for (const [method, path, body] of [['GET', `/servers/${s.id}`], ['PUT', `/servers/${s.id}`, { server: { name: 'z' } }], ['DELETE', `/servers/${s.id}`],
      ['POST', `/servers/${s.id}/action`, { 'os-stop': null }], ['GET', `/servers/${s.id}/os-interface`], ['GET', `/servers/${s.id}/metadata`]] as [string, string, unknown?][]) {
      const res = await demo(method, path, { body });
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.itemNotFound.message, `Instance ${s.id} could not be found.`);
    }
    const list = await demo('GET', '/servers');
    assert.equal(list.body.servers.some((x: { id: string }) => x.id === s.id), false);
  });

  it('lists brief and detailed servers, filters by name and status, pages with limit and marker', async () => {
    for (const name of ['pg-a', 'pg-b', 'pg-c']) await boot(cloud, demo, net.networkId, { name });
    await settle(cloud);
    const brief = await demo('GET', '/servers?name=^pg-');
    assert.equal(brief.status, 200);
    assert.deepEqual(brief.body.servers.map((s: { name: string }) => s.name), ['pg-c', 'pg-b', 'pg-a']);
    assert.deepEqual(Object.keys(brief.body.servers[0]).sort(), ['id', 'links', 'name']);
    const page1 = await demo('GET', '/servers/detail?name=^pg-&limit=2');
    assert.equal(page1.body.servers.length, 2);
    assert.equal(page1.body.servers[0].status, 'ACTIVE');
    const next = page1.body.servers_links[0];
    assert.equal(next.rel, 'next');
    const url = new URL(next.href);
    assert.equal(url.searchParams.get('marker'), page1.body.servers[1].id);
    const page2 = await demo('GET', `/servers/detail${url.search}`);
    assert.deepEqual(page2.body.servers.map((s: { name: string }) => s.name), ['pg-a']);
    const shutoff = await demo('GET', '/servers?status=SHUTOFF&name=^pg-');
    assert.deepEqual(shutoff.body.servers, []);
    const bad = await demo('GET', '/servers?marker=6f0b4d5c-7c84-4c1a-9d0e-000000000000');
    assert.equal(bad.status, 400);
  });

  it('lets only admins list every project with all_tenants', async () => {
    const denied = await demo('GET', '/servers?all_tenants=1');
    assert.equal(denied.status, 403, denied.text);
    const all = await admin('GET', '/servers/detail?all_tenants=1');
    assert.equal(all.status, 200);
    const demoProject = await projectId(cloud, 'demo');
    assert.ok(all.body.servers.some((s: { tenant_id: string }) => s.tenant_id === demoProject));
  });

  it('renames a server and changes its access addresses', async () => {
    const s = await bootActive(cloud, demo, net.networkId);
    const res = await demo('PUT', `/servers/${s.id}`, { body: { server: { name: 'renamed', accessIPv4: '192.0.2.7' } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.server.name, 'renamed');
    assert.equal(res.body.server.accessIPv4, '192.0.2.7');
    assert.equal('OS-EXT-STS:vm_state' in res.body.server, false);
    assert.equal((await show(demo, s.id)).name, 'renamed');
    const bad = await demo('PUT', `/servers/${s.id}`, { body: { server: { accessIPv4: 'nope' } } });
    assert.equal(bad.status, 400);
  });

  it('deletes a server: destroyed on its host, its own port deleted, a user port unbound and kept', async () => {
    const port = await cloud.request('POST', '/network/v2.0/ports', { token: demoToken, body: { port: { network_id: net.networkId, name: 'mine' } } });
    assert.equal(port.status, 201, port.text);
    const s = await bootActive(cloud, demo, null, { networks: [{ uuid: net.networkId }, { port: port.body.port.id }] });
    assert.equal(s.addresses.net1.length, 2);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${s.id}`, { token: demoToken });
    const created = ports.body.ports.find((p: { id: string }) => p.id !== port.body.port.id).id as string;
    const res = await demo('DELETE', `/servers/${s.id}`);
    assert.equal(res.status, 204);
    await settle(cloud);
    assert.equal((await demo('GET', `/servers/${s.id}`)).status, 404);
    assert.equal((await cloud.request('GET', `/network/v2.0/ports/${created}`, { token: demoToken })).status, 404);
    const kept = await cloud.request('GET', `/network/v2.0/ports/${port.body.port.id}`, { token: demoToken });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.port.device_id, '');
    assert.equal(kept.body.port.device_owner, '');
    assert.equal(kept.body.port.fixed_ips.length, 1);
    assert.equal(fakeDriver(cloud).callsFor(s.id, 'destroy').length, 1);
    const deleted = await admin('GET', `/servers/detail?all_tenants=1&deleted=true&uuid=${s.id}`);
    assert.equal(deleted.body.servers[0].status, 'DELETED');
  });

  it("refuses a create over the project's instance quota with Nova's 403", async () => {
    const project = await projectId(cloud, 'demo');
    const used = (await demo('GET', '/servers')).body.servers.length;
    const setLimit = (n: number) => cloud.store.db.updateTable('quotas').set({ hard_limit: n }).where('project_id', '=', project).where('service', '=', 'compute').where('resource', '=', 'instances').execute();
    await setLimit(used);
    try {
      const before = await instanceCount();
      const res = await demo('POST', '/servers', { body: { server: { name: 'q', flavorRef: '0', imageRef: await cirrosId(cloud), networks: [{ uuid: net.networkId }] } } });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.forbidden.message, `Quota exceeded for instances: Requested 1, but already used ${used} of ${used} instances`);
      assert.equal(await instanceCount(), before);
    } finally {
      await setLimit(200);
    }
  });

  it('creates min_count..max_count servers named name-1, name-2 with one reservation', async () => {
    const res = await demo('POST', '/servers', { body: { server: { name: 'many', flavorRef: '0', imageRef: await cirrosId(cloud), networks: [{ uuid: net.networkId }], min_count: 2, max_count: 2, return_reservation_id: true } } });
    assert.equal(res.status, 202, res.text);
    assert.match(res.body.reservation_id, /^r-/);
    await settle(cloud);
    const list = await demo('GET', '/servers/detail?name=^many-');
    assert.deepEqual(list.body.servers.map((s: { name: string }) => s.name).sort(), ['many-1', 'many-2']);
    assert.ok(list.body.servers.every((s: { status: string }) => s.status === 'ACTIVE'));
  });
});
