/**
 * Seed 000's ports replayed with Debian's unmodified `neutron` and `openstack` CLIs against Kumo
 * in a child process: `neutron port-create --name user_port1 user_net` shows what the seed shows,
 * `neutron port-list` finds the DHCP port beside the user's, and the openstack port commands work.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CliSession, cliSkip, NEUTRON, neutronDicts, OPENSTACK } from './helpers/cli.js';

/** Rows of a CLI table: `| key | value |` lines as [key, value]. */
function tableRows(text: string): [string, string][] {
  return text.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()) as [string, string]);
}

describe('seed ports with the neutron and openstack CLIs', { skip: cliSkip }, () => {
  let session: CliSession;

  before(async () => {
    session = await CliSession.start();
  });
  after(async () => session?.stop());

  let subnetId = '';
  let port1 = '';

  it('seed 000: neutron port-create --name user_port1 user_net shows the seed\'s fields', async () => {
    await session.ok('demo', NEUTRON, 'net-create', 'user_net');
    const subnet = await session.json<Record<string, string>>('demo', NEUTRON, 'subnet-create', '--name', 'user_subnet', 'user_net', '172.16.0.0/24');
    subnetId = subnet.id as string;
    const out = await session.ok('demo', NEUTRON, 'port-create', '--name', 'user_port1', 'user_net');
    assert.match(out, /^Created a new port:/);
    const fields = new Map(tableRows(out));
    for (const key of ['admin_state_up', 'allowed_address_pairs', 'binding:vnic_type', 'created_at', 'description', 'device_id', 'device_owner',
      'extra_dhcp_opts', 'fixed_ips', 'id', 'mac_address', 'name', 'network_id', 'project_id', 'revision_number', 'security_groups', 'status',
      'tenant_id', 'updated_at']) {
      assert.ok(fields.has(key), `field ${key} in:\n${out}`);
    }
    assert.equal(fields.get('name'), 'user_port1');
    assert.equal(fields.get('admin_state_up'), 'True');
    assert.equal(fields.get('status'), 'DOWN');
    assert.equal(fields.get('binding:vnic_type'), 'normal');
    assert.ok(!fields.has('binding:host_id'), 'bindings are admin-only');
    assert.match(fields.get('mac_address') as string, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    // The DHCP port holds 172.16.0.2, so IPAM picks the next free address.
    assert.deepEqual(JSON.parse(fields.get('fixed_ips') as string), { subnet_id: subnetId, ip_address: '172.16.0.3' });
    assert.equal(fields.get('project_id'), fields.get('tenant_id'));
    assert.match(fields.get('revision_number') as string, /^\d+$/);
    assert.match(fields.get('created_at') as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const groups = await session.json<{ ID: string; Name: string }[]>('demo', OPENSTACK, 'security', 'group', 'list');
    const defaultGroup = groups.find((g) => g.Name === 'default');
    assert.ok(defaultGroup, JSON.stringify(groups));
    assert.equal(fields.get('security_groups'), defaultGroup.ID);
    port1 = fields.get('id') as string;
  });

  it('seed 000: user_port2 takes the next address, and neutron port-list shows the DHCP port too', async () => {
    const port2 = await session.json<Record<string, unknown>>('demo', NEUTRON, 'port-create', '--name', 'user_port2', 'user_net');
    assert.deepEqual(neutronDicts(port2.fixed_ips), [{ subnet_id: subnetId, ip_address: '172.16.0.4' }]);
    const ports = await session.json<{ id: string; name: string; mac_address: string; fixed_ips: unknown }[]>('demo', NEUTRON, 'port-list');
    const byAddress = new Map(ports.map((p) => [neutronDicts(p.fixed_ips)[0]?.ip_address, p]));
    assert.deepEqual([...byAddress.keys()].sort(), ['172.16.0.2', '172.16.0.3', '172.16.0.4']);
    assert.equal(byAddress.get('172.16.0.3')?.name, 'user_port1');
    assert.equal(byAddress.get('172.16.0.4')?.name, 'user_port2');
    const dhcp = await session.json<Record<string, unknown>>('demo', NEUTRON, 'port-show', byAddress.get('172.16.0.2')?.id as string);
    assert.equal(dhcp.device_owner, 'network:dhcp');
    assert.match(await session.ok('demo', NEUTRON, 'port-update', port1, '--name', 'renamed'), /Updated port: /);
    assert.equal((await session.json<Record<string, unknown>>('demo', NEUTRON, 'port-show', port1)).name, 'renamed');
    const deleted = await session.run('demo', NEUTRON, ['port-delete', String(port2.id)]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await session.json<unknown[]>('demo', NEUTRON, 'port-list')).length, 2);
  });

  it('openstack port create, list, show, set and delete', async () => {
    const created = await session.json<Record<string, unknown>>('demo', OPENSTACK, 'port', 'create', '--network', 'user_net',
      '--fixed-ip', 'subnet=user_subnet,ip-address=172.16.0.50', '--allowed-address', 'ip-address=172.16.0.0/24',
      '--extra-dhcp-option', 'name=bootfile-name,value=pxelinux.0', 'myport');
    assert.deepEqual(created.fixed_ips, [{ subnet_id: subnetId, ip_address: '172.16.0.50' }]);
    assert.deepEqual(created.allowed_address_pairs, [{ ip_address: '172.16.0.0/24', mac_address: created.mac_address }]);
    assert.deepEqual(created.extra_dhcp_opts, [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }]);
    const listed = await session.json<{ ID: string; Name: string }[]>('demo', OPENSTACK, 'port', 'list', '--network', 'user_net', '--fixed-ip', 'ip-substring=172.16.0.5');
    assert.deepEqual(listed.map((p) => p.Name), ['myport']);
    await session.ok('demo', OPENSTACK, 'port', 'set', '--name', 'myport2', '--no-security-group', '--no-allowed-address', '--disable-port-security', 'myport');
    const shown = await session.json<Record<string, unknown>>('demo', OPENSTACK, 'port', 'show', 'myport2');
    assert.equal(shown.port_security_enabled, false);
    assert.deepEqual(shown.security_group_ids, []);
    assert.deepEqual(shown.allowed_address_pairs, []);
    assert.equal(shown.revision_number, 2);
    const refused = await session.run('demo', OPENSTACK, ['port', 'set', '--security-group', 'default', 'myport2']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Port security must be enabled/);
    await session.ok('demo', OPENSTACK, 'port', 'delete', 'myport2');
    const after = await session.json<{ Name: string }[]>('demo', OPENSTACK, 'port', 'list');
    assert.ok(!after.some((p) => p.Name === 'myport2'));
  });

  it('admin sees bindings and may bind a host; a member cannot reach another project\'s network', async () => {
    await session.ok('admin', OPENSTACK, 'port', 'set', '--host', 'compute1', port1);
    const asAdmin = await session.json<Record<string, unknown>>('admin', OPENSTACK, 'port', 'show', port1);
    assert.equal(asAdmin.binding_host_id, 'compute1');
    assert.equal(asAdmin.binding_vif_type, 'unbound');
    const asDemo = await session.json<Record<string, unknown>>('demo', OPENSTACK, 'port', 'show', port1);
    assert.equal(asDemo.binding_host_id, null, 'hidden from a member');
    const refused = await session.run('demo', OPENSTACK, ['port', 'set', '--host', 'compute2', port1]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /disallowed by policy/);
    const adminNet = await session.json<Record<string, string>>('admin', OPENSTACK, 'network', 'create', 'admin_private');
    const denied = await session.run('demo', NEUTRON, ['port-create', adminNet.id as string]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Unable to find network with name or id|could not be found/);
  });
});
