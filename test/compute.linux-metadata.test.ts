/**
 * The metadata service with real instances and real packets (root only; skipped visibly
 * without): `kumo start` with the Linux data plane, cirros servers booted with the real
 * `openstack` CLI. A server reads its own meta_data.json from http://169.254.169.254 through
 * the haproxy in its network's qdhcp- namespace; its hostname, authorized key and user data came
 * from there (console log and files); a server without a key reads its own data, not another's,
 * even when it forges the proxy's headers, and gets nothing from an address it does not own; a
 * server booted with a config drive finds OpenStack's layout at /run/kumo and boots from it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/dataplane/linux/exec.js';
import { leftoverNamespaces, processesMentioning, rootSkip, waitFor } from './helpers/dataplane.js';
import { shellOk } from './helpers/cli.js';
import { startKumoProcess, removeHome, type KumoProcess } from './helpers/process.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const MD = 'http://169.254.169.254';
const skip = rootSkip()
  || (!['/usr/bin/openstack'].every((p) => existsSync(p)) && 'openstack CLI missing')
  || (!['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((p) => existsSync(p)) && 'haproxy missing (scripts/dataplane-deps.sh)');

describe('compute linux: the metadata service from inside real instances', { skip }, () => {
  let kumo: KumoProcess;
  let home: string;
  let root: RootSnapshot;
  let networkId: string;
  const ids: Record<string, string> = {};
  const ips: Record<string, string> = {};
  const env = () => ({ ...process.env, ...kumo.adminRc(), KUMO_HOME: home });

  const sh = (script: string): Promise<string> => shellOk(script, env());
  /** A command in the guest: its exact output and exit code (whatever the code). */
  async function guest(server: string, cmd: string): Promise<{ out: string; rc: number }> {
    const text = await sh(`node ${MAIN} exec ${server} -- sh -c '{ ${cmd}; }; r=$?; printf "\\n__rc=%s" $r'`);
    const at = text.lastIndexOf('\n__rc=');
    return { out: text.slice(0, at), rc: Number(text.slice(at + 6)) };
  }
  const ok = async (server: string, cmd: string) => {
    const r = await guest(server, cmd);
    assert.equal(r.rc, 0, `${server}: ${cmd}\n${r.out}`);
    return r.out;
  };
  const consoleLog = (server: string) => sh(`openstack console log show ${server}`);

  async function boot(name: string, options: string): Promise<void> {
    const server = JSON.parse(await sh(`openstack server create --flavor m1.nano --image cirros --network mdnet ${options} --wait ${name} -f json`));
    assert.equal(server.status, 'ACTIVE');
    ids[name] = server.id;
    ips[name] = JSON.stringify(server.addresses).match(/10\.9\.0\.\d+/)?.[0] as string;
    // The guest has asked the service (or read its drive) once its console says it is ready.
    const log = join(home, 'instances', server.id, 'console.log');
    await waitFor(`${name} ready`, async () => existsSync(log) && readFileSync(log, 'utf8').includes(`${name} login:`), 30_000);
  }

  before(async () => {
    root = await snapshotRootNetns();
    home = mkdtempSync('/tmp/kumo-md-test-');
    kumo = await startKumoProcess({ home, env: { KUMO_DATAPLANE: 'linux' } });
    await sh(`ssh-keygen -q -t ed25519 -N "" -C md@kumo -f ${home}/key && openstack keypair create --public-key ${home}/key.pub mdkey`);
    networkId = (await sh('openstack network create mdnet -f value -c id')).trim();
    await sh('openstack subnet create --network mdnet --subnet-range 10.9.0.0/24 mdsub');
    await sh(`printf '#!/bin/sh\\necho from-user-data > /tmp/user-data-ran\\n' > ${home}/ud.sh`);
    await Promise.all([
      boot('alpha', `--key-name mdkey --user-data ${home}/ud.sh`),
      boot('beta', ''),
      boot('gamma', '--key-name mdkey --config-drive true'),
    ]);
  });

  after(async () => {
    await kumo?.kill('SIGTERM');
    try {
      await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home } });
      assert.deepEqual(await leftoverNamespaces(home, [`qdhcp-${networkId}`]), [], 'kumo down left namespaces');
      assert.deepEqual(processesMentioning(home), [], 'kumo down left processes (haproxy, dnsmasq, instances)');
      await assertRootNetnsUnchanged(root);
    } finally {
      removeHome(home);
    }
  });

  it('alpha reads its own meta_data.json from 169.254.169.254 with kumo exec ... wget', async () => {
    const m = JSON.parse(await ok('alpha', `wget -qO- ${MD}/openstack/latest/meta_data.json`));
    assert.equal(m.uuid, ids.alpha);
    assert.equal(m.name, 'alpha');
    assert.equal(m.hostname, 'alpha.novalocal');
    assert.deepEqual(m.public_keys, { mdkey: readFileSync(join(home, 'key.pub'), 'utf8') });
    assert.equal(await ok('alpha', `wget -qO- ${MD}/latest/meta-data/local-ipv4`), ips.alpha);
    const network = JSON.parse(await ok('alpha', `wget -qO- ${MD}/openstack/latest/network_data.json`));
    assert.equal(network.networks[0].network_id, networkId);
  });

  it('alpha took its hostname, authorized key and user data from the service at boot', async () => {
    const log = await consoleLog('alpha');
    assert.match(log, /metadata: from http:\/\/169\.254\.169\.254/);
    assert.match(log, /hostname: alpha\n/);
    assert.match(log, /ssh key: installed for user cirros/);
    assert.match(log, /alpha login:/);
    assert.equal(await ok('alpha', 'hostname'), 'alpha\n');
    assert.equal(await ok('alpha', 'cat /home/cirros/.ssh/authorized_keys'), readFileSync(join(home, 'key.pub'), 'utf8'));
    assert.equal(await ok('alpha', 'cat /tmp/user-data-ran'), 'from-user-data\n');
  });

  it('beta reads only its own data: no key, no user data, and forged proxy headers change nothing', async () => {
    const own = JSON.parse(await ok('beta', `wget -qO- ${MD}/openstack/latest/meta_data.json`));
    assert.equal(own.uuid, ids.beta);
    assert.equal(own.public_keys, undefined);
    assert.notEqual((await guest('beta', `wget -qO- ${MD}/latest/meta-data/public-keys/0/openssh-key`)).rc, 0);
    assert.notEqual((await guest('beta', `wget -qO- ${MD}/latest/user-data`)).rc, 0);
    const forged = JSON.parse(await ok('beta',
      `wget -qO- --header "X-Forwarded-For: ${ips.alpha}" --header "X-Neutron-Network-ID: ${networkId}" ${MD}/openstack/latest/meta_data.json`));
    assert.equal(forged.uuid, ids.beta);
  });

  it('a request from an address no port holds gets nothing', async () => {
    const dhcpIp = (await ok('beta', 'ip route show 169.254.169.254')).match(/via (\S+)/)?.[1] as string;
    assert.ok(dhcpIp, 'the DHCP lease gave a host route to the metadata service');
    // beta sends from an address of its subnet that no port holds (port security, where on, drops it instead).
    await ok('beta', `ip addr add 10.9.0.250/24 dev ens3 && ip route replace 169.254.169.254 via ${dhcpIp} dev ens3 src 10.9.0.250`);
    const stranger = await guest('beta', `timeout 5 wget -qO- ${MD}/openstack/latest/meta_data.json`);
    await ok('beta', `ip route replace 169.254.169.254 via ${dhcpIp} dev ens3 && ip addr del 10.9.0.250/24 dev ens3`);
    assert.notEqual(stranger.rc, 0);
    assert.doesNotMatch(stranger.out, /uuid/);
    assert.match(await ok('beta', `wget -qO- ${MD}/latest/meta-data/instance-id`), /^i-[0-9a-f]{8}$/);
  });

  it('gamma (config_drive) boots from OpenStack\'s layout at /run/kumo, read-only', async () => {
    const log = await consoleLog('gamma');
    assert.match(log, new RegExp(`metadata: from the config drive \\(uuid ${ids.gamma}\\)`));
    assert.match(log, /gamma login:/);
    const files = await ok('gamma', 'ls /run/kumo/openstack/latest /run/kumo/ec2/latest');
    for (const f of ['meta_data.json', 'network_data.json', 'vendor_data.json', 'meta-data.json']) assert.ok(files.includes(f), files);
    assert.equal(JSON.parse(await ok('gamma', 'cat /run/kumo/openstack/latest/meta_data.json')).uuid, ids.gamma);
    assert.equal(await ok('gamma', 'hostname'), 'gamma\n');
    assert.notEqual((await guest('gamma', 'touch /run/kumo/x')).rc, 0);
    // beta, booted without one, has an empty /run/kumo.
    assert.equal(await ok('beta', 'ls -A /run/kumo'), '');
  });
});
