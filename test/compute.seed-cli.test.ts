/**
 * The seeds' server commands with Debian's unmodified `openstack`, `nova` and `glance` CLIs
 * against `kumo start` in a child process: seed 003's `openstack server create` (BUILD, then
 * ACTIVE in `server list`), seed 001's `nova boot` and its too-small-flavor error, seed 000's
 * `nova interface-attach/-list/-detach`, seed 002's `--availability-zone nova:<host>`.
 * novaclient 18 spells seed 001's `--key_name`/`--security_group` as `--key-name`/`--security-groups`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellAs, type CliUser } from './helpers/cli.js';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';

const CLIS = ['/usr/bin/openstack', '/usr/bin/nova', '/usr/bin/glance'];
const missing = CLIS.filter((c) => !existsSync(c));
const skip = missing.length > 0 && process.env.KUMO_TEST_SKIP_CLIENTS === '1' ? `missing ${missing.join(', ')} and KUMO_TEST_SKIP_CLIENTS=1` : false;

/** `| Field | Value |` rows of an OSC or novaclient table. */
function fields(table: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of table.split('\n')) {
    const m = /^\| (\S[^|]*?) +\| (.*?) *\|$/.exec(line);
    if (m?.[1] && m[2] !== undefined && !(m[1] === 'Field' && m[2] === 'Value') && !(m[1] === 'Property' && m[2] === 'Value')) out[m[1]] = m[2];
  }
  return out;
}

