/**
 * Address groups: create (addresses normalised as Neutron does), show, list with filters,
 * fields, sorting and pages, update of name and description only, the atomic add_addresses and
 * remove_addresses actions (an address already there or not there refuses the whole request),
 * validation, isolation (another project's group is a 404, a reader changes nothing), a group
 * named by a rule cannot be deleted, and rules may name only groups the caller sees. On SQLite
 * and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../src/agent/watch.js';
import { loadFirewallModel } from '../src/agent/model-firewall.js';
import { projectId, startTestCloud, type TestCloud, type TestResponse } from './helpers/cloud.js';
import { grant, newUser, tokenFor } from './helpers/identity-api.js';
import { snapshot } from './helpers/snapshot.js';
import { storeBackends, type FreshDatabase } from './helpers/store-backends.js';

const IGNORED_TABLES = ['hosts', 'revocation_events'];
const MISSING = '0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11';

interface AddressGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  addresses: string[];
  created_at: string;
  updated_at: string;
  revision_number: number;
}

function neutronError(res: TestResponse, status: number, type: string, message?: RegExp | string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.NeutronError?.type, type, res.text);
  if (typeof message === 'string') assert.equal(res.body.NeutronError.message, message);
  else if (message) assert.match(res.body.NeutronError.message, message);
}

for (const backend of storeBackends()) {
  describe(`network: address groups (${backend.name})`, { skip: backend.unavailable ?? false }, () => {
    let cloud: TestCloud;
    let admin: string;
    let demo: string;
    let demoProject: string;
    let adminProject: string;
    let database: FreshDatabase;
    before(async () => {
      database = await backend.fresh();
      cloud = await startTestCloud({ databaseUrl: database.options.databaseUrl });
      admin = await cloud.token('admin');
      demo = await cloud.token('demo');
      demoProject = await projectId(cloud, 'demo');
      adminProject = await projectId(cloud, 'admin');
    });
    after(async () => {
      await cloud?.destroy();
      await database?.cleanup();
    });

    const api = (method: string, path: string, token: string, body?: unknown) =>
      cloud.request(method, `/network/v2.0/${path}`, { token, body });
    const create = (token: string, address_group: Record<string, unknown>) => api('POST', 'address-groups', token, { address_group });
    const newGroup = async (token: string, body: Record<string, unknown>): Promise<AddressGroup> => {
      const res = await create(token, body);
      assert.equal(res.status, 201, res.text);
      return res.body.address_group;
    };
    const action = (token: string, id: string, verb: 'add_addresses' | 'remove_addresses', addresses: unknown) =>
      api('PUT', `address-groups/${id}/${verb}`, token, { addresses });

    it('creates a group with the api-ref\'s attributes and the standard ones, normalising each address to its network', async () => {
      const g = await newGroup(demo, { name: 'web-clients', description: 'who may reach the web tier',
        addresses: ['10.0.0.5/24', '192.168.100.7/32', '2001:DB8:0:0::1/64', '10.0.0.0/24'] });
      assert.deepEqual(Object.keys(g).sort(),
        ['addresses', 'created_at', 'description', 'id', 'name', 'project_id', 'revision_number', 'tenant_id', 'updated_at']);
      assert.equal(g.name, 'web-clients');
      assert.equal(g.project_id, demoProject);
      assert.equal(g.tenant_id, demoProject);
      assert.deepEqual(g.addresses, ['10.0.0.0/24', '192.168.100.7/32', '2001:db8::/64'], 'host bits cleared, duplicates after that collapse');
      assert.match(g.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const shown = await api('GET', `address-groups/${g.id}`, demo);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.address_group, g);
      const fields = await api('GET', `address-groups/${g.id}?fields=addresses&fields=name`, demo);
      assert.deepEqual(fields.body.address_group, { addresses: g.addresses, name: 'web-clients' });
      const empty = await newGroup(demo, { name: 'empty', addresses: null });
      assert.deepEqual(empty.addresses, []);
      assert.deepEqual((await newGroup(demo, {})).addresses, [], 'every attribute is optional');
    });

    it('lets an admin create a group for another project, and a member only for their own', async () => {
      const g = await newGroup(admin, { name: 'for-demo', project_id: demoProject });
      assert.equal(g.project_id, demoProject);
      assert.equal((await api('GET', `address-groups/${g.id}`, demo)).status, 200);
      neutronError(await create(demo, { name: 'for-admin', project_id: adminProject }), 403, 'PolicyNotAuthorized');
    });

    it('validates addresses at create as the API\'s subnet_list validator does, and changes nothing when it refuses', async () => {
      const before = await snapshot(cloud.store, IGNORED_TABLES);
      const cases: [unknown, RegExp][] = [
        ['10.0.0.0/24', /Invalid input for addresses. Reason: '10.0.0.0\/24' is not a list./],
        [['10.0.0.1'], /'10.0.0.1' is not a valid IP subnet/],
        [['10.0.0.0/33'], /'10.0.0.0\/33' is not a valid IP subnet/],
        [['10.0.0.0/024'], /is not a valid IP subnet/],
        [['not-an-address/8'], /is not a valid IP subnet/],
        [[' 10.0.0.0/24'], /is not a valid IP subnet/],
        [[42], /'42' is not a valid IP subnet/],
        [['10.0.0.0/24', '10.0.0.0/24'], /Duplicate items in the list: '10.0.0.0\/24'/],
      ];
      for (const [addresses, message] of cases) neutronError(await create(demo, { name: 'bad', addresses }), 400, 'HTTPBadRequest', message);
      neutronError(await create(demo, { name: 'x'.repeat(256) }), 400, 'HTTPBadRequest', /exceeds maximum length of 255/);
      neutronError(await create(demo, { name: 'bad', shared: true }), 400, 'HTTPBadRequest', /Unrecognized attribute\(s\) 'shared'/);
      neutronError(await api('POST', 'address-groups', demo, { address_groups: [{ name: 'ok' }, { addresses: 'x' }] }), 400, 'HTTPBadRequest');
      assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before, 'nothing created, not even the valid half of a bulk request');
    });

    it('updates name and description only, revising the group when something changed', async () => {
      const g = await newGroup(demo, { name: 'renamed', addresses: ['10.9.0.0/16'] });
      const upd = await api('PUT', `address-groups/${g.id}`, demo, { address_group: { name: 'renamed-2', description: 'new' } });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.body.address_group.name, 'renamed-2');
      assert.equal(upd.body.address_group.description, 'new');
      assert.deepEqual(upd.body.address_group.addresses, ['10.9.0.0/16']);
      assert.equal(upd.body.address_group.revision_number, g.revision_number + 1);
      const same = await api('PUT', `address-groups/${g.id}`, demo, { address_group: { name: 'renamed-2' } });
      assert.equal(same.body.address_group.revision_number, g.revision_number + 1, 'no change, no revision');
      neutronError(await api('PUT', `address-groups/${g.id}`, demo, { address_group: { addresses: ['10.0.0.0/8'] } }), 400, 'HTTPBadRequest',
        'Cannot update read-only attribute addresses');
      neutronError(await api('PUT', `address-groups/${g.id}`, demo, { address_group: { project_id: adminProject } }), 400, 'HTTPBadRequest');
      neutronError(await api('PUT', `address-groups/${MISSING}`, demo, { address_group: { name: 'x' } }), 404, 'AddressGroupNotFound',
        `Address group ${MISSING} could not be found.`);
    });

    it('adds and removes addresses atomically, normalised, and refuses the whole request over one address already there or missing', async () => {
      const g = await newGroup(demo, { name: 'members', addresses: ['10.1.0.0/24'] });
      const added = await action(demo, g.id, 'add_addresses', ['10.2.0.1', '10.3.0.9/16', '2001:db8::7', '10.2.0.1/32']);
      assert.equal(added.status, 200, added.text);
      assert.deepEqual(added.body.address_group.addresses, ['10.1.0.0/24', '10.2.0.1/32', '10.3.0.0/16', '2001:db8::7/128']);
      assert.equal(added.body.address_group.revision_number, g.revision_number + 1);

      const before = await snapshot(cloud.store, IGNORED_TABLES);
      neutronError(await action(demo, g.id, 'add_addresses', ['10.4.0.0/24', '10.1.0.77/24']), 400, 'AddressesAlreadyExist',
        `Addresses ['10.1.0.0/24'] already exist in the address group ${g.id}.`);
      neutronError(await action(demo, g.id, 'remove_addresses', ['10.2.0.1', '10.5.0.0/24']), 404, 'AddressesNotFound',
        `Addresses ['10.5.0.0/24'] not found in the address group ${g.id}.`);
      neutronError(await action(demo, g.id, 'add_addresses', ['10.6.0.0/24', 'bogus']), 400, 'InvalidInput', /'bogus' is not a valid IP address or CIDR/);
      neutronError(await action(demo, g.id, 'add_addresses', '10.6.0.0/24'), 400, 'InvalidInput', /is not a list/);
      neutronError(await api('PUT', `address-groups/${g.id}/add_addresses`, demo, { address_group: { addresses: ['10.6.0.0/24'] } }), 400, 'HTTPBadRequest',
        "Unable to find 'addresses' in request body");
      neutronError(await action(demo, MISSING, 'add_addresses', ['10.6.0.0/24']), 404, 'AddressGroupNotFound');
      assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before, 'a refused action changes nothing');

      const removed = await action(demo, g.id, 'remove_addresses', ['10.2.0.1', '10.3.255.255/16']);
      assert.equal(removed.status, 200, removed.text);
      assert.deepEqual(removed.body.address_group.addresses, ['10.1.0.0/24', '2001:db8::7/128']);
      assert.equal(removed.body.address_group.revision_number, g.revision_number + 2);
      const noop = await action(demo, g.id, 'add_addresses', []);
      assert.equal(noop.status, 200);
      assert.equal(noop.body.address_group.revision_number, g.revision_number + 2, 'nothing to add, nothing revised');
    });

    it('lists with filters, fields, sorting and pages like the other Neutron collections', async () => {
      const names = ['pg-a', 'pg-b', 'pg-c'];
      for (const name of names) await newGroup(demo, { name, description: 'paged' });
      const mine = await api('GET', 'address-groups?description=paged&sort_key=name&sort_dir=desc', demo);
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.address_groups.map((x: AddressGroup) => x.name), ['pg-c', 'pg-b', 'pg-a']);
      const byName = await api('GET', 'address-groups?name=pg-b&fields=name&fields=addresses', demo);
      assert.deepEqual(byName.body.address_groups, [{ name: 'pg-b', addresses: [] }]);
      const page = await api('GET', 'address-groups?description=paged&sort_key=name&limit=2', demo);
      assert.deepEqual(page.body.address_groups.map((x: AddressGroup) => x.name), ['pg-a', 'pg-b']);
      const next = new URL(page.body.address_groups_links.find((l: { rel: string }) => l.rel === 'next').href);
      const rest = await cloud.request('GET', `${next.pathname}${next.search}`, { token: demo });
      assert.deepEqual(rest.body.address_groups.map((x: AddressGroup) => x.name), ['pg-c']);
      neutronError(await api('GET', 'address-groups?colour=red', demo), 400, 'HTTPBadRequest');
      neutronError(await api('GET', 'address-groups?addresses=10.0.0.0/24', demo), 400, 'HTTPBadRequest', /\[addresses\] is invalid attribute for filtering/);
      const none = await api('GET', 'address-groups?name=no-such-group', demo);
      assert.deepEqual(none.body.address_groups, []);
    });

    it('hides another project\'s groups behind 404s; an admin sees and changes everything', async () => {
      const adminGroup = await newGroup(admin, { name: 'admin-only', addresses: ['172.16.0.0/12'] });
      const before = await snapshot(cloud.store, IGNORED_TABLES);
      for (const res of [
        await api('GET', `address-groups/${adminGroup.id}`, demo),
        await api('PUT', `address-groups/${adminGroup.id}`, demo, { address_group: { name: 'mine' } }),
        await action(demo, adminGroup.id, 'add_addresses', ['10.0.0.0/8']),
        await action(demo, adminGroup.id, 'remove_addresses', ['172.16.0.0/12']),
        await api('DELETE', `address-groups/${adminGroup.id}`, demo),
      ]) neutronError(res, 404, 'AddressGroupNotFound', `Address group ${adminGroup.id} could not be found.`);
      assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before);
      const listed = await api('GET', 'address-groups', demo);
      assert.ok(!listed.body.address_groups.some((x: AddressGroup) => x.id === adminGroup.id));
      assert.ok(listed.body.address_groups.every((x: AddressGroup) => x.project_id === demoProject));

      const demoGroup = await newGroup(demo, { name: 'demo-owned' });
      const all = await api('GET', 'address-groups', admin);
      assert.ok(all.body.address_groups.some((x: AddressGroup) => x.id === demoGroup.id), 'the admin lists every project\'s groups');
      assert.equal((await action(admin, demoGroup.id, 'add_addresses', ['10.7.0.0/16'])).status, 200);
      assert.equal((await api('DELETE', `address-groups/${demoGroup.id}`, admin)).status, 204);
    });

    it('lets a reader of the project look but not touch', async () => {
      const user = await newUser(cloud);
      await grant(cloud, 'projects', demoProject, 'users', user.id, 'reader');
      const reader = await tokenFor(cloud, user, demoProject) as string;
      assert.ok(reader);
      const g = await newGroup(demo, { name: 'looked-at', addresses: ['10.8.0.0/16'] });
      assert.equal((await api('GET', `address-groups/${g.id}`, reader)).status, 200);
      assert.ok((await api('GET', 'address-groups', reader)).body.address_groups.some((x: AddressGroup) => x.id === g.id));
      const before = await snapshot(cloud.store, IGNORED_TABLES);
      neutronError(await create(reader, { name: 'nope' }), 403, 'PolicyNotAuthorized');
      neutronError(await api('PUT', `address-groups/${g.id}`, reader, { address_group: { name: 'x' } }), 403, 'PolicyNotAuthorized');
      neutronError(await action(reader, g.id, 'add_addresses', ['10.9.9.0/24']), 403, 'PolicyNotAuthorized');
      neutronError(await action(reader, g.id, 'remove_addresses', ['10.8.0.0/16']), 403, 'PolicyNotAuthorized');
      neutronError(await api('DELETE', `address-groups/${g.id}`, reader), 403, 'PolicyNotAuthorized');
      assert.deepEqual(await snapshot(cloud.store, IGNORED_TABLES), before);
    });

    it('takes a rule naming a visible group, shows remote_address_group_id, and refuses to delete the group while a rule names it', async () => {
      const sg = await api('POST', 'security-groups', demo, { security_group: { name: 'ag-rules' } });
      assert.equal(sg.status, 201);
      const g = await newGroup(demo, { name: 'in-use', addresses: ['10.10.0.0/24'] });
      const rule = { security_group_id: sg.body.security_group.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 };
      const created = await api('POST', 'security-group-rules', demo, { security_group_rule: { ...rule, remote_address_group_id: g.id } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.security_group_rule.remote_address_group_id, g.id);
      assert.equal(created.body.security_group_rule.remote_ip_prefix, null);
      const filtered = await api('GET', `security-group-rules?remote_address_group_id=${g.id}`, demo);
      assert.deepEqual(filtered.body.security_group_rules.map((r: { id: string }) => r.id), [created.body.security_group_rule.id]);
      const plain = await api('GET', `security-group-rules/${sg.body.security_group.security_group_rules[0].id}`, demo);
      assert.equal(plain.body.security_group_rule.remote_address_group_id, null, 'every rule shows the attribute');

      neutronError(await api('POST', 'security-group-rules', demo, { security_group_rule: { ...rule, remote_address_group_id: g.id } }), 409, 'SecurityGroupRuleExists');
      neutronError(await api('POST', 'security-group-rules', demo, { security_group_rule: { ...rule, remote_address_group_id: g.id, remote_ip_prefix: '10.0.0.0/8' } }),
        400, 'SecurityGroupMultipleRemoteEntites');
      const adminGroup = await newGroup(admin, { name: 'not-for-demo' });
      neutronError(await api('POST', 'security-group-rules', demo, { security_group_rule: { ...rule, port_range_min: 23, port_range_max: 23, remote_address_group_id: adminGroup.id } }),
        404, 'AddressGroupNotFound', `Address group ${adminGroup.id} could not be found.`);

      neutronError(await api('DELETE', `address-groups/${g.id}`, demo), 409, 'AddressGroupInUse',
        `Address group ${g.id} is in use on one or more security group rules.`);
      neutronError(await api('DELETE', `address-groups/${g.id}`, admin), 409, 'AddressGroupInUse');
      assert.equal((await api('GET', `address-groups/${g.id}`, demo)).status, 200);
      assert.equal((await api('DELETE', `security-group-rules/${created.body.security_group_rule.id}`, demo)).status, 204);
      assert.equal((await api('DELETE', `address-groups/${g.id}`, demo)).status, 204);
      neutronError(await api('GET', `address-groups/${g.id}`, demo), 404, 'AddressGroupNotFound');
      const left = await cloud.store.db.selectFrom('address_group_addresses').selectAll().where('address_group_id', '=', g.id).execute();
      assert.deepEqual(left, [], 'its addresses went with it');
    });

    it('feeds the agent: its model holds the addresses of groups rules name, and every change of them moves the watch fingerprint', async () => {
      const sg = await api('POST', 'security-groups', demo, { security_group: { name: 'ag-agent' } });
      const g = await newGroup(demo, { name: 'agent-fed', addresses: ['10.20.0.0/24'] });
      const unnamed = await newGroup(demo, { name: 'unnamed', addresses: ['10.21.0.0/24'] });
      const r = await api('POST', 'security-group-rules', demo, { security_group_rule: {
        security_group_id: sg.body.security_group.id, direction: 'ingress', remote_address_group_id: g.id } });
      assert.equal(r.status, 201, r.text);
      const model = await loadFirewallModel(cloud.store.db);
      assert.deepEqual(model.addressGroups.get(g.id), ['10.20.0.0/24']);
      assert.equal(model.addressGroups.has(unnamed.id), false, 'a group no rule names is not loaded');
      assert.equal(model.rules.find((x) => x.id === r.body.security_group_rule.id)?.remoteAddressGroupId, g.id);

      let last = await fingerprint(cloud.store.db);
      const moved = async (what: string) => {
        const now = await fingerprint(cloud.store.db);
        assert.notEqual(now, last, `${what} moves the fingerprint`);
        last = now;
      };
      await action(demo, g.id, 'add_addresses', ['10.22.0.0/24']);
      await moved('add_addresses');
      await action(demo, g.id, 'remove_addresses', ['10.20.0.0/24']);
      await moved('remove_addresses (same count as before the add)');
      assert.deepEqual((await loadFirewallModel(cloud.store.db)).addressGroups.get(g.id), ['10.22.0.0/24']);
      await action(demo, g.id, 'add_addresses', ['10.20.0.0/24']);
      await action(demo, g.id, 'remove_addresses', ['10.22.0.0/24']);
      await moved('a swap of one address for another');
    });

    it('is listed in /v2.0/extensions with the remote-address-group field of rules', async () => {
      const res = await api('GET', 'extensions', demo);
      const aliases = res.body.extensions.map((e: { alias: string }) => e.alias);
      assert.ok(aliases.includes('address-group'));
      assert.ok(aliases.includes('security-groups-remote-address-group'));
      assert.equal((await api('GET', 'extensions/address-group', demo)).body.extension.name, 'Address group');
    });
  });
}
