/**
 * Seed 001's router and floating IP sequence with Debian's unmodified `neutron` and `openstack`
 * CLIs, against Kumo in a child process started as its author found the cloud: with the
 * first-start demo provisioning (public, private, router1). Then the openstack equivalents,
 * the agents, a distributed router with a floating IP behind it, and a restart that does not
 * provision again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';

const NEUTRON = '/usr/bin/neutron';
const OPENSTACK = '/usr/bin/openstack';
const cliMissing = !existsSync(NEUTRON) || !existsSync(OPENSTACK);
const skip = cliMissing && process.env.KUMO_TEST_SKIP_CLIENTS === '1' ? 'neutron/openstack CLIs not installed and KUMO_TEST_SKIP_CLIENTS=1' : false;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('seed 001 routers and floating IPs with the neutron and openstack CLIs', { skip }, () => {
  let kumo: KumoProcess;
  let cliHome: string;

  before(async () => {
    if (cliMissing) throw new Error('the neutron/openstack CLIs are missing: run ../shared/tools/clients/install.sh (or set KUMO_TEST_SKIP_CLIENTS=1)');
    kumo = await startKumoProcess({ env: { KUMO_PROVISION_DEMO: '1' } });
    cliHome = mkdtempSync(join(tmpdir(), 'kumo-cli-home-'));
  });
  after(async () => {
    await kumo?.kill('SIGTERM');
    if (kumo) removeHome(kumo.home);
    if (cliHome) rmSync(cliHome, { recursive: true, force: true });
  });

  /** Runs a CLI after sourcing keystonerc_<user>, in a clean environment. */
  function cli(user: 'admin' | 'demo', program: string, args: readonly string[]): Promise<CliResult> {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cliHome, LANG: 'C.UTF-8' };
    const argv = ['-c', 'source "$0" && exec "$@"', join(kumo.home, `keystonerc_${user}`), program, ...args];
    return new Promise((resolve) => {
      execFile('bash', argv, { env, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }
  async function ok(user: 'admin' | 'demo', program: string, ...args: string[]): Promise<string> {
    const res = await cli(user, program, args);
    assert.equal(res.code, 0, `${program} ${args.join(' ')} failed:\n${res.stderr}`);
    return res.stdout;
  }
  async function json(user: 'admin' | 'demo', program: string, ...args: string[]): Promise<Json> {
    return JSON.parse(await ok(user, program, ...args, '-f', 'json'));
  }
  /** neutronclient's JSON output gives a list field as a list, a dict field as a dict (or JSON text). */
  const dict = (value: unknown): Json => (typeof value === 'string' && value !== '' ? JSON.parse(value) : value === '' ? null : value);
  const first = (value: unknown): Json => { const v = dict(value); return Array.isArray(v) ? v[0] : v; };

  it('starts as packstack left it: public, private and router1 with its gateway and interface', async () => {
    const nets = await json('admin', NEUTRON, 'net-list');
    assert.deepEqual(nets.map((n: Json) => n.name).sort(), ['private', 'public']);
    const pub = await json('admin', NEUTRON, 'net-show', 'public');
    assert.equal(pub['router:external'], true);
    assert.equal(pub['provider:network_type'], 'flat');
    assert.equal(pub['provider:physical_network'], 'physnet1');
    const sub = await json('admin', NEUTRON, 'subnet-show', 'public_subnet');
    assert.equal(sub.cidr, '172.24.4.0/24');
    assert.equal(sub.gateway_ip, '172.24.4.1');
    assert.deepEqual(dict(sub.allocation_pools), [{ start: '172.24.4.2', end: '172.24.4.200' }]);
    assert.equal(sub.enable_dhcp, false);
    const router = await json('demo', NEUTRON, 'router-show', 'router1');
    const gw = dict(router.external_gateway_info);
    assert.equal(gw.network_id, pub.id);
    assert.equal(gw.external_fixed_ips[0].ip_address, '172.24.4.2');
    const ports = await json('demo', NEUTRON, 'port-list', '--device_id', router.id);
    assert.deepEqual(ports.map((p: Json) => first(p.fixed_ips).ip_address), ['10.0.0.1']);
    const priv = await json('demo', NEUTRON, 'subnet-show', 'private_subnet');
    assert.equal(priv.cidr, '10.0.0.0/24');
  });

  it('seed 001: re-creates the public subnet with a narrow pool and sets the gateway again', async () => {
    const refused = await cli('admin', NEUTRON, ['subnet-delete', 'public_subnet']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /One or more ports have an IP allocation from this subnet/);
    assert.match(await ok('admin', NEUTRON, 'router-gateway-clear', 'router1'), /Removed gateway from router router1/);
    assert.match(await ok('admin', NEUTRON, 'subnet-delete', 'public_subnet'), /Deleted subnet\(s\): public_subnet/);
    const s = await json('admin', NEUTRON, 'subnet-create', '--name', 'public_subnet', '--enable_dhcp=False',
      '--allocation-pool=start=192.168.1.50,end=192.168.1.150', '--gateway=192.168.1.1', 'public', '192.168.1.0/24', '--dns-nameservers', 'list=true', '192.168.1.1');
    assert.deepEqual(dict(s.allocation_pools), [{ start: '192.168.1.50', end: '192.168.1.150' }]);
    assert.match(await ok('admin', NEUTRON, 'router-gateway-set', 'router1', 'public'), /Set gateway for router router1/);
    const gw = dict((await json('admin', NEUTRON, 'router-show', 'router1')).external_gateway_info);
    assert.deepEqual(gw.external_fixed_ips, [{ subnet_id: s.id, ip_address: '192.168.1.50' }]);
    assert.equal(gw.enable_snat, true);
  });

  it('neutron router-create and router-interface-add on a new router', async () => {
    await json('admin', NEUTRON, 'net-create', 'admin_net');
    const sub = await json('admin', NEUTRON, 'subnet-create', '--name', 'admin_subnet', 'admin_net', '10.10.0.0/24');
    const r = await json('admin', NEUTRON, 'router-create', 'router2');
    assert.equal(r.status, 'ACTIVE');
    assert.equal(r.distributed, false);
    assert.match(await ok('admin', NEUTRON, 'router-interface-add', 'router2', 'admin_subnet'), /Added interface \S+ to router router2\./);
    const ports = await json('admin', NEUTRON, 'port-list', '--device_id', r.id);
    assert.equal(ports.length, 1);
    const port = await json('admin', NEUTRON, 'port-show', ports[0].id);
    assert.equal(port.device_owner, 'network:router_interface');
    assert.deepEqual(dict(port.fixed_ips), [{ subnet_id: sub.id, ip_address: '10.10.0.1' }]);
    assert.match(await ok('admin', NEUTRON, 'router-interface-delete', 'router2', 'admin_subnet'), /Removed interface from router router2\./);
    assert.match(await ok('admin', NEUTRON, 'router-delete', 'router2'), /Deleted router\(s\): router2/);
  });

  it('seed 001 as demo: floatingip-create public, floatingip-associate, floatingip-list', async () => {
    const fip = await json('demo', NEUTRON, 'floatingip-create', 'public');
    assert.equal(fip.floating_ip_address, '192.168.1.51');
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.port_id, null);
    assert.equal(fip.router_id, null);
    const port = await json('demo', NEUTRON, 'port-create', '--name', 'cirros-01-port', 'private');
    const fixed = first(port.fixed_ips).ip_address;
    assert.match(await ok('demo', NEUTRON, 'floatingip-associate', fip.id, port.id), new RegExp(`Associated floating IP ${fip.id}`));
    const list = await json('demo', NEUTRON, 'floatingip-list');
    assert.deepEqual(list, [{ id: fip.id, fixed_ip_address: fixed, floating_ip_address: '192.168.1.51', port_id: port.id }]);
    const shown = await json('demo', NEUTRON, 'floatingip-show', fip.id);
    assert.equal(shown.router_id, (await json('demo', NEUTRON, 'router-show', 'router1')).id);
    assert.match(await ok('demo', NEUTRON, 'floatingip-disassociate', fip.id), /Disassociated floating IP/);
    const busy = await cli('admin', NEUTRON, ['router-gateway-clear', 'router1']);
    assert.equal(busy.code, 0, 'a disassociated floating IP does not hold the gateway');
    await ok('admin', NEUTRON, 'router-gateway-set', 'router1', 'public');
    await ok('demo', NEUTRON, 'floatingip-associate', fip.id, port.id);
    const held = await cli('admin', NEUTRON, ['router-gateway-clear', 'router1']);
    assert.notEqual(held.code, 0);
    assert.match(held.stderr, /required by one or more floating IPs/);
  });

  it('the openstack router and floating ip commands', async () => {
    await json('demo', OPENSTACK, 'network', 'create', 'osnet');
    await json('demo', OPENSTACK, 'subnet', 'create', '--network', 'osnet', '--subnet-range', '10.20.0.0/24', 'ossub');
    const r = await json('demo', OPENSTACK, 'router', 'create', 'osrouter');
    assert.equal(r.external_gateway_info, null);
    await ok('demo', OPENSTACK, 'router', 'add', 'subnet', 'osrouter', 'ossub');
    await ok('demo', OPENSTACK, 'router', 'set', '--external-gateway', 'public', 'osrouter');
    const shown = await json('demo', OPENSTACK, 'router', 'show', 'osrouter');
    assert.equal(shown.external_gateway_info.network_id, (await json('demo', OPENSTACK, 'network', 'show', 'public')).id);
    assert.deepEqual(shown.interfaces_info.map((i: Json) => i.ip_address), ['10.20.0.1']);
    const routed = await json('demo', OPENSTACK, 'router', 'add', 'route', '--route', 'destination=10.30.0.0/24,gateway=10.20.0.5', 'osrouter');
    assert.deepEqual(routed.routes, [{ destination: '10.30.0.0/24', nexthop: '10.20.0.5' }]);
    const port = await json('demo', OPENSTACK, 'port', 'create', '--network', 'osnet', 'osport');
    const fip = await json('demo', OPENSTACK, 'floating', 'ip', 'create', 'public');
    assert.equal(fip.status, 'DOWN');
    await ok('demo', OPENSTACK, 'floating', 'ip', 'set', '--port', 'osport', fip.floating_ip_address);
    const list = await json('demo', OPENSTACK, 'floating', 'ip', 'list', '--port', port.id);
    assert.deepEqual(list.map((f: Json) => [f['Floating IP Address'], f['Fixed IP Address'], f.Port]), [[fip.floating_ip_address, port.fixed_ips[0].ip_address, port.id]]);
    await ok('demo', OPENSTACK, 'floating', 'ip', 'unset', '--port', fip.floating_ip_address);
    await ok('demo', OPENSTACK, 'floating', 'ip', 'delete', fip.floating_ip_address);
    await ok('demo', OPENSTACK, 'router', 'remove', 'route', '--route', 'destination=10.30.0.0/24,gateway=10.20.0.5', 'osrouter');
    await ok('demo', OPENSTACK, 'router', 'unset', '--external-gateway', 'osrouter');
    const inUse = await cli('demo', OPENSTACK, ['router', 'delete', 'osrouter']);
    assert.notEqual(inUse.code, 0);
    await ok('demo', OPENSTACK, 'router', 'remove', 'subnet', 'osrouter', 'ossub');
    await ok('demo', OPENSTACK, 'router', 'delete', 'osrouter');
    assert.ok(!(await json('demo', OPENSTACK, 'router', 'list')).some((x: Json) => x.Name === 'osrouter'));
  });

  it('neutron agent-list and l3-agent-list-hosting-router router1; openstack network agent list', async () => {
    const agents = await json('admin', NEUTRON, 'agent-list');
    assert.deepEqual(agents.map((a: Json) => a.agent_type).sort(), ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metadata agent']);
    assert.ok(agents.every((a: Json) => a.alive === ':-)' && a.admin_state_up === true), JSON.stringify(agents));
    const l3 = agents.find((a: Json) => a.agent_type === 'L3 agent');
    const hosting = await json('admin', NEUTRON, 'l3-agent-list-hosting-router', 'router1');
    assert.deepEqual(hosting.map((a: Json) => [a.id, a.host, a.alive]), [[l3.id, l3.host, ':-)']]);
    const onAgent = await json('admin', NEUTRON, 'router-list-on-l3-agent', l3.id);
    assert.ok(onAgent.some((r: Json) => r.name === 'router1'));
    const dhcp = await json('admin', NEUTRON, 'dhcp-agent-list-hosting-net', 'private');
    assert.equal(dhcp.length, 1);
    const os = await json('admin', OPENSTACK, 'network', 'agent', 'list', '--router', 'router1');
    assert.deepEqual(os.map((a: Json) => a.ID), [l3.id]);
    assert.deepEqual(await json('demo', NEUTRON, 'agent-list'), []);
  });

  it('a distributed router shows network:router_interface_distributed, and a floating IP still reaches a port behind it', async () => {
    await json('admin', NEUTRON, 'net-create', 'dvr_net');
    await json('admin', NEUTRON, 'subnet-create', '--name', 'dvr_subnet', 'dvr_net', '172.16.42.0/24');
    const r = await json('admin', NEUTRON, 'router-create', '--distributed', 'True', 'dvr1');
    assert.equal(r.distributed, true);
    await ok('admin', NEUTRON, 'router-gateway-set', 'dvr1', 'public');
    await ok('admin', NEUTRON, 'router-interface-add', 'dvr1', 'dvr_subnet');
    const ifaces = await json('admin', NEUTRON, 'port-list', '--device_id', r.id, '--device_owner', 'network:router_interface_distributed');
    assert.equal(ifaces.length, 1);
    assert.equal(first(ifaces[0].fixed_ips).ip_address, '172.16.42.1');
    const vm = await json('admin', NEUTRON, 'port-create', '--device-owner', 'compute:nova', 'dvr_net');
    const fip = await json('admin', NEUTRON, 'floatingip-create', '--port-id', vm.id, 'public');
    assert.equal(fip.router_id, r.id);
    assert.equal(fip.fixed_ip_address, first(vm.fixed_ips).ip_address);
    const member = await cli('demo', NEUTRON, ['router-create', '--distributed', 'True', 'mine']);
    assert.notEqual(member.code, 0);
    assert.match(member.stderr, /disallowed by policy/);
  });

  it('does not provision again on restart', async () => {
    await kumo.kill('SIGTERM');
    kumo = await startKumoProcess({ home: kumo.home, port: kumo.port, env: { KUMO_PROVISION_DEMO: '1' } });
    const nets = await json('admin', NEUTRON, 'net-list', '--name', 'public');
    assert.equal(nets.length, 1);
    const routers = await json('admin', NEUTRON, 'router-list');
    assert.deepEqual(routers.map((x: Json) => x.name).sort(), ['dvr1', 'router1']);
    assert.equal((await json('admin', NEUTRON, 'subnet-show', 'public_subnet')).cidr, '192.168.1.0/24');
  });
});
