/**
 * The seeds' key pair, flavor and host commands with Debian's unmodified `nova` and `openstack`
 * CLIs against `kumo start` in a child process, configured by the rc files Kumo writes:
 * seed 001's `nova keypair-add KEY_NAME_DEMO > MY_KEY_DEMO.pem` (then `ssh-keygen -y`), seed
 * 003's `openstack keypair create mykey` and m1.nano (0), seed 002's `nova hypervisor-list`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellAs, type CliUser } from './helpers/cli.js';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';

const CLIS = ['/usr/bin/openstack', '/usr/bin/nova', '/usr/bin/ssh-keygen'];
const missing = CLIS.filter((c) => !existsSync(c));
const skip = missing.length > 0 && process.env.KUMO_TEST_SKIP_CLIENTS === '1' ? `missing ${missing.join(', ')} and KUMO_TEST_SKIP_CLIENTS=1` : false;

describe('seed key pair, flavor and host commands with the real CLIs', { skip }, () => {
  let kumo: KumoProcess;
  let work: string;

  before(async () => {
    if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run ../shared/tools/clients/install.sh (or set KUMO_TEST_SKIP_CLIENTS=1)`);
    kumo = await startKumoProcess({ env: { KUMO_HOST_NAME: 'compute1' } });
    work = mkdtempSync(join(tmpdir(), 'kumo-keypair-cli-'));
  });
  after(async () => {
    await kumo?.kill('SIGTERM');
    if (kumo) removeHome(kumo.home);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const shell = (user: CliUser, line: string) => shellAs(kumo.home, work, user, line);

  async function json<T>(user: 'admin' | 'demo', line: string): Promise<T> {
    const res = await shell(user, `${line} -f json`);
    assert.equal(res.code, 0, `${line} failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  }

  it('seed 001: nova keypair-add writes a private key that ssh-keygen -y reads back to the stored public key', async () => {
    const add = await shell('demo', 'nova keypair-add KEY_NAME_DEMO > MY_KEY_DEMO.pem');
    assert.equal(add.code, 0, add.stderr);
    assert.match(readFileSync(join(work, 'MY_KEY_DEMO.pem'), 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----/);
    const derived = await shell('demo', 'chmod 600 MY_KEY_DEMO.pem && ssh-keygen -y -f MY_KEY_DEMO.pem');
    assert.equal(derived.code, 0, derived.stderr);
    const stored = await shell('demo', 'openstack keypair show --public-key KEY_NAME_DEMO');
    assert.equal(derived.stdout.trim().split(' ').slice(0, 2).join(' '), stored.stdout.trim().split(' ').slice(0, 2).join(' '));
    const shown = await json<{ fingerprint: string; type: string }>('demo', 'openstack keypair show KEY_NAME_DEMO');
    const fp = await shell('demo', 'ssh-keygen -l -E md5 -f MY_KEY_DEMO.pem');
    assert.match(fp.stdout, new RegExp(`MD5:${shown.fingerprint}`));
    const list = await shell('demo', 'nova keypair-list');
    assert.match(list.stdout, /KEY_NAME_DEMO \|( ssh +\|)? [0-9a-f:]{47}/, 'the Type column shows from 2.2');
  });

  it('seed 003: openstack keypair create mykey prints a private key and lists the pair', async () => {
    const res = await shell('demo', 'openstack keypair create mykey > mykey.pem');
    assert.equal(res.code, 0, res.stderr);
    const check = await shell('demo', 'chmod 600 mykey.pem && ssh-keygen -y -f mykey.pem');
    assert.equal(check.code, 0, check.stderr);
    const pairs = await json<{ Name: string; Fingerprint: string }[]>('demo', 'openstack keypair list');
    assert.deepEqual(pairs.map((p) => p.Name).sort(), ['KEY_NAME_DEMO', 'mykey']);
    assert.deepEqual(await json<unknown[]>('admin', 'openstack keypair list'), [], 'key pairs belong to their user');
    assert.notEqual((await shell('demo', 'openstack keypair create mykey')).code, 0, 'a second mykey is refused');
  });

  it('seed 003: openstack flavor list shows the six flavors, m1.nano with id 0', async () => {
    const flavors = await json<{ ID: string; Name: string; RAM: number; Disk: number; VCPUs: number; 'Is Public': boolean }[]>('demo', 'openstack flavor list');
    assert.deepEqual(flavors.map((f) => `${f.ID}:${f.Name}`), ['0:m1.nano', '1:m1.tiny', '2:m1.small', '3:m1.medium', '4:m1.large', '5:m1.xlarge']);
    const nano = await json<{ id: string; ram: number; vcpus: number; disk: number }>('demo', 'openstack flavor show m1.nano');
    assert.deepEqual([nano.id, nano.vcpus, nano.disk], ['0', 1, 1]);
    const legacy = await shell('demo', 'nova flavor-list');
    assert.match(legacy.stdout, /\| 1 +\| m1\.tiny +\| 512 +\| 1 /);
  });

  it('creates and deletes a private flavor with openstack flavor create (admin)', async () => {
    const created = await json<{ id: string; 'os-flavor-access:is_public': boolean }>('admin', 'openstack flavor create --id 42 --ram 128 --disk 1 --vcpus 1 --private --property hw:cpu_policy=shared tiny.private');
    assert.equal(created.id, '42');
    assert.equal(created['os-flavor-access:is_public'], false);
    const shown = await json<{ properties: Record<string, string> | string }>('admin', 'openstack flavor show 42');
    assert.match(JSON.stringify(shown.properties), /hw:cpu_policy/);
    assert.equal((await shell('admin', 'openstack flavor delete 42')).code, 0);
    assert.notEqual((await shell('admin', 'openstack flavor show 42')).code, 0);
  });

  it('seed 002: nova hypervisor-list names the host; services and zones are there', async () => {
    const res = await shell('admin', 'nova hypervisor-list');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /\| compute1 +\| up +\| enabled/);
    const services = await json<{ Binary: string; Host: string; State: string }[]>('admin', 'openstack compute service list');
    assert.deepEqual(services.map((s) => `${s.Binary}@${s.Host}:${s.State}`).sort(), ['nova-compute@compute1:up', 'nova-conductor@compute1:up', 'nova-scheduler@compute1:up']);
    const zones = await json<{ 'Zone Name': string; 'Zone Status': string }[]>('admin', 'openstack availability zone list --compute');
    assert.ok(zones.some((z) => z['Zone Name'] === 'nova' && z['Zone Status'] === 'available'), JSON.stringify(zones));
  });

  it('shows quotas and limits to the project', async () => {
    const limits = await json<{ Name: string; Value: number }[]>('demo', 'openstack limits show --absolute');
    const byName = Object.fromEntries(limits.map((l) => [l.Name, l.Value]));
    assert.equal(byName.maxTotalInstances, 10);
    assert.equal(byName.maxTotalKeypairs, 100);
    const setQuota = await shell('admin', 'openstack quota set --instances 7 demo');
    assert.equal(setQuota.code, 0, setQuota.stderr);
    const quota = await shell('admin', 'nova quota-show --tenant $(openstack project show demo -f value -c id)');
    assert.match(quota.stdout, /\| instances +\| 7 /);
  });
});
