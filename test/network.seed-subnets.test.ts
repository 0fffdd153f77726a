/**
 * Seeds 000 and 001 replayed with Debian's unmodified `neutron` and `openstack` CLIs against Kumo
 * in a child process: the user subnet whose DHCP port takes 172.16.0.2, the public subnet with a
 * narrow pool and no DHCP, its deletion, and the openstack subnet commands.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CliSession, cliSkip, NEUTRON, neutronDicts, OPENSTACK } from './helpers/cli.js';

describe('seed subnets with the neutron and openstack CLIs', { skip: cliSkip }, () => {
  let session: CliSession;

  before(async () => {
    session = await CliSession.start();
  });
  after(async () => session?.stop());

  it('seed 000: neutron subnet-create on user_net, and port-list shows the DHCP port at 172.16.0.2', async () => {
    await session.json('demo', NEUTRON, 'net-create', 'user_net');
    const s = await session.json<Record<string, unknown>>('demo', NEUTRON, 'subnet-create', '--name', 'user_subnet', 'user_net', '172.16.0.0/24');
    assert.equal(s.cidr, '172.16.0.0/24');
    assert.equal(s.gateway_ip, '172.16.0.1');
    assert.deepEqual(neutronDicts(s.allocation_pools), [{ start: '172.16.0.2', end: '172.16.0.254' }]);
    assert.equal(s.enable_dhcp, true);
    assert.equal(s.ip_version, 4);
    assert.equal(s.tenant_id, s.project_id);
    const ports = await session.json<{ id: string; fixed_ips: unknown }[]>('demo', NEUTRON, 'port-list');
    const fixed = ports.flatMap((p) => neutronDicts(p.fixed_ips));
    assert.deepEqual(fixed, [{ subnet_id: String(s.id), ip_address: '172.16.0.2' }]);
    const dhcp = await session.json<Record<string, unknown>>('demo', NEUTRON, 'port-show', ports[0]!.id);
    assert.equal(dhcp.device_owner, 'network:dhcp');
    assert.equal(dhcp.status, 'DOWN');
    const again = await session.run('demo', NEUTRON, ['subnet-create', 'user_net', '172.16.0.128/25']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Requested subnet with cidr: 172\.16\.0\.128\/25 for network: \S+ overlaps with another subnet/);
  });

  it('seed 001: the public subnet with a narrow pool and no DHCP, then neutron subnet-delete', async () => {
    await session.json('admin', NEUTRON, 'net-create', 'public', '--router:external', '--provider:network_type', 'flat', '--provider:physical_network', 'physnet1');
    const s = await session.json<Record<string, unknown>>('admin', NEUTRON, 'subnet-create', '--name', 'public_subnet', '--enable_dhcp=False',
      '--allocation-pool=start=192.168.1.50,end=192.168.1.150', '--gateway=192.168.1.1', 'public', '192.168.1.0/24', '--dns-nameservers', 'list=true', '192.168.1.1');
    assert.deepEqual(neutronDicts(s.allocation_pools), [{ start: '192.168.1.50', end: '192.168.1.150' }]);
    assert.equal(s.gateway_ip, '192.168.1.1');
    assert.equal(s.enable_dhcp, false);
    assert.equal(String(s.dns_nameservers), '192.168.1.1');
    const ports = await session.json<{ fixed_ips: unknown }[]>('admin', NEUTRON, 'port-list', '--network_id', String(s.network_id));
    assert.deepEqual(ports, [], 'no DHCP port without DHCP');
    const deleted = await session.run('admin', NEUTRON, ['subnet-delete', 'public_subnet']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Deleted subnet\(s\): public_subnet/);
    const left = await session.json<{ name: string }[]>('admin', NEUTRON, 'subnet-list');
    assert.ok(!left.some((x) => x.name === 'public_subnet'));
  });

  it('openstack subnet create / list / show / set / unset / delete', async () => {
    await session.json('demo', OPENSTACK, 'network', 'create', 'osnet');
    const s = await session.json<Record<string, unknown>>('demo', OPENSTACK, 'subnet', 'create', '--network', 'osnet', '--subnet-range', '10.5.0.0/24',
      '--dns-nameserver', '8.8.8.8', '--allocation-pool', 'start=10.5.0.10,end=10.5.0.20', 'ossub');
    assert.deepEqual(s.allocation_pools, [{ start: '10.5.0.10', end: '10.5.0.20' }]);
    assert.deepEqual(s.dns_nameservers, ['8.8.8.8']);
    const list = await session.json<{ Name: string; Subnet: string }[]>('demo', OPENSTACK, 'subnet', 'list', '--network', 'osnet');
    assert.deepEqual(list.map((x) => [x.Name, x.Subnet]), [['ossub', '10.5.0.0/24']]);
    const set = await session.run('demo', OPENSTACK, ['subnet', 'set', '--name', 'ossub2', '--gateway', '10.5.0.254', '--dns-nameserver', '1.1.1.1', '--no-dhcp', 'ossub']);
    assert.equal(set.code, 0, set.stderr);
    const unset = await session.run('demo', OPENSTACK, ['subnet', 'unset', '--dns-nameserver', '8.8.8.8', 'ossub2']);
    assert.equal(unset.code, 0, unset.stderr);
    const shown = await session.json<Record<string, unknown>>('demo', OPENSTACK, 'subnet', 'show', 'ossub2');
    assert.equal(shown.gateway_ip, '10.5.0.254');
    assert.deepEqual(shown.dns_nameservers, ['1.1.1.1']);
    assert.equal(shown.enable_dhcp, false);
    assert.equal(shown.revision_number, 2, 'one update by set, one by unset');
    const clash = await session.run('demo', OPENSTACK, ['subnet', 'set', '--gateway', '10.5.0.15', 'ossub2']);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /Gateway ip 10\.5\.0\.15 conflicts with allocation pool 10\.5\.0\.10-10\.5\.0\.20/);
    const del = await session.run('demo', OPENSTACK, ['subnet', 'delete', 'ossub2']);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(await session.json('demo', OPENSTACK, 'subnet', 'list', '--network', 'osnet'), []);
  });

  it('openstack subnet pool create and a subnet from it; ip availability as admin', async () => {
    await session.json('admin', OPENSTACK, 'subnet', 'pool', 'create', '--pool-prefix', '10.100.0.0/16', '--default-prefix-length', '26', '--share', 'pool4');
    await session.json('demo', OPENSTACK, 'network', 'create', 'poolnet');
    const s = await session.json<Record<string, unknown>>('demo', OPENSTACK, 'subnet', 'create', '--subnet-pool', 'pool4', '--network', 'poolnet', 'frompool');
    assert.equal(s.cidr, '10.100.0.0/26');
    const avail = await session.json<Record<string, unknown>>('admin', OPENSTACK, 'ip', 'availability', 'show', 'poolnet');
    assert.equal(avail.total_ips, 61);
    assert.equal(avail.used_ips, 1, 'the DHCP port');
    const busy = await session.run('admin', OPENSTACK, ['subnet', 'pool', 'delete', 'pool4']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /Subnet pool has existing allocations/);
  });
});
