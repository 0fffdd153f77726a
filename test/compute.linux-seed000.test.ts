/**
 * Real instances with real packets (root only; skipped visibly without): seed 000 with the real
 * `openstack` and `nova` CLIs against `kumo start` in a child process with KUMO_DATAPLANE=linux.
 * Two cirros servers on a VXLAN network get their addresses from Kumo's dnsmasq and ping each
 * other; hot-plugged ports come up as ens6, DOWN and without address, are configured by hand
 * through `kumo exec` and ping across with ttl 64; detached and re-attached the NIC is ens7 with
 * the same MAC and no address; the console log shows the boot; after `kill -9` of Kumo the
 * servers are still ACTIVE and pingable with no duplicate init. `kumo down` then leaves no
 * namespace, process or mount, and the root namespace unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from '../src/dataplane/linux/exec.js';
import { listNamespaces } from '../src/dataplane/linux/ip.js';
import { homeHash, homePrefix } from '../src/dataplane/names.js';
import { rootSkip, waitFor } from './helpers/dataplane.js';
import { shellOk } from './helpers/cli.js';
import { startKumoProcess, removeHome, type KumoProcess } from './helpers/process.js';
import { assertRootNetnsUnchanged, rootMounts, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const skip = rootSkip() || (!['/usr/bin/openstack', '/usr/bin/nova'].every((p) => { try { readFileSync(p); return true; } catch { return false; } }) && 'openstack/nova CLIs missing');

describe('compute linux: seed 000 with real instances and real packets', { skip }, () => {
  let kumo: KumoProcess;
  let home: string;
  let root: RootSnapshot;
  let mounts: string[];
  const env = () => ({ ...process.env, ...kumo.adminRc(), KUMO_HOME: home });

  const sh = (script: string): Promise<string> => shellOk(script, env());
  const kexec = (server: string, cmd: string) => sh(`node ${MAIN} exec ${server} -- ${cmd}`);
  const active = (name: string) => waitFor(`${name} ACTIVE`, async () => (await sh(`openstack server show ${name} -f value -c status`)).trim() === 'ACTIVE', 60_000);

  before(async () => {
    root = await snapshotRootNetns();
    mounts = await rootMounts();
    home = mkdtempSync('/tmp/kumo-inst-test-');
    kumo = await startKumoProcess({ home, env: { KUMO_DATAPLANE: 'linux' } });
  });

  after(async () => {
    await kumo?.kill('SIGTERM');
    await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home } });
    const prefix = homePrefix(homeHash(home));
    assert.deepEqual([...await listNamespaces()].filter((n) => n.startsWith(prefix)), [], 'kumo down left namespaces');
    assert.deepEqual(await rootMounts(), mounts, 'mounts changed in the root mount namespace');
    await assertRootNetnsUnchanged(root, home);
    removeHome(home);
  });

  it('boots two cirros servers that get addresses by DHCP over VXLAN and ping each other', async () => {
    await sh('openstack network create admin_net && openstack subnet create --network admin_net --subnet-range 10.0.0.0/24 admin_sub');
    await sh('openstack network create user_net && openstack subnet create --network user_net --subnet-range 172.16.0.0/24 user_sub');
    const started = Date.now();
    await sh('openstack server create --flavor m1.nano --image cirros --network admin_net server1 && nova boot --flavor m1.nano --image cirros --nic net-name=admin_net server2');
    await active('server1');
    await active('server2');
    const ip2 = (await sh('openstack server show server2 -f value -c addresses')).match(/10\.0\.0\.\d+/)?.[0] as string;
    const out = await waitFor('ping server1 → server2', async () => (await kexec('server1', `ping -c1 -W1 ${ip2}`).catch(() => '')).includes('1 packets received') && kexec('server1', `ping -c3 ${ip2}`), 30_000);
    assert.match(out, /3 packets received/);
    assert.match(out, /ttl=64/);
    process.stdout.write(`# create → both ACTIVE and pingable: ${Date.now() - started} ms (with CLI start-up)\n`);
    assert.match(await sh('openstack server show server1 -f value -c OS-EXT-SRV-ATTR:instance_name'), /^instance-[0-9a-f]{8}$/m);
    assert.match(await sh('openstack hypervisor list -f value -c "Hypervisor Type"'), /kumo-container/);
  });

  it('seed 000: attached ports are ens6, DOWN without address; configured by hand they ping with ttl 64', async () => {
    const p1 = (await sh('openstack port create --network user_net --fixed-ip ip-address=172.16.0.11 user_port1 -f value -c id')).trim();
    const p2 = (await sh('openstack port create --network user_net --fixed-ip ip-address=172.16.0.12 user_port2 -f value -c id')).trim();
    await sh(`nova interface-attach --port-id ${p1} server1 && nova interface-attach --port-id ${p2} server2`);
    const ens6 = await kexec('server1', 'ip addr show ens6');
    assert.doesNotMatch(ens6, /[<,]UP[,>]/);
    assert.doesNotMatch(ens6, /inet /);
    for (const [server, ip] of [['server1', '172.16.0.11'], ['server2', '172.16.0.12']] as const) {
      await kexec(server, `ip addr add ${ip}/24 dev ens6`);
      await kexec(server, 'ip link set ens6 up');
    }
    const out = await waitFor('ping 172.16.0.12', async () => (await kexec('server1', 'ping -c1 -W1 172.16.0.12').catch(() => '')).includes('1 packets received') && kexec('server1', 'ping -c3 172.16.0.12'), 20_000);
    assert.match(out, /3 packets received/);
    assert.match(out, /ttl=64/);
    const mac = ens6.match(/link\/ether (\S+)/)?.[1];
    await sh(`nova interface-detach server1 ${p1}`);
    await waitFor('ens6 gone', async () => !(await kexec('server1', 'ip -o link')).includes('ens6'));
    await sh(`nova interface-attach --port-id ${p1} server1`);
    const ens7 = await kexec('server1', 'ip addr show ens7');
    assert.equal(ens7.match(/link\/ether (\S+)/)?.[1], mac);
    assert.doesNotMatch(ens7, /inet /);
  });

  it('shows the boot log with openstack console log show', async () => {
    // The login prompt comes once the metadata is applied, in the background after the lease.
    const log = await waitFor('the login prompt in the console log', async () => {
      const text = await sh('openstack console log show server1');
      return /server1 login:/.test(text) && text;
    }, 30_000).catch(async (err: Error) => { throw new Error(`${err.message}\n${await sh('openstack console log show server1')}`); });
    assert.match(log, /cirros \(kumo\) boot/);
    assert.match(log, /lease of 10\.0\.0\.\d+ obtained/);
    assert.match(log, /server1 login:/);
  });

  it('has cirros\'s sudo (the cirros user only), a curl that fetches over HTTP and a ping the cirros user may run', async () => {
    assert.equal((await kexec('server1', "su -s /bin/sh cirros -c 'sudo id -u'")).trim(), '0');
    await assert.rejects(kexec('server1', "su -s /bin/sh nobody -c 'sudo id -u'"), /not in the sudoers file/);
    const ip2 = (await sh('openstack server show server2 -f value -c addresses')).match(/10\.0\.0\.\d+/)?.[0] as string;
    await kexec('server2', "sh -c 'mkdir -p /tmp/www && echo hello-from-server2 > /tmp/www/index.html && httpd -p 8080 -h /tmp/www'");
    const fetch = () => kexec('server1', `su -s /bin/sh cirros -c 'curl -s http://${ip2}:8080/index.html'`);
    const body = await waitFor('curl server2:8080', async () => (await fetch().catch(() => '')).trim(), 10_000);
    assert.equal(body, 'hello-from-server2');
    await assert.rejects(kexec('server1', `curl --bogus http://${ip2}:8080/`), /not supported/);
    // busybox is setuid as on cirros: the cirros user pings, but other applets run unprivileged.
    assert.match(await kexec('server1', `su -s /bin/sh cirros -c 'ping -c1 -W2 ${ip2}'`), /1 packets received/);
    await assert.rejects(kexec('server1', "su -s /bin/sh cirros -c 'cat /etc/shadow'"), /Permission denied/);
  });

  it('kumo trace agrees with the kernel: the deciding rules are in the ports\' chains', async () => {
    const ip2 = (await sh('openstack server show server2 -f value -c addresses')).match(/10\.0\.0\.\d+/)?.[0] as string;
    const ok = await sh(`node ${MAIN} trace server1 ${ip2}`);
    assert.match(ok, /result: REACHABLE/);
    assert.match(ok, /live: rule \S+ is in chain egress-\S+ of table inet kumo-sg/);
    assert.match(ok, /live: rule \S+ is in chain ingress-\S+ of table inet kumo-sg/);
    // Same group: the default group's remote-group rule allows any protocol in.
    assert.match(await sh(`node ${MAIN} trace server1 ${ip2} tcp/23`), /result: REACHABLE/);
    // Nobody holds .250: dropped at L2, and the exit status says so.
    await assert.rejects(sh(`node ${MAIN} trace server1 10.0.0.250`), /no port on this network has 10\.0\.0\.250/);
  });

  it('keeps servers running across kill -9 of Kumo: ACTIVE, pingable, no duplicate init', async () => {
    const inits = async () => (await run(['ip', 'netns', 'pids', `${homePrefix(homeHash(home))}${(await sh('openstack server show server1 -f value -c OS-EXT-SRV-ATTR:instance_name')).trim()}`])).stdout;
    const before = await inits();
    await kumo.kill('SIGKILL');
    kumo = await startKumoProcess({ home, port: kumo.port, env: { KUMO_DATAPLANE: 'linux' } });
    await active('server1');
    await active('server2');
    const ip2 = (await sh('openstack server show server2 -f value -c addresses')).match(/10\.0\.0\.\d+/)?.[0] as string;
    assert.match(await kexec('server1', `ping -c2 ${ip2}`), /2 packets received/);
    assert.equal(await inits(), before, 'the instance processes are the same ones');
  });

  it('a paused or stopped server is off the network, as a VM is; unpaused or started it answers again', async () => {
    const ip2 = (await sh('openstack server show server2 -f value -c addresses')).match(/10\.0\.0\.\d+/)?.[0] as string;
    const answers = async () => (await kexec('server1', `ping -c1 -W1 ${ip2}`).catch(() => '')).includes('1 packets received');
    const status = (want: string) => waitFor(`server2 ${want}`, async () => (await sh('openstack server show server2 -f value -c status')).trim() === want, 30_000);
    await sh('openstack server pause server2');
    await status('PAUSED');
    assert.equal(await answers(), false, 'a paused server must not answer ping');
    await sh('openstack server unpause server2');
    await status('ACTIVE');
    await waitFor('server2 answers after unpause', answers, 10_000);
    await sh('openstack server stop server2');
    await status('SHUTOFF');
    assert.equal(await answers(), false, 'a stopped server must not answer ping');
    await sh('openstack server start server2');
    await status('ACTIVE');
    await waitFor('server2 answers after start', answers, 20_000);
  });
});
