/** Catalog administration over HTTP: regions, services, endpoints, and what tokens then carry. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';

describe('identity: catalog administration', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  const post = async (path: string, body: unknown) => cloud.request('POST', path, { token: admin, body });
  const createService = async (type: string, name = `${type}-svc`) => {
    const res = await post('/v3/services', { service: { type, name } });
    assert.equal(res.status, 201);
    return res.body.service.id as string;
  };

  describe('regions', () => {
    it('creates a region with a chosen id by PUT, and refuses the same id twice', async () => {
      const res = await cloud.request('PUT', '/v3/regions/Chosen-1', { token: admin, body: { region: { description: 'mine' } } });
      assert.equal(res.status, 201);
      assert.equal(res.body.region.id, 'Chosen-1');
      assert.equal(res.body.region.description, 'mine');
      assert.equal(res.body.region.parent_region_id, null);
      assert.match(res.body.region.links.self, /\/v3\/regions\/Chosen-1$/);
      const again = await cloud.request('PUT', '/v3/regions/Chosen-1', { token: admin, body: { region: {} } });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.title, 'Conflict');
    });

    it('generates an id on POST and keeps extra attributes', async () => {
      const res = await post('/v3/regions', { region: { description: 'gen', colour: 'blue' } });
      assert.equal(res.status, 201);
      assert.match(res.body.region.id, /^[0-9a-f]{32}$/);
      assert.equal(res.body.region.colour, 'blue');
      const shown = await cloud.request('GET', `/v3/regions/${res.body.region.id}`, { token: admin });
      assert.equal(shown.body.region.colour, 'blue');
    });

    it('requires an existing parent and refuses cycles', async () => {
      const orphan = await post('/v3/regions', { region: { parent_region_id: 'no-such-region' } });
      assert.equal(orphan.status, 404);
      assert.equal(orphan.body.error.message, 'Could not find region: no-such-region.');
      await post('/v3/regions', { region: { id: 'cyc-a' } });
      await post('/v3/regions', { region: { id: 'cyc-b', parent_region_id: 'cyc-a' } });
      const cycle = await cloud.request('PATCH', '/v3/regions/cyc-a', { token: admin, body: { region: { parent_region_id: 'cyc-b' } } });
      assert.equal(cycle.status, 400);
      const self = await cloud.request('PATCH', '/v3/regions/cyc-a', { token: admin, body: { region: { parent_region_id: 'cyc-a' } } });
      assert.equal(self.status, 400);
    });

    it('filters by parent_region_id and updates description and parent', async () => {
      await post('/v3/regions', { region: { id: 'par-1' } });
      await post('/v3/regions', { region: { id: 'par-2' } });
      await post('/v3/regions', { region: { id: 'kid-1', parent_region_id: 'par-1' } });
      const kids = await cloud.request('GET', '/v3/regions?parent_region_id=par-1', { token: admin });
      assert.deepEqual(kids.body.regions.map((r: { id: string }) => r.id), ['kid-1']);
      const moved = await cloud.request('PATCH', '/v3/regions/kid-1', { token: admin, body: { region: { description: 'moved', parent_region_id: 'par-2' } } });
      assert.equal(moved.status, 200);
      assert.equal(moved.body.region.parent_region_id, 'par-2');
      assert.equal(moved.body.region.description, 'moved');
      const none = await cloud.request('GET', '/v3/regions?parent_region_id=par-1', { token: admin });
      assert.deepEqual(none.body.regions, []);
    });

    it('deletes a region with its child regions, but not while endpoints use them', async () => {
      await post('/v3/regions', { region: { id: 'tree-root' } });
      await post('/v3/regions', { region: { id: 'tree-leaf', parent_region_id: 'tree-root' } });
      const serviceId = await createService('tree-type');
      const ep = await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url: 'http://tree.example', region_id: 'tree-leaf' } });
      assert.equal(ep.status, 201);
      const refused = await cloud.request('DELETE', '/v3/regions/tree-root', { token: admin });
      assert.equal(refused.status, 403);
      await cloud.request('DELETE', `/v3/endpoints/${ep.body.endpoint.id}`, { token: admin });
      const deleted = await cloud.request('DELETE', '/v3/regions/tree-root', { token: admin });
      assert.equal(deleted.status, 204);
      assert.equal((await cloud.request('GET', '/v3/regions/tree-leaf', { token: admin })).status, 404);
    });

    it('lets any user read regions but only an admin write them', async () => {
      const demo = await cloud.token('demo');
      const list = await cloud.request('GET', '/v3/regions', { token: demo });
      assert.equal(list.status, 200);
      assert.ok(list.body.regions.some((r: { id: string }) => r.id === 'RegionOne'));
      const create = await cloud.request('POST', '/v3/regions', { token: demo, body: { region: {} } });
      assert.equal(create.status, 403);
    });
  });

  describe('services', () => {
    it('requires a type, keeps extra attributes, filters by type and name', async () => {
      const missing = await post('/v3/services', { service: { name: 'x' } });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, 400);
      const res = await post('/v3/services', { service: { type: 'filter-type', name: 'filter-name', description: 'd', owner: 'team' } });
      assert.equal(res.status, 201);
      assert.equal(res.body.service.enabled, true);
      assert.equal(res.body.service.owner, 'team');
      const byType = await cloud.request('GET', '/v3/services?type=filter-type', { token: admin });
      assert.deepEqual(byType.body.services.map((s: { id: string }) => s.id), [res.body.service.id]);
      const byName = await cloud.request('GET', '/v3/services?name=filter-name', { token: admin });
      assert.deepEqual(byName.body.services.map((s: { id: string }) => s.id), [res.body.service.id]);
      const updated = await cloud.request('PATCH', `/v3/services/${res.body.service.id}`, { token: admin, body: { service: { description: 'd2', enabled: false } } });
      assert.equal(updated.body.service.description, 'd2');
      assert.equal(updated.body.service.enabled, false);
      assert.equal(updated.body.service.name, 'filter-name');
    });

    it('deletes a service together with its endpoints', async () => {
      const serviceId = await createService('doomed-type');
      const ep = await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'internal', url: 'http://doomed.example' } });
      assert.equal((await cloud.request('DELETE', `/v3/services/${serviceId}`, { token: admin })).status, 204);
      assert.equal((await cloud.request('GET', `/v3/services/${serviceId}`, { token: admin })).status, 404);
      assert.equal((await cloud.request('GET', `/v3/endpoints/${ep.body.endpoint.id}`, { token: admin })).status, 404);
    });

    it('hides services and endpoints from a non-admin', async () => {
      const demo = await cloud.token('demo');
      assert.equal((await cloud.request('GET', '/v3/services', { token: demo })).status, 403);
      assert.equal((await cloud.request('GET', '/v3/endpoints', { token: demo })).status, 403);
    });
  });

  describe('endpoints', () => {
    it('refuses an enabled flag that is not a boolean, on create and on update', async () => {
      const serviceId = await createService('bool-type');
      const bad = await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url: 'http://b.example', enabled: 'True' } });
      assert.equal(bad.status, 400);
      const ok = await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url: 'http://b.example', enabled: true } });
      assert.equal(ok.status, 201);
      const badUpdate = await cloud.request('PATCH', `/v3/endpoints/${ok.body.endpoint.id}`, { token: admin, body: { endpoint: { enabled: 'False' } } });
      assert.equal(badUpdate.status, 400);
    });

    it('validates interface, url, service and region', async () => {
      const serviceId = await createService('valid-type');
      const base = { service_id: serviceId, interface: 'public', url: 'http://v.example' };
      assert.equal((await post('/v3/endpoints', { endpoint: { ...base, interface: 'private' } })).status, 400);
      assert.equal((await post('/v3/endpoints', { endpoint: { ...base, url: 'not a url' } })).status, 400);
      assert.equal((await post('/v3/endpoints', { endpoint: { ...base, url: 'http://v.example/$(bogus)s' } })).status, 400);
      assert.equal((await post('/v3/endpoints', { endpoint: { ...base, service_id: 'no-such-service' } })).status, 400);
      assert.equal((await post('/v3/endpoints', { endpoint: { ...base, region_id: 'no-such-region' } })).status, 400);
      const templated = await post('/v3/endpoints', { endpoint: { ...base, url: 'http://v.example/v1/$(project_id)s' } });
      assert.equal(templated.status, 201);
      assert.equal(templated.body.endpoint.url, 'http://v.example/v1/$(project_id)s');
    });

    it('creates the region named by the legacy region attribute', async () => {
      const serviceId = await createService('legacy-type');
      const res = await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'admin', url: 'http://l.example', region: 'LegacyRegion' } });
      assert.equal(res.status, 201);
      assert.equal(res.body.endpoint.region, 'LegacyRegion');
      assert.equal(res.body.endpoint.region_id, 'LegacyRegion');
      assert.equal((await cloud.request('GET', '/v3/regions/LegacyRegion', { token: admin })).status, 200);
    });

    it('filters by interface, service_id and region_id and updates every attribute', async () => {
      const s1 = await createService('flt-one');
      const s2 = await createService('flt-two');
      await post('/v3/regions', { region: { id: 'flt-region' } });
      const e1 = (await post('/v3/endpoints', { endpoint: { service_id: s1, interface: 'public', url: 'http://one.example', region_id: 'flt-region' } })).body.endpoint;
      const e2 = (await post('/v3/endpoints', { endpoint: { service_id: s2, interface: 'internal', url: 'http://two.example' } })).body.endpoint;
      const ids = async (q: string) => (await cloud.request('GET', `/v3/endpoints?${q}`, { token: admin })).body.endpoints.map((e: { id: string }) => e.id);
      assert.deepEqual(await ids(`service_id=${s1}`), [e1.id]);
      assert.deepEqual(await ids('region_id=flt-region'), [e1.id]);
      assert.ok((await ids('interface=internal')).includes(e2.id));
      assert.ok(!(await ids('interface=internal')).includes(e1.id));
      const upd = await cloud.request('PATCH', `/v3/endpoints/${e2.id}`, {
        token: admin, body: { endpoint: { service_id: s1, interface: 'admin', url: 'http://new.example', region: 'flt-region-2', enabled: false } },
      });
      assert.equal(upd.status, 200);
      assert.deepEqual(
        { s: upd.body.endpoint.service_id, i: upd.body.endpoint.interface, u: upd.body.endpoint.url, r: upd.body.endpoint.region, e: upd.body.endpoint.enabled },
        { s: s1, i: 'admin', u: 'http://new.example', r: 'flt-region-2', e: false },
      );
    });

    it('lets an admin edit and delete the endpoints Kumo registered itself', async () => {
      const list = await cloud.request('GET', '/v3/endpoints?interface=admin', { token: admin });
      const identityService = (await cloud.request('GET', '/v3/services?type=identity', { token: admin })).body.services[0];
      const managed = list.body.endpoints.find((e: { service_id: string }) => e.service_id === identityService.id);
      const upd = await cloud.request('PATCH', `/v3/endpoints/${managed.id}`, { token: admin, body: { endpoint: { url: 'http://elsewhere.example/v3' } } });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.endpoint.url, 'http://elsewhere.example/v3');
      assert.equal((await cloud.request('DELETE', `/v3/endpoints/${managed.id}`, { token: admin })).status, 204);
    });

    it('puts enabled endpoints of enabled services into new tokens, and leaves disabled ones out', async () => {
      const serviceId = await createService('tokencat', 'tokencat-name');
      await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url: 'http://on.example' } });
      await post('/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'internal', url: 'http://off.example', enabled: false } });
      const catalog = (await cloud.request('GET', '/v3/auth/catalog', { token: admin })).body.catalog;
      const entry = catalog.find((s: { type: string }) => s.type === 'tokencat');
      assert.equal(entry.name, 'tokencat-name');
      assert.deepEqual(entry.endpoints.map((e: { url: string }) => e.url), ['http://on.example']);
    });
  });
});