describe('seed server commands with the real CLIs', { skip }, () => {
  let kumo: KumoProcess;
  let work: string;
  let privateNet: string;

  before(async () => {
    if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run ../shared/tools/clients/install.sh (or set KUMO_TEST_SKIP_CLIENTS=1)`);
    // The first-start provisioning gives demo its `private` network and admin the external `public`, as in seed 001.
    kumo = await startKumoProcess({ env: { KUMO_HOST_NAME: 'compute1', KUMO_PROVISION_DEMO: '1' } });
    work = mkdtempSync(join(tmpdir(), 'kumo-server-cli-'));
    privateNet = (await shell('demo', 'openstack network show private -f value -c id')).stdout.trim();
    assert.match(privateNet, /^[0-9a-f-]{36}$/);
  });
  after(async () => {
    await kumo?.kill('SIGTERM');
    if (kumo) removeHome(kumo.home);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const shell = (user: CliUser, line: string) => shellAs(kumo.home, work, user, line);

  async function ok(user: 'admin' | 'demo', line: string): Promise<string> {
    const res = await shell(user, line);
    assert.equal(res.code, 0, `${line}\n${res.stderr}`);
    return res.stdout;
  }

  async function waitActive(user: 'admin' | 'demo', name: string): Promise<void> {
    for (let i = 0; i < 50; i++) {
      if ((await ok(user, `openstack server show ${name} -f value -c status`)).trim() === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`${name} never became ACTIVE`);
  }

  it('seed 003: openstack server create prints the server in BUILD, then server list shows it ACTIVE on its network', async () => {
    await ok('demo', 'openstack keypair create mykey > mykey.pem');
    const out = await ok('demo', `openstack server create --flavor m1.nano --image cirros --nic net-id=${privateNet} --security-group default --key-name mykey instance01`);
    const f = fields(out);
    assert.deepEqual(Object.keys(f).sort(), ['OS-DCF:diskConfig', 'OS-EXT-AZ:availability_zone', 'OS-EXT-STS:power_state', 'OS-EXT-STS:task_state',
      'OS-EXT-STS:vm_state', 'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at', 'accessIPv4', 'accessIPv6', 'addresses', 'adminPass',
      'config_drive', 'created', 'flavor', 'hostId', 'id', 'image', 'key_name', 'name', 'progress', 'project_id', 'properties',
      'security_groups', 'status', 'updated', 'user_id', 'volumes_attached']);
    assert.equal(f.status, 'BUILD');
    assert.equal(f['OS-EXT-STS:vm_state'], 'building');
    assert.equal(f['OS-EXT-STS:task_state'], 'scheduling');
    assert.equal(f['OS-EXT-STS:power_state'], 'NOSTATE');
    assert.equal(f.flavor, 'm1.nano (0)');
    assert.match(f.image ?? '', /^cirros \([0-9a-f-]{36}\)$/);
    assert.match(f.adminPass ?? '', /^\S{12}$/);
    assert.equal(f.key_name, 'mykey');
    await waitActive('demo', 'instance01');
    const list = await ok('demo', 'openstack server list');
    assert.match(list, /\| instance01 \| ACTIVE \| private=10\.0\.0\.\d+ +\| cirros \| m1\.nano \|/);
  });

  it("seed 001: nova boot with a key pair and a group on the private network; not on the public one", async () => {
    await ok('demo', 'nova keypair-add KEY_NAME_DEMO > MY_KEY_DEMO.pem');
    const boot = await ok('demo', `nova boot --flavor 1 --image cirros --key-name KEY_NAME_DEMO --security-groups default --nic net-id=${privateNet} cirros-01`);
    assert.equal(fields(boot).status, 'BUILD');
    await waitActive('demo', 'cirros-01');
    assert.match(await ok('demo', 'nova list'), /\| cirros-01 +\| ACTIVE \| - +\| Running +\| private=10\.0\.0\.\d+/);
    const publicNet = (await ok('demo', 'openstack network show public -f value -c id')).trim();
    const refused = await shell('demo', `nova boot --flavor 1 --image cirros --nic net-id=${publicNet} outside`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /It is not allowed to create an interface on external network/);
  });

  it("seed 001: a flavor whose disk is below the image's min_disk is refused with Nova's message; flavor 2 works", async () => {
    writeFileSync(join(work, 'image'), Buffer.alloc(4096, 1));
    await ok('admin', 'glance image-create --name Ubuntu1404 --visibility public --disk-format qcow2 --container-format bare --min-disk 5 < image');
    const tiny = await shell('demo', `nova boot --flavor 1 --image Ubuntu1404 --nic net-id=${privateNet} ubuntu-tiny`);
    assert.notEqual(tiny.code, 0);
    assert.match(tiny.stderr, /ERROR \(BadRequest\): Flavor's disk is too small for requested image\. Flavor disk is 1073741824 bytes, minimum size is 5368709120 bytes\. \(HTTP 400\)/);
    await ok('demo', `nova boot --flavor 2 --image Ubuntu1404 --nic net-id=${privateNet} ubuntu-small`);
    await waitActive('demo', 'ubuntu-small');
  });

  it('seed 000: nova interface-attach --port-id, interface-list, interface-detach; the port is kept', async () => {
    await ok('demo', `openstack network create user_net && openstack subnet create --network user_net --subnet-range 172.16.0.0/24 user_subnet`);
    const port = (await ok('demo', 'openstack port create --network user_net user_port1 -f value -c id')).trim();
    await ok('demo', `nova boot --flavor 0 --image cirros --nic net-id=${privateNet} server1`);
    await waitActive('demo', 'server1');
    await ok('demo', `nova interface-attach --port-id ${port} server1`);
    const list = await ok('demo', 'nova interface-list server1');
    assert.match(list, new RegExp(`\\| ACTIVE +\\| ${port} \\| [0-9a-f-]{36} \\| 172\\.16\\.0\\.\\d+ +\\| fa:16:3e:`));
    await ok('demo', `nova interface-detach server1 ${port}`);
    assert.doesNotMatch(await ok('demo', 'nova interface-list server1'), new RegExp(port));
    const kept = await ok('demo', `openstack port show ${port} -f value -c status -c device_id`);
    assert.equal(kept.trim(), 'DOWN');
  });

  it('seed 002: an admin boots on a named host with --availability-zone nova:<host>; hypervisor-list names it', async () => {
    assert.match(await ok('admin', 'nova hypervisor-list'), /\| compute1 +\|/);
    await ok('admin', `nova boot --flavor 0 --image cirros --nic net-id=${privateNet} --availability-zone nova:compute1 placed`);
    await waitActive('admin', 'placed');
    const shown = await ok('admin', 'openstack server show placed -f value -c OS-EXT-SRV-ATTR:host -c OS-EXT-AZ:availability_zone');
    assert.deepEqual(shown.trim().split('\n'), ['nova', 'compute1']);
    const denied = await shell('demo', `nova boot --flavor 0 --image cirros --nic net-id=${privateNet} --availability-zone nova:compute1 nope`);
    assert.match(denied.stderr, /Policy doesn't allow os_compute_api:servers:create:forced_host to be performed/);
  });
});
