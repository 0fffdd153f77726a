/**
 * Seed 001 end to end, with real packets (root only) and the real `neutron`, `nova` and
 * `openstack` CLIs against `kumo start` in a child process (Linux data plane, host access on):
 * the admin re-creates public_subnet as 192.168.1.0/24 with gateway 192.168.1.1, demo opens icmp
 * and tcp 22 on `default`, `nova keypair-add KEY_NAME_DEMO > MY_KEY_DEMO.pem`, boots cirros-01 on
 * `private`, `neutron floatingip-create public` gives 192.168.1.51 and `floatingip-associate`
 * binds it. Then from the sandboxed outside host (`kumo exec --outside`) and from the machine
 * itself the floating IP answers ping and `ssh -i MY_KEY_DEMO.pem cirros@<fip> hostname` prints
 * cirros-01; the same from `ip netns exec qrouter-<id>` to the fixed address; another key is
 * refused; killed with -9 in the middle of a disassociation, the restarted cloud converges to
 * what is stored. `kumo down` leaves nothing, and the root namespace is as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/dataplane/linux/exec.js';
import { homeHash, hostAccessDev, routerNamespace } from '../src/dataplane/names.js';
import { CliSession, cliSkip, NEUTRON, OPENSTACK } from './helpers/cli.js';
import { startKumoProcess } from './helpers/process.js';
import { leftoverNamespaces, processesMentioning, rootSkip, waitFor } from './helpers/dataplane.js';
import { inNamespace, sshArgv } from './helpers/outside.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const NOVA = '/usr/bin/nova';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const skip = rootSkip() || cliSkip || (!existsSync(NOVA) && 'nova CLI missing') || (!existsSync('/usr/bin/ssh') && 'OpenSSH client (ssh) missing');

describe('seed 001 end to end: ssh to a floating IP from outside the cloud', { skip }, () => {
  let session: CliSession;
  let home: string;
  let root: RootSnapshot;
  let routerId = '';
  let fixedIp = '';
  let fip = '';
  let fipId = '';
  let portId = '';
  const key = () => join(home, 'MY_KEY_DEMO.pem');
  /** `kumo exec --outside -- argv`, as a user would run it. */
  const fromOutside = (argv: readonly string[]) => run(['node', MAIN, 'exec', '--outside', '--', ...argv], { env: { KUMO_HOME: home }, okCodes: [1, 255], timeoutMs: 30_000 });

  before(async () => {
    root = await snapshotRootNetns();
    session = await CliSession.start({ env: { KUMO_PROVISION_DEMO: '1', KUMO_DATAPLANE: 'linux', KUMO_HOST_ACCESS: '1' } });
    home = session.kumo.home;
  });

  after(async () => {
    if (!session) return;
    await session.kumo.kill('SIGTERM');
    // If kumo down itself fails, the home stays: its record is what a manual `kumo down` needs.
    const down = await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home } });
    try {
      assert.match(down.stdout, /host access, root namespace/);
      assert.deepEqual(await leftoverNamespaces(home, routerId ? [routerNamespace(routerId)] : []), []);
      assert.deepEqual(processesMentioning(home), []);
      await assertRootNetnsUnchanged(root, home);
    } finally {
      await session.stop();
    }
  });

  it('re-creates public_subnet as 192.168.1.0/24 and the upstream router follows to 192.168.1.1', async () => {
    await session.ok('admin', NEUTRON, 'router-gateway-clear', 'router1');
    await session.ok('admin', NEUTRON, 'subnet-delete', 'public_subnet');
    await session.ok('admin', NEUTRON, 'subnet-create', '--name', 'public_subnet', '--enable_dhcp=False',
      '--allocation-pool=start=192.168.1.50,end=192.168.1.150', '--gateway=192.168.1.1', 'public', '192.168.1.0/24', '--dns-nameservers', 'list=true', '192.168.1.1');
    await session.ok('admin', NEUTRON, 'router-gateway-set', 'router1', 'public');
    const router = await session.json('demo', NEUTRON, 'router-show', 'router1');
    routerId = router.id;
    const gw = typeof router.external_gateway_info === 'string' ? JSON.parse(router.external_gateway_info) : router.external_gateway_info;
    assert.equal(gw.external_fixed_ips[0].ip_address, '192.168.1.50');
    // The router's gateway answers the outside host, through the upstream router at 192.168.1.1.
    await waitFor('192.168.1.50 answers the outside host', async () => /1 packets received/.test((await fromOutside(['busybox', 'ping', '-c', '1', '-W', '1', '192.168.1.50'])).stdout), 15_000);
  });

  it('boots cirros-01 with the key pair and opens icmp and tcp 22 on default, as the demo user', async () => {
    await session.ok('demo', NEUTRON, 'security-group-rule-create', '--protocol', 'icmp', '--direction', 'ingress', 'default');
    await session.ok('demo', NEUTRON, 'security-group-rule-create', '--protocol', 'tcp', '--port-range-min', '22', '--port-range-max', '22', '--direction', 'ingress', 'default');
    writeFileSync(key(), await session.ok('demo', NOVA, 'keypair-add', 'KEY_NAME_DEMO'));
    chmodSync(key(), 0o600);
    const privateNet = await session.json('demo', NEUTRON, 'net-show', 'private');
    // Seed 001's Juno client spelled them --key_name and --security_group; today's nova takes dashes.
    await session.ok('demo', NOVA, 'boot', '--flavor', '1', '--image', 'cirros', '--key-name', 'KEY_NAME_DEMO', '--security-groups', 'default',
      '--nic', `net-id=${privateNet.id}`, 'cirros-01');
    const server = await waitFor('cirros-01 ACTIVE', async () => {
      const s = await session.json('demo', OPENSTACK, 'server', 'show', 'cirros-01');
      return s.status === 'ACTIVE' && s;
    }, 60_000);
    fixedIp = /10\.0\.0\.\d+/.exec(JSON.stringify(server.addresses))?.[0] as string;
    assert.ok(fixedIp);
  });

  it('seed 001: ssh from ip netns exec qrouter-<id> to the fixed address runs hostname', async () => {
    const r = await waitFor('ssh through the router namespace', async () => {
      const out = await inNamespace(routerNamespace(routerId), sshArgv(key(), 'cirros', fixedIp, 'hostname'));
      return out.code === 0 && out;
    }, 30_000);
    assert.equal(r.stdout.trim(), 'cirros-01');
  });

  it('floatingip-create public gives 192.168.1.51; associated, the outside host pings it and ssh prints cirros-01', async () => {
    const created = await session.json('demo', NEUTRON, 'floatingip-create', 'public');
    fip = created.floating_ip_address;
    fipId = created.id;
    assert.equal(fip, '192.168.1.51');
    assert.equal(created.status, 'DOWN');
    const ports = await session.json('demo', NEUTRON, 'port-list');
    const port = ports.find((p: Json) => JSON.stringify(p.fixed_ips).includes(`"${fixedIp}"`));
    portId = port.id;
    assert.match(await session.ok('demo', NEUTRON, 'floatingip-associate', created.id, port.id), /Associated floating IP/);
    await waitFor('floating IP ACTIVE', async () => (await session.json('demo', NEUTRON, 'floatingip-show', created.id)).status === 'ACTIVE', 15_000);
    const ping = await fromOutside(['busybox', 'ping', '-c', '2', '-W', '2', fip]);
    assert.match(ping.stdout, /2 packets received/);
    assert.match(ping.stdout, /ttl=62/, 'cirros-01 answers, two routers away (not router1 itself)');
    const ssh = await fromOutside(sshArgv(key(), 'cirros', fip, 'hostname'));
    assert.equal(ssh.stdout.trim(), 'cirros-01', ssh.stderr);
  });

  it('refuses another key pair\'s key', async () => {
    const other = join(home, 'OTHER_KEY.pem');
    writeFileSync(other, await session.ok('demo', NOVA, 'keypair-add', 'OTHER_KEY'));
    chmodSync(other, 0o600);
    const r = await fromOutside(sshArgv(other, 'cirros', fip, 'hostname'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
    assert.equal(r.stdout, '');
  });

  it('with host access on, the machine itself pings the floating IP and ssh prints cirros-01', async () => {
    // Out through this cloud's veth: another Kumo on the machine may have host access to a 192.168.1.0/24 of its own.
    const dev = hostAccessDev(homeHash(home));
    const ping = await run(['busybox', 'ping', '-I', dev, '-c', '2', '-W', '2', fip], { okCodes: [1] });
    assert.match(ping.stdout, /2 packets received/);
    assert.match(ping.stdout, /ttl=63/, 'cirros-01 answers, one router away');
    const ssh = await run(['ssh', '-o', `BindInterface=${dev}`, ...sshArgv(key(), 'cirros', fip, 'hostname').slice(1)], { okCodes: [255], timeoutMs: 30_000 });
    assert.equal(ssh.stdout.trim(), 'cirros-01', ssh.stderr);
  });

  it('converges to the stored state after kill -9 in the middle of a floating IP change', async () => {
    await session.ok('demo', NEUTRON, 'floatingip-disassociate', fipId);
    await session.kumo.kill('SIGKILL');
    session.kumo = await startKumoProcess({ home, port: session.kumo.port, env: { KUMO_PROVISION_DEMO: '1', KUMO_DATAPLANE: 'linux', KUMO_HOST_ACCESS: '1' } });
    await waitFor('floating IP DOWN', async () => (await session.json('demo', NEUTRON, 'floatingip-show', fipId)).status === 'DOWN', 15_000);
    await waitFor('unreachable from outside', async () => !/1 packets received/.test((await fromOutside(['busybox', 'ping', '-c', '1', '-W', '1', fip])).stdout), 15_000);
    await session.ok('demo', NEUTRON, 'floatingip-associate', fipId, portId);
    await waitFor('floating IP ACTIVE', async () => (await session.json('demo', NEUTRON, 'floatingip-show', fipId)).status === 'ACTIVE', 15_000);
    const ssh = await fromOutside(sshArgv(key(), 'cirros', fip, 'hostname'));
    assert.equal(ssh.stdout.trim(), 'cirros-01', ssh.stderr);
  });

  /** One HTTP GET of cirros-01's port 80 from the outside host (timeout, not wget -T: this busybox's -T crashes). */
  const web = async () => (await run(['node', MAIN, 'exec', '--outside', '--', 'timeout', '3', 'busybox', 'wget', '-q', '-O', '-', `http://${fip}/index.html`],
    { env: { KUMO_HOME: home }, okCodes: [1, 124, 143, 255], timeoutMs: 30_000 })).stdout.trim();

  it('TCP 80 is dropped until a rule allows it, and passes right after', async () => {
    await run(['node', MAIN, 'exec', 'cirros-01', '--', 'sh', '-c', 'mkdir -p /tmp/www && echo hello-80 > /tmp/www/index.html && httpd -p 80 -h /tmp/www'], { env: { KUMO_HOME: home } });
    assert.equal(await web(), '', 'no rule opens tcp 80 yet');
    await session.ok('demo', NEUTRON, 'security-group-rule-create', '--protocol', 'tcp', '--port-range-min', '80', '--port-range-max', '80', '--direction', 'ingress', 'default');
    assert.equal(await waitFor('tcp 80 open', async () => (await web()) === 'hello-80', 5_000), true);
  });

  it('converges to the stored rules after kill -9 right after a rule is deleted', async () => {
    const rules: Json[] = await session.json('demo', OPENSTACK, 'security', 'group', 'rule', 'list', 'default', '--protocol', 'tcp');
    const rule = rules.find((r) => r['Port Range'] === '80:80');
    assert.ok(rule, JSON.stringify(rules));
    await session.ok('demo', NEUTRON, 'security-group-rule-delete', rule.ID);
    await session.kumo.kill('SIGKILL');
    session.kumo = await startKumoProcess({ home, port: session.kumo.port, env: { KUMO_PROVISION_DEMO: '1', KUMO_DATAPLANE: 'linux', KUMO_HOST_ACCESS: '1' } });
    await waitFor('tcp 80 closed again', async () => (await web()) === '', 15_000);
    const ssh = await fromOutside(sshArgv(key(), 'cirros', fip, 'hostname'));
    assert.equal(ssh.stdout.trim(), 'cirros-01', ssh.stderr);
  });
});
