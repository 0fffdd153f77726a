/**
 * Seed 001's router and floating IP sequence with Debian's unmodified `neutron` and `openstack`
 * CLIs, against Kumo in a child process started as its author found the cloud: with the
 * first-start demo provisioning (public, private, router1). Then the openstack equivalents,
 * the agents, a distributed router with a floating IP behind it, and a restart that does not
 * provision again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CliSession, cliSkip, NEUTRON, OPENSTACK } from './helpers/cli.js';
import { startKumoProcess } from './helpers/process.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('seed 001 routers and floating IPs with the neutron and openstack CLIs', { skip: cliSkip }, () => {
  let session: CliSession;

  before(async () => {
    session = await CliSession.start({ env: { KUMO_PROVISION_DEMO: '1' } });
  });
  after(async () => {
    await session?.stop();
  });

  /** neutronclient's JSON output gives a list field as a list, a dict field as a dict (or JSON text). */
  const dict = (value: unknown): Json => (typeof value === 'string' && value !== '' ? JSON.parse(value) : value === '' ? null : value);
  const first = (value: unknown): Json => { const v = dict(value); return Array.isArray(v) ? v[0] : v; };

  it('starts as packstack left it: public, private and router1 with its gateway and interface', async () => {
    const nets = await session.json('admin', NEUTRON, 'net-list');
    assert.deepEqual(nets.map((n: Json) => n.name).sort(), ['private', 'public']);
    const pub = await session.json('admin', NEUTRON, 'net-show', 'public');
    assert.equal(pub['router:external'], true);
    assert.equal(pub['provider:network_type'], 'flat');
    assert.equal(pub['provider:physical_network'], 'physnet1');
    const sub = await session.json('admin', NEUTRON, 'subnet-show', 'public_subnet');
    assert.equal(sub.cidr, '172.24.4.0/24');
    assert.equal(sub.gateway_ip, '172.24.4.1');
    assert.deepEqual(dict(sub.allocation_pools), [{ start: '172.24.4.2', end: '172.24.4.200' }]);
    assert.equal(sub.enable_dhcp, false);
    const router = await session.json('demo', NEUTRON, 'router-show', 'router1');
    const gw = dict(router.external_gateway_info);
    assert.equal(gw.network_id, pub.id);
    assert.equal(gw.external_fixed_ips[0].ip_address, '172.24.4.2');
    const ports = await session.json('demo', NEUTRON, 'port-list', '--device_id', router.id);
    assert.deepEqual(ports.map((p: Json) => first(p.fixed_ips).ip_address), ['10.0.0.1']);
    const priv = await session.json('demo', NEUTRON, 'subnet-show', 'private_subnet');
    assert.equal(priv.cidr, '10.0.0.0/24');
  });

  it('seed 001: re-creates the public subnet with a narrow pool and sets the gateway again', async () => {
    const refused = await session.run('admin', NEUTRON, ['subnet-delete', 'public_subnet']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /One or more ports have an IP allocation from this subnet/);
    assert.match(await session.ok('admin', NEUTRON, 'router-gateway-clear', 'router1'), /Removed gateway from router router1/);
    assert.match(await session.ok('admin', NEUTRON, 'subnet-delete', 'public_subnet'), /Deleted subnet\(s\): public_subnet/);
    const s = await session.json('admin', NEUTRON, 'subnet-create', '--name', 'public_subnet', '--enable_dhcp=False',
      '--allocation-pool=start=192.168.1.50,end=192.168.1.150', '--gateway=192.168.1.1', 'public', '192.168.1.0/24', '--dns-nameservers', 'list=true', '192.168.1.1');
    assert.deepEqual(dict(s.allocation_pools), [{ start: '192.168.1.50', end: '192.168.1.150' }]);
    assert.match(await session.ok('admin', NEUTRON, 'router-gateway-set', 'router1', 'public'), /Set gateway for router router1/);
    const gw = dict((await session.json('admin', NEUTRON, 'router-show', 'router1')).external_gateway_info);
    assert.deepEqual(gw.external_fixed_ips, [{ subnet_id: s.id, ip_address: '192.168.1.50' }]);
    assert.equal(gw.enable_snat, true);
  });

  it('neutron router-create and router-interface-add on a new router', async () => {
    await session.json('admin', NEUTRON, 'net-create', 'admin_net');
    const sub = await session.json('admin', NEUTRON, 'subnet-create', '--name', 'admin_subnet', 'admin_net', '10.10.0.0/24');
    const r = await session.json('admin', NEUTRON, 'router-create', 'router2');
    assert.equal(r.status, 'ACTIVE');
    assert.equal(r.distributed, false);
    assert.match(await session.ok('admin', NEUTRON, 'router-interface-add', 'router2', 'admin_subnet'), /Added interface \S+ to router router2\./);
    const ports = await session.json('admin', NEUTRON, 'port-list', '--device_id', r.id);
    assert.equal(ports.length, 1);
    const port = await session.json('admin', NEUTRON, 'port-show', ports[0].id);
    assert.equal(port.device_owner, 'network:router_interface');
    assert.deepEqual(dict(port.fixed_ips), [{ subnet_id: sub.id, ip_address: '10.10.0.1' }]);
    assert.match(await session.ok('admin', NEUTRON, 'router-interface-delete', 'router2', 'admin_subnet'), /Removed interface from router router2\./);
    assert.match(await session.ok('admin', NEUTRON, 'router-delete', 'router2'), /Deleted router\(s\): router2/);
  });

  it('seed 001 as demo: floatingip-create public, floatingip-associate, floatingip-list', async () => {
    const fip = await session.json('demo', NEUTRON, 'floatingip-create', 'public');
    assert.equal(fip.floating_ip_address, '192.168.1.51');
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.port_id, null);
    assert.equal(fip.router_id, null);
    const port = await session.json('demo', NEUTRON, 'port-create', '--name', 'cirros-01-port', 'private');
    const fixed = first(port.fixed_ips).ip_address;
    assert.match(await session.ok('demo', NEUTRON, 'floatingip-associate', fip.id, port.id), new RegExp(`Associated floating IP ${fip.id}`));
    const list = await session.json('demo', NEUTRON, 'floatingip-list');
    assert.deepEqual(list, [{ id: fip.id, fixed_ip_address: fixed, floating_ip_address: '192.168.1.51', port_id: port.id }]);
    const shown = await session.json('demo', NEUTRON, 'floatingip-show', fip.id);
    assert.equal(shown.router_id, (await session.json('demo', NEUTRON, 'router-show', 'router1')).id);
    assert.match(await session.ok('demo', NEUTRON, 'floatingip-disassociate', fip.id), /Disassociated floating IP/);
    const busy = await session.run('admin', NEUTRON, ['router-gateway-clear', 'router1']);
    assert.equal(busy.code, 0, 'a disassociated floating IP does not hold the gateway');
    await session.ok('admin', NEUTRON, 'router-gateway-set', 'router1', 'public');
    await session.ok('demo', NEUTRON, 'floatingip-associate', fip.id, port.id);
    const held = await session.run('admin', NEUTRON, ['router-gateway-clear', 'router1']);
    assert.notEqual(held.code, 0);
    assert.match(held.stderr, /required by one or more floating IPs/);
  });

  it('the openstack router and floating ip commands', async () => {
    await session.json('demo', OPENSTACK, 'network', 'create', 'osnet');
    await session.json('demo', OPENSTACK, 'subnet', 'create', '--network', 'osnet', '--subnet-range', '10.20.0.0/24', 'ossub');
    const r = await session.json('demo', OPENSTACK, 'router', 'create', 'osrouter');
    assert.equal(r.external_gateway_info, null);
    await session.ok('demo', OPENSTACK, 'router', 'add', 'subnet', 'osrouter', 'ossub');
    await session.ok('demo', OPENSTACK, 'router', 'set', '--external-gateway', 'public', 'osrouter');
    const shown = await session.json('demo', OPENSTACK, 'router', 'show', 'osrouter');
    assert.equal(shown.external_gateway_info.network_id, (await session.json('demo', OPENSTACK, 'network', 'show', 'public')).id);
    assert.deepEqual(shown.interfaces_info.map((i: Json) => i.ip_address), ['10.20.0.1']);
    const routed = await session.json('demo', OPENSTACK, 'router', 'add', 'route', '--route', 'destination=10.30.0.0/24,gateway=10.20.0.5', 'osrouter');
    assert.deepEqual(routed.routes, [{ destination: '10.30.0.0/24', nexthop: '10.20.0.5' }]);
    const port = await session.json('demo', OPENSTACK, 'port', 'create', '--network', 'osnet', 'osport');
    const fip = await session.json('demo', OPENSTACK, 'floating', 'ip', 'create', 'public');
    assert.equal(fip.status, 'DOWN');
    await session.ok('demo', OPENSTACK, 'floating', 'ip', 'set', '--port', 'osport', fip.floating_ip_address);
    const list = await session.json('demo', OPENSTACK, 'floating', 'ip', 'list', '--port', port.id);
    assert.deepEqual(list.map((f: Json) => [f['Floating IP Address'], f['Fixed IP Address'], f.Port]), [[fip.floating_ip_address, port.fixed_ips[0].ip_address, port.id]]);
    await session.ok('demo', OPENSTACK, 'floating', 'ip', 'unset', '--port', fip.floating_ip_address);
    await session.ok('demo', OPENSTACK, 'floating', 'ip', 'delete', fip.floating_ip_address);
    await session.ok('demo', OPENSTACK, 'router', 'remove', 'route', '--route', 'destination=10.30.0.0/24,gateway=10.20.0.5', 'osrouter');
    await session.ok('demo', OPENSTACK, 'router', 'unset', '--external-gateway', 'osrouter');
    const inUse = await session.run('demo', OPENSTACK, ['router', 'delete', 'osrouter']);
    assert.notEqual(inUse.code, 0);
    await session.ok('demo', OPENSTACK, 'router', 'remove', 'subnet', 'osrouter', 'ossub');
    await session.ok('demo', OPENSTACK, 'router', 'delete', 'osrouter');
    assert.ok(!(await session.json('demo', OPENSTACK, 'router', 'list')).some((x: Json) => x.Name === 'osrouter'));
  });

  it('neutron agent-list and l3-agent-list-hosting-router router1; openstack network agent list', async () => {
    const agents = await session.json('admin', NEUTRON, 'agent-list');
    assert.deepEqual(agents.map((a: Json) => a.agent_type).sort(), ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metadata agent']);
    assert.ok(agents.every((a: Json) => a.alive === ':-)' && a.admin_state_up === true), JSON.stringify(agents));
    const l3 = agents.find((a: Json) => a.agent_type === 'L3 agent');
    const hosting = await session.json('admin', NEUTRON, 'l3-agent-list-hosting-router', 'router1');
    assert.deepEqual(hosting.map((a: Json) => [a.id, a.host, a.alive]), [[l3.id, l3.host, ':-)']]);
    const onAgent = await session.json('admin', NEUTRON, 'router-list-on-l3-agent', l3.id);
    assert.ok(onAgent.some((r: Json) => r.name === 'router1'));
    const dhcp = await session.json('admin', NEUTRON, 'dhcp-agent-list-hosting-net', 'private');
    assert.equal(dhcp.length, 1);
    const os = await session.json('admin', OPENSTACK, 'network', 'agent', 'list', '--router', 'router1');
    assert.deepEqual(os.map((a: Json) => a.ID), [l3.id]);
    assert.deepEqual(await session.json('demo', NEUTRON, 'agent-list'), []);
  });

  it('a distributed router shows network:router_interface_distributed, and a floating IP still reaches a port behind it', async () => {
    await session.json('admin', NEUTRON, 'net-create', 'dvr_net');
    await session.json('admin', NEUTRON, 'subnet-create', '--name', 'dvr_subnet', 'dvr_net', '172.16.42.0/24');
    const r = await session.json('admin', NEUTRON, 'router-create', '--distributed', 'True', 'dvr1');
    assert.equal(r.distributed, true);
    await session.ok('admin', NEUTRON, 'router-gateway-set', 'dvr1', 'public');
    await session.ok('admin', NEUTRON, 'router-interface-add', 'dvr1', 'dvr_subnet');
    const ifaces = await session.json('admin', NEUTRON, 'port-list', '--device_id', r.id, '--device_owner', 'network:router_interface_distributed');
    assert.equal(ifaces.length, 1);
    assert.equal(first(ifaces[0].fixed_ips).ip_address, '172.16.42.1');
    const vm = await session.json('admin', NEUTRON, 'port-create', '--device-owner', 'compute:nova', 'dvr_net');
    const fip = await session.json('admin', NEUTRON, 'floatingip-create', '--port-id', vm.id, 'public');
    assert.equal(fip.router_id, r.id);
    assert.equal(fip.fixed_ip_address, first(vm.fixed_ips).ip_address);
    const member = await session.run('demo', NEUTRON, ['router-create', '--distributed', 'True', 'mine']);
    assert.notEqual(member.code, 0);
    assert.match(member.stderr, /disallowed by policy/);
  });

  it('does not provision again on restart', async () => {
    await session.kumo.kill('SIGTERM');
    session.kumo = await startKumoProcess({ home: session.kumo.home, port: session.kumo.port, env: { KUMO_PROVISION_DEMO: '1' } });
    const nets = await session.json('admin', NEUTRON, 'net-list', '--name', 'public');
    assert.equal(nets.length, 1);
    const routers = await session.json('admin', NEUTRON, 'router-list');
    assert.deepEqual(routers.map((x: Json) => x.name).sort(), ['dvr1', 'router1']);
    assert.equal((await session.json('admin', NEUTRON, 'subnet-show', 'public_subnet')).cidr, '192.168.1.0/24');
  });
});
