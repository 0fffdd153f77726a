/** Keystone's admin extensions over HTTP: policies, OS-EP-FILTER, OAuth1 consumers, domain configs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCloudWithAdminToken, type TestCloud } from './helpers/cloud.js';

describe('identity: admin extensions', () => {
  let cloud: TestCloud;
  let admin: string;
  before(async () => ({ cloud, admin } = await startCloudWithAdminToken()));
  after(async () => cloud.destroy());

  const call = (method: string, path: string, body?: unknown) => cloud.request(method, path, { token: admin, body });

  describe('policies', () => {
    it('stores blobs, filters by type, updates and deletes', async () => {
      assert.equal((await call('POST', '/v3/policies', { policy: { type: 'x' } })).status, 400);
      const created = await call('POST', '/v3/policies', { policy: { blob: '{"rule": "x"}', type: 'application/json' } });
      assert.equal(created.status, 201);
      const id = created.body.policy.id;
      assert.equal(created.body.policy.blob, '{"rule": "x"}');
      await call('POST', '/v3/policies', { policy: { blob: 'other', type: 'text/plain' } });
      const filtered = await call('GET', '/v3/policies?type=application/json');
      assert.deepEqual(filtered.body.policies.map((p: { id: string }) => p.id), [id]);
      const updated = await call('PATCH', `/v3/policies/${id}`, { policy: { type: 'application/x-new' } });
      assert.equal(updated.body.policy.type, 'application/x-new');
      assert.equal(updated.body.policy.blob, '{"rule": "x"}');
      assert.equal((await call('DELETE', `/v3/policies/${id}`)).status, 204);
      assert.equal((await call('GET', `/v3/policies/${id}`)).status, 404);
    });

    it('is not open to a non-admin', async () => {
      const demo = await cloud.token('demo');
      assert.equal((await cloud.request('POST', '/v3/policies', { token: demo, body: { policy: { blob: 'b', type: 't' } } })).status, 403);
      assert.equal((await cloud.request('GET', '/v3/policies', { token: demo })).status, 403);
    });
  });

  describe('OS-EP-FILTER', () => {
    let serviceId: string;
    let endpointId: string;
    let demoProjectId: string;
    before(async () => {
      serviceId = (await call('POST', '/v3/services', { service: { type: 'epf-type', name: 'epf' } })).body.service.id;
      endpointId = (await call('POST', '/v3/endpoints', { endpoint: { service_id: serviceId, interface: 'public', url: 'http://epf.example' } })).body.endpoint.id;
      const projects = await call('GET', '/v3/projects?name=demo');
      demoProjectId = projects.body.projects[0].id;
    });

    it('validates endpoint group filters', async () => {
      assert.equal((await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { name: 'g', filters: {} } })).status, 400);
      assert.equal((await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { name: 'g', filters: { enabled: true } } })).status, 400);
      assert.equal((await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { name: 'g', filters: { interface: 'nope' } } })).status, 400);
      assert.equal((await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { filters: { interface: 'public' } } })).status, 400);
    });

    it('manages endpoint groups and lists the endpoints they match', async () => {
      const created = await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { name: 'grp', description: 'd', filters: { service_id: serviceId } } });
      assert.equal(created.status, 201);
      const group = created.body.endpoint_group;
      assert.deepEqual(group.filters, { service_id: serviceId });
      assert.match(group.links.self, new RegExp(`/v3/OS-EP-FILTER/endpoint_groups/${group.id}$`));
      assert.equal((await cloud.request('HEAD', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}`, { token: admin })).status, 200);
      const matched = await call('GET', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}/endpoints`);
      assert.deepEqual(matched.body.endpoints.map((e: { id: string }) => e.id), [endpointId]);
      const renamed = await call('PATCH', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}`, { endpoint_group: { name: 'grp2', filters: { interface: 'admin', service_id: serviceId } } });
      assert.equal(renamed.body.endpoint_group.name, 'grp2');
      const none = await call('GET', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}/endpoints`);
      assert.deepEqual(none.body.endpoints, []);
      assert.equal((await call('DELETE', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}`)).status, 204);
      assert.equal((await call('GET', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}`)).status, 404);
    });

    it('associates endpoint groups with projects and filters their token catalog', async () => {
      const group = (await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { endpoint_group: { name: 'demo-only', filters: { service_id: serviceId } } })).body.endpoint_group;
      const path = `/v3/OS-EP-FILTER/endpoint_groups/${group.id}/projects/${demoProjectId}`;
      assert.equal((await call('GET', path)).status, 404);
      assert.equal((await call('PUT', path)).status, 204);
      assert.equal((await call('PUT', path)).status, 409);
      const assoc = await call('GET', path);
      assert.equal(assoc.body.project_endpoint_group.project_id, demoProjectId);
      assert.equal(assoc.body.project_endpoint_group.endpoint_group_id, group.id);
      const projects = await call('GET', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}/projects`);
      assert.deepEqual(projects.body.projects.map((p: { name: string }) => p.name), ['demo']);
      const groups = await call('GET', `/v3/OS-EP-FILTER/projects/${demoProjectId}/endpoint_groups`);
      assert.deepEqual(groups.body.endpoint_groups.map((g: { id: string }) => g.id), [group.id]);
      const endpoints = await call('GET', `/v3/OS-EP-FILTER/projects/${demoProjectId}/endpoints`);
      assert.deepEqual(endpoints.body.endpoints.map((e: { id: string }) => e.id), [endpointId]);

      // The demo project's token now carries only the group's endpoints; admin's is untouched.
      const demoCatalog = (await cloud.request('GET', '/v3/auth/catalog', { token: await cloud.token('demo') })).body.catalog;
      assert.deepEqual(demoCatalog.map((s: { type: string }) => s.type), ['epf-type']);
      const adminCatalog = (await call('GET', '/v3/auth/catalog')).body.catalog;
      assert.ok(adminCatalog.some((s: { type: string }) => s.type === 'identity'));

      assert.equal((await call('DELETE', path)).status, 204);
      assert.equal((await call('DELETE', path)).status, 404);
      assert.equal((await call('PUT', `/v3/OS-EP-FILTER/endpoint_groups/${group.id}/projects/no-such-project`)).status, 404);
    });

    it('associates single endpoints with projects', async () => {
      const path = `/v3/OS-EP-FILTER/projects/${demoProjectId}/endpoints/${endpointId}`;
      assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 404);
      assert.equal((await call('PUT', path)).status, 204);
      assert.equal((await call('PUT', path)).status, 409);
      assert.equal((await cloud.request('HEAD', path, { token: admin })).status, 204);
      assert.equal((await call('GET', path)).status, 204);
      const projects = await call('GET', `/v3/OS-EP-FILTER/endpoints/${endpointId}/projects`);
      assert.deepEqual(projects.body.projects.map((p: { id: string }) => p.id), [demoProjectId]);
      const endpoints = await call('GET', `/v3/OS-EP-FILTER/projects/${demoProjectId}/endpoints`);
      assert.deepEqual(endpoints.body.endpoints.map((e: { id: string }) => e.id), [endpointId]);
      assert.equal((await call('PUT', `/v3/OS-EP-FILTER/projects/${demoProjectId}/endpoints/no-such-endpoint`)).status, 404);
      assert.equal((await call('DELETE', path)).status, 204);
      assert.equal((await call('DELETE', path)).status, 404);
    });
  });

  describe('OAuth1 consumers', () => {
    it('shows the secret only when creating, and never lets it change', async () => {
      const created = await call('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 'first' } });
      assert.equal(created.status, 201);
      const consumer = created.body.consumer;
      assert.equal(typeof consumer.secret, 'string');
      assert.ok(consumer.secret.length >= 32);
      assert.match(consumer.links.self, new RegExp(`/v3/OS-OAUTH1/consumers/${consumer.id}$`));
      const shown = await call('GET', `/v3/OS-OAUTH1/consumers/${consumer.id}`);
      assert.equal(shown.body.consumer.secret, undefined);
      assert.equal(shown.body.consumer.description, 'first');
      const list = await call('GET', '/v3/OS-OAUTH1/consumers');
      assert.ok(list.body.consumers.every((c: { secret?: string }) => c.secret === undefined));
      assert.equal((await call('PATCH', `/v3/OS-OAUTH1/consumers/${consumer.id}`, { consumer: { secret: 'mine' } })).status, 400);
      const updated = await call('PATCH', `/v3/OS-OAUTH1/consumers/${consumer.id}`, { consumer: { description: 'second' } });
      assert.equal(updated.body.consumer.description, 'second');
      assert.equal((await call('DELETE', `/v3/OS-OAUTH1/consumers/${consumer.id}`)).status, 204);
      assert.equal((await call('GET', `/v3/OS-OAUTH1/consumers/${consumer.id}`)).status, 404);
    });
  });

  describe('domain configuration', () => {
    const config = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://ldap.example:389/', user_tree_dn: 'ou=Users,dc=example', password: 'hidden' } };
    const visible = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://ldap.example:389/', user_tree_dn: 'ou=Users,dc=example' } };

    it('reports the defaults of the readable options', async () => {
      const all = await call('GET', '/v3/domains/config/default');
      assert.equal(all.body.config.identity.driver, 'sql');
      assert.ok('list_limit' in all.body.config.identity);
      assert.equal(all.body.config.ldap.url, 'ldap://localhost');
      assert.ok(!('password' in all.body.config.ldap));
      assert.deepEqual((await call('GET', '/v3/domains/config/ldap/user_objectclass/default')).body.config, { user_objectclass: 'inetOrgPerson' });
      assert.equal((await call('GET', '/v3/domains/config/ldap/password/default')).status, 403);
      assert.equal((await call('GET', '/v3/domains/config/nosuch/default')).status, 403);
    });

    it('creates, reads, updates and deletes a domain configuration, never showing the password', async () => {
      assert.equal((await call('GET', '/v3/domains/default/config')).status, 404);
      const created = await call('PUT', '/v3/domains/default/config', { config });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body.config, visible);
      const replaced = await call('PUT', '/v3/domains/default/config', { config });
      assert.equal(replaced.status, 200);
      assert.deepEqual((await call('GET', '/v3/domains/default/config')).body.config, visible);
      assert.deepEqual((await call('GET', '/v3/domains/default/config/ldap')).body.config, { ldap: visible.ldap });
      assert.deepEqual((await call('GET', '/v3/domains/default/config/ldap/url')).body.config, { url: 'ldap://ldap.example:389/' });
      assert.equal((await call('GET', '/v3/domains/default/config/ldap/password')).status, 404);

      const group = await call('PATCH', '/v3/domains/default/config/identity', { config: { identity: { driver: 'sql', list_limit: 42 } } });
      assert.equal(group.status, 200);
      assert.deepEqual(group.body.config.identity, { driver: 'sql', list_limit: 42 });
      const option = await call('PATCH', '/v3/domains/default/config/identity/driver', { config: { driver: 'ldap' } });
      assert.equal(option.body.config.identity.driver, 'ldap');
      assert.equal((await call('PATCH', '/v3/domains/default/config/identity/driver', { config: { list_limit: 1 } })).status, 403);

      assert.equal((await call('DELETE', '/v3/domains/default/config/identity/driver')).status, 204);
      assert.equal((await call('GET', '/v3/domains/default/config/identity/driver')).status, 404);
      assert.equal((await call('DELETE', '/v3/domains/default/config/identity/driver')).status, 404);
      assert.equal((await call('DELETE', '/v3/domains/default/config/ldap')).status, 204);
      assert.equal((await call('GET', '/v3/domains/default/config/ldap')).status, 404);
      assert.equal((await call('DELETE', '/v3/domains/default/config')).status, 204);
      assert.equal((await call('GET', '/v3/domains/default/config')).status, 404);
    });

    it('refuses unsupported groups and options with 403, and unknown domains with 404', async () => {
      const badGroup = await call('PUT', '/v3/domains/default/config', { config: { assignment: { driver: 'sql' } } });
      assert.equal(badGroup.status, 403);
      assert.match(badGroup.body.error.message, /^Invalid domain specific configuration: /);
      assert.equal((await call('PUT', '/v3/domains/default/config', { config: { ldap: { not_an_option: 1 } } })).status, 403);
      assert.equal((await call('PUT', '/v3/domains/default/config', { config: {} })).status, 403);
      assert.equal((await call('PUT', '/v3/domains/no-such-domain/config', { config: visible })).status, 404);
      assert.equal((await call('PATCH', '/v3/domains/default/config/ldap', { config: { ldap: { url: 'x' } } })).status, 404);
    });

    it('shows the default domain password rules to any user', async () => {
      const demo = await cloud.token('demo');
      const res = await cloud.request('GET', '/v3/domains/default/config/security_compliance', { token: demo });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.config, { security_compliance: { password_regex: null, password_regex_description: null } });
      assert.equal((await cloud.request('GET', '/v3/domains/default/config', { token: demo })).status, 403);
    });
  });
});
