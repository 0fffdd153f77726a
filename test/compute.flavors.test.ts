/** Flavors over HTTP: bootstrap, views per microversion, create validation, listing, access, extra specs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectId, startTestCloud, type TestCloud } from './helpers/cloud.js';
import { needs, nova, startCloudWithNovaClients, type Nova } from './helpers/compute-catalog.js';

describe('compute: flavors', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let demoProject: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    demoProject = await projectId(cloud, 'demo');
  });
  after(async () => cloud.destroy());

  const create = (flavor: Record<string, unknown>, version?: string) => admin('POST', '/flavors', { body: { flavor }, ...(version ? { version } : {}) });

  it('bootstraps m1.nano (id 0) to m1.xlarge (id 5) with the usual sizes, public, sorted by id', async () => {
    const res = await demo('GET', '/flavors/detail');
    assert.equal(res.status, 200);
    const sizes = res.body.flavors.map((f: Record<string, unknown>) => [f.id, f.name, f.vcpus, f.ram, f.disk]);
    assert.deepEqual(sizes, [
      ['0', 'm1.nano', 1, 64, 1], ['1', 'm1.tiny', 1, 512, 1], ['2', 'm1.small', 1, 2048, 20],
      ['3', 'm1.medium', 2, 4096, 40], ['4', 'm1.large', 4, 8192, 80], ['5', 'm1.xlarge', 8, 16384, 160],
    ]);
    const brief = await demo('GET', '/flavors');
    assert.deepEqual(Object.keys(brief.body.flavors[0]).sort(), ['id', 'links', 'name']);
    assert.match(brief.body.flavors[0].links[0].href, /\/compute\/v2\.1\/flavors\/0$/);
    assert.equal(brief.body.flavors[0].links[0].rel, 'self');
    assert.match(brief.body.flavors[0].links[1].href, /\/compute\/flavors\/0$/);
    assert.equal(brief.body.flavors[0].links[1].rel, 'bookmark');
  });

  it('shows the 2.1 fields: swap "" when none, rxtx_factor, ephemeral, disabled, is_public', async () => {
    const res = await demo('GET', '/flavors/1');
    assert.equal(res.status, 200);
    const f = res.body.flavor;
    assert.equal(f.swap, '');
    assert.equal(f.rxtx_factor, 1);
    assert.equal(f['OS-FLV-EXT-DATA:ephemeral'], 0);
    assert.equal(f['OS-FLV-DISABLED:disabled'], false);
    assert.equal(f['os-flavor-access:is_public'], true);
    assert.equal('description' in f, false);
    assert.equal((await demo('GET', '/flavors/nope')).status, 404);
    assert.equal((await demo('GET', '/flavors/nope')).body.itemNotFound.message, 'Flavor nope could not be found.');
  });

  it('adds description at 2.55', needs('2.55'), async () => {
    const res = await demo('GET', '/flavors/1', { version: '2.55' });
    assert.equal(res.body.flavor.description, null);
    assert.equal('extra_specs' in res.body.flavor, false);
    const list = await demo('GET', '/flavors', { version: '2.55' });
    assert.ok('description' in list.body.flavors[0]);
  });

  it('adds extra_specs at 2.61 and swap 0 at 2.75', needs('2.75'), async () => {
    const res = await demo('GET', '/flavors/1', { version: '2.75' });
    assert.deepEqual(res.body.flavor.extra_specs, {});
    assert.equal(res.body.flavor.swap, 0);
  });

  it('creates a flavor with a given integer id, string sizes, and defaults', async () => {
    const res = await create({ name: 'f.int', ram: '1024', vcpus: 2, disk: 10, id: 1234 });
    assert.equal(res.status, 200);
    const f = res.body.flavor;
    assert.equal(f.id, '1234');
    assert.equal(f.ram, 1024);
    assert.equal(f.swap, '');
    assert.equal(f['OS-FLV-EXT-DATA:ephemeral'], 0);
    assert.equal(f.rxtx_factor, 1);
    assert.equal(f['os-flavor-access:is_public'], true);
    assert.equal((await demo('GET', '/flavors/1234')).body.flavor.name, 'f.int');
  });

  it('generates a UUID id when none or null is given', async () => {
    for (const extra of [{}, { id: null }]) {
      const res = await create({ name: `f.auto${Object.keys(extra).length}`, ram: 512, vcpus: 1, disk: 0, ...extra });
      assert.equal(res.status, 200);
      assert.match(res.body.flavor.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('stores ephemeral, swap and rxtx_factor', async () => {
    const res = await create({ name: 'f.full', id: 'full', ram: 512, vcpus: 1, disk: 10, 'OS-FLV-EXT-DATA:ephemeral': 10, swap: 1024, rxtx_factor: 2.5 });
    assert.equal(res.status, 200);
    const shown = (await admin('GET', `/flavors/${res.body.flavor.id}`)).body.flavor;
    assert.equal(shown['OS-FLV-EXT-DATA:ephemeral'], 10);
    assert.equal(shown.swap, 1024);
    assert.equal(shown.rxtx_factor, 2.5);
  });

  it('refuses invalid flavors with 400 and stores nothing', async () => {
    const bad: Record<string, unknown>[] = [
      { name: 'b1', ram: 0, vcpus: 1, disk: 1 },
      { name: 'b2', ram: '0', vcpus: 1, disk: 1 },
      { name: 'b3', ram: 512, vcpus: 0, disk: 1 },
      { name: 'b4', ram: 512, vcpus: 1, disk: -1 },
      { name: 'b5', ram: 512, vcpus: 1, disk: 1, swap: -1 },
      { name: 'b6', ram: 512, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 'x' },
      { name: 'b7', ram: 512, vcpus: 1, disk: 1, rxtx_factor: 0 },
      { name: 'b8', ram: 512.5, vcpus: 1, disk: 1 },
      { name: 'b9', ram: 2 ** 31, vcpus: 1, disk: 1 },
      { name: 'b10', ram: 512, vcpus: 1, disk: 1, id: 'a/b' },
      { name: 'b11', ram: 512, vcpus: 1, disk: 1, id: ' lead' },
      { name: ' b12', ram: 512, vcpus: 1, disk: 1 },
      { name: '', ram: 512, vcpus: 1, disk: 1 },
      { name: 'b14', ram: 512, vcpus: 1 },
      { name: 'b15', ram: 512, vcpus: 1, disk: 1, 'os-flavor-access:is_public': 'maybe' },
      { name: 'b16', ram: 512, vcpus: 1, disk: 1, color: 'red' },
      { name: 'b17', ram: 512, vcpus: 1, disk: 1, description: 'only from 2.55' },
    ];
    for (const flavor of bad) {
      const res = await create(flavor);
      assert.equal(res.status, 400, JSON.stringify(flavor));
      assert.equal(res.body.badRequest.code, 400);
    }
    const names = (await admin('GET', '/flavors?is_public=none')).body.flavors.map((f: { name: string }) => f.name);
    assert.equal(names.filter((n: string) => /^ ?b\d+$/.test(n)).length, 0);
    assert.equal((await admin('POST', '/flavors', { body: { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1 }, extra: 1 } })).status, 400);
  });

  it('answers 409 for a taken name or id, and 403 to a non-admin', async () => {
    assert.equal((await create({ name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1 })).status, 409);
    const dupId = await create({ name: 'other', ram: 512, vcpus: 1, disk: 1, id: '1' });
    assert.equal(dupId.status, 409);
    assert.equal(dupId.body.conflictingRequest.message, 'Flavor with ID 1 already exists.');
    const res = await demo('POST', '/flavors', { body: { flavor: { name: 'mine', ram: 512, vcpus: 1, disk: 1 } } });
    assert.equal(res.status, 403);
    assert.equal(res.body.forbidden.code, 403);
  });

  it('filters by minRam and minDisk, pages with limit/marker and a next link', async () => {
    const big = await demo('GET', '/flavors/detail?minRam=4096&minDisk=80');
    assert.deepEqual(big.body.flavors.map((f: { id: string }) => f.id), ['4', '5']);
    // minDisk=1 leaves out the flavors with generated (random) ids.
    const page = await demo('GET', '/flavors?limit=2&minDisk=1');
    assert.deepEqual(page.body.flavors.map((f: { id: string }) => f.id), ['0', '1']);
    assert.match(page.body.flavors_links[0].href, /\/compute\/v2\.1\/flavors\?limit=2&minDisk=1&marker=1$/);
    assert.equal(page.body.flavors_links[0].rel, 'next');
    const next = await demo('GET', '/flavors?limit=2&marker=1&minDisk=1');
    assert.deepEqual(next.body.flavors.map((f: { id: string }) => f.id), ['1234', '2']);
    assert.equal((await demo('GET', '/flavors?marker=nope')).status, 400);
    assert.equal((await demo('GET', '/flavors?minRam=lots')).status, 400);
    assert.equal((await demo('GET', '/flavors?limit=-1')).status, 400);
  });

  it('sorts by sort_key/sort_dir and refuses unknown keys', async () => {
    const res = await demo('GET', '/flavors/detail?sort_key=memory_mb&sort_dir=desc&limit=2');
    assert.deepEqual(res.body.flavors.map((f: { name: string }) => f.name), ['m1.xlarge', 'm1.large']);
    assert.equal((await demo('GET', '/flavors?sort_key=color')).status, 400);
    assert.equal((await demo('GET', '/flavors?sort_dir=up')).status, 400);
  });

  it('hides private flavors from the lists (admins too, unless is_public says so)', async () => {
    const res = await create({ name: 'f.private', ram: 512, vcpus: 1, disk: 1, id: 'priv', 'os-flavor-access:is_public': 'False' });
    assert.equal(res.status, 200);
    assert.equal(res.body.flavor['os-flavor-access:is_public'], false);
    const names = async (nova: Nova, query = '') => (await nova('GET', `/flavors/detail${query}`)).body.flavors.map((f: { name: string }) => f.name);
    assert.equal((await names(admin)).includes('f.private'), false);
    assert.equal((await names(demo)).includes('f.private'), false);
    for (const q of ['f', 'false', 'no', '0']) assert.deepEqual(await names(admin, `?is_public=${q}`), ['f.private']);
    assert.ok((await names(admin, '?is_public=none')).includes('f.private'));
    assert.equal((await names(demo, '?is_public=false')).includes('f.private'), false, 'only admins choose');
    assert.equal((await admin('GET', '/flavors?is_public=perhaps')).status, 400);
    assert.equal((await demo('GET', '/flavors/priv')).status, 404);
    assert.equal((await admin('GET', '/flavors/priv')).status, 200);
  });

  it('grants and revokes a project access to a private flavor', async () => {
    assert.deepEqual((await admin('GET', '/flavors/priv/os-flavor-access')).body, { flavor_access: [] });
    const add = await admin('POST', '/flavors/priv/action', { body: { addTenantAccess: { tenant: demoProject } } });
    assert.equal(add.status, 200);
    assert.deepEqual(add.body, { flavor_access: [{ flavor_id: 'priv', tenant_id: demoProject }] });
    assert.equal((await demo('GET', '/flavors/priv')).status, 200);
    assert.ok((await demo('GET', '/flavors')).body.flavors.some((f: { id: string }) => f.id === 'priv'));
    assert.equal((await admin('POST', '/flavors/priv/action', { body: { addTenantAccess: { tenant: demoProject } } })).status, 409);
    assert.equal((await admin('POST', '/flavors/priv/action', { body: { addTenantAccess: { tenant: 'no-such-project' } } })).status, 400);
    assert.equal((await demo('POST', '/flavors/priv/action', { body: { removeTenantAccess: { tenant: demoProject } } })).status, 403);
    const removed = await admin('POST', '/flavors/priv/action', { body: { removeTenantAccess: { tenant: demoProject } } });
    assert.deepEqual(removed.body, { flavor_access: [] });
    assert.equal((await demo('GET', '/flavors/priv')).status, 404);
    assert.equal((await admin('POST', '/flavors/priv/action', { body: { removeTenantAccess: { tenant: demoProject } } })).status, 404);
    assert.equal((await admin('GET', '/flavors/1/os-flavor-access')).status, 404, 'public flavors have no access list');
    assert.equal((await demo('GET', '/flavors/priv/os-flavor-access')).status, 403);
    assert.equal((await admin('POST', '/flavors/priv/action', { body: { fly: {} } })).status, 400);
  });

  it('refuses access to a public flavor from 2.7', needs('2.7'), async () => {
    const res = await admin('POST', '/flavors/1/action', { body: { addTenantAccess: { tenant: demoProject } }, version: '2.7' });
    assert.equal(res.status, 409);
  });

  it('sets, reads, updates and unsets extra specs', async () => {
    const set = await admin('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: { 'hw:numa_nodes': '1', 'hw:cpu_policy': 'shared' } } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { extra_specs: { 'hw:numa_nodes': '1', 'hw:cpu_policy': 'shared' } });
    assert.deepEqual((await demo('GET', '/flavors/1234/os-extra_specs')).body, { extra_specs: { 'hw:numa_nodes': '1', 'hw:cpu_policy': 'shared' } });
    const put = await admin('PUT', '/flavors/1234/os-extra_specs/hw:numa_nodes', { body: { 'hw:numa_nodes': '2' } });
    assert.deepEqual(put.body, { 'hw:numa_nodes': '2' });
    assert.deepEqual((await demo('GET', '/flavors/1234/os-extra_specs/hw:numa_nodes')).body, { 'hw:numa_nodes': '2' });
    await admin('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: { count: 3 } } });
    assert.equal((await demo('GET', '/flavors/1234/os-extra_specs/count')).body.count, '3', 'numbers are stored as text');
    assert.equal((await admin('DELETE', '/flavors/1234/os-extra_specs/hw:numa_nodes')).status, 200);
    assert.equal((await demo('GET', '/flavors/1234/os-extra_specs/hw:numa_nodes')).status, 404);
    assert.equal((await admin('DELETE', '/flavors/1234/os-extra_specs/hw:numa_nodes')).status, 404);
  });

  it('refuses bad extra spec requests', async () => {
    assert.equal((await demo('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: { a: 'b' } } })).status, 403);
    assert.equal((await demo('PUT', '/flavors/1234/os-extra_specs/a', { body: { a: 'b' } })).status, 403);
    assert.equal((await demo('DELETE', '/flavors/1234/os-extra_specs/count')).status, 403);
    assert.equal((await admin('PUT', '/flavors/1234/os-extra_specs/a', { body: { b: 'c' } })).status, 400, 'body and URI must match');
    assert.equal((await admin('PUT', '/flavors/1234/os-extra_specs/a', { body: { a: '1', b: '2' } })).status, 400, 'one key only');
    assert.equal((await admin('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: { 'bad/key': 'x' } } })).status, 400);
    assert.equal((await admin('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: { k: 'x'.repeat(256) } } })).status, 400);
    assert.equal((await admin('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: { k: true } } })).status, 400);
    assert.equal((await admin('POST', '/flavors/nope/os-extra_specs', { body: { extra_specs: { k: 'v' } } })).status, 404);
    assert.equal((await demo('GET', '/flavors/1234/os-extra_specs/bad')).status, 404);
  });

  it('validates known extra specs from 2.86 and leaves other namespaces free', needs('2.86'), async () => {
    const post = (specs: Record<string, string>) => admin('POST', '/flavors/1234/os-extra_specs', { body: { extra_specs: specs }, version: '2.86' });
    assert.equal((await post({ 'hw:cpu_policy': 'shared', 'foo:bar': 'baz' })).status, 200);
    assert.equal((await post({ 'hw:cpu_policy': 'sometimes' })).status, 400);
    assert.equal((await post({ 'hw:numa_nodes': '0' })).status, 400);
    assert.equal((await post({ 'hw:no_such_thing': '1' })).status, 400);
    assert.equal((await post({ 'trait:HW_CPU_X86_AVX': 'required', 'resources:VCPU': '2' })).status, 200);
  });

  it('updates the description from 2.55 only', needs('2.55'), async () => {
    assert.equal((await admin('PUT', '/flavors/1234', { body: { flavor: { description: 'x' } } })).status, 404, 'no such route at 2.1');
    const res = await admin('PUT', '/flavors/1234', { body: { flavor: { description: 'for tests' } }, version: '2.55' });
    assert.equal(res.status, 200);
    assert.equal(res.body.flavor.description, 'for tests');
    assert.equal((await admin('PUT', '/flavors/1234', { body: { flavor: { name: 'x' } }, version: '2.55' })).status, 400);
    assert.equal((await demo('PUT', '/flavors/1234', { body: { flavor: { description: 'y' } }, version: '2.55' })).status, 403);
    const created = await create({ name: 'f.desc', ram: 64, vcpus: 1, disk: 1, description: 'described' }, '2.55');
    assert.equal(created.body.flavor.description, 'described');
  });

  it('deletes a flavor with its extra specs (admin only)', async () => {
    assert.equal((await demo('DELETE', '/flavors/1234')).status, 403);
    assert.equal((await admin('DELETE', '/flavors/1234')).status, 202);
    assert.equal((await admin('GET', '/flavors/1234')).status, 404);
    assert.equal((await admin('DELETE', '/flavors/1234')).status, 404);
    const left = await cloud.store.db.selectFrom('flavor_extra_specs').selectAll().where('flavor_id', '=', '1234').execute();
    assert.deepEqual(left, []);
  });
});

describe('compute: flavor bootstrap across restarts', () => {
  it('is idempotent and keeps what an admin changed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kumo-flavors-'));
    try {
      let cloud = await startTestCloud({ home });
      const admin = nova(cloud, await cloud.token('admin'));
      await admin('DELETE', '/flavors/3');
      await admin('POST', '/flavors', { body: { flavor: { name: 'm1.medium', ram: 1024, vcpus: 1, disk: 5, id: 'mine' } } });
      await cloud.stop();
      cloud = await startTestCloud({ home });
      const again = nova(cloud, await cloud.token('admin'));
      const flavors = (await again('GET', '/flavors/detail')).body.flavors;
      assert.deepEqual(flavors.map((f: { id: string }) => f.id), ['0', '1', '2', '4', '5', 'mine'], 'm1.medium keeps the admin\'s id');
      assert.equal(flavors.find((f: { id: string }) => f.id === 'mine').ram, 1024);
      await cloud.stop();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
