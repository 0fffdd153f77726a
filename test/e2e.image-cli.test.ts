/**
 * End to end with Debian's unmodified `glance` and `openstack` CLIs against `kumo start` in a
 * child process, configured only by the rc files Kumo writes: the seeds' image uploads
 * (`glance image-create ... < file`, `openstack image create --file`), then list, show, set,
 * save, delete, and the errors the CLIs print.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellAs, type CliUser } from './helpers/cli.js';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';

const OPENSTACK = '/usr/bin/openstack';
const GLANCE = '/usr/bin/glance';
const cliMissing = !existsSync(OPENSTACK) || !existsSync(GLANCE);
const skip = cliMissing && process.env.KUMO_TEST_SKIP_CLIENTS === '1' ? 'OpenStack CLIs not installed and KUMO_TEST_SKIP_CLIENTS=1' : false;

describe('glance and openstack image CLIs against a running Kumo', { skip }, () => {
  let kumo: KumoProcess;
  let work: string;
  let data: Buffer;
  let file: string;

  before(async () => {
    if (cliMissing) throw new Error('openstack/glance CLIs are missing: run ../shared/tools/clients/install.sh (or set KUMO_TEST_SKIP_CLIENTS=1)');
    kumo = await startKumoProcess();
    work = mkdtempSync(join(tmpdir(), 'kumo-image-cli-'));
    data = randomBytes(256 * 1024);
    file = join(work, 'disk.qcow2');
    writeFileSync(file, data);
  });
  after(async () => {
    await kumo?.kill('SIGTERM');
    if (kumo) removeHome(kumo.home);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const sh = (commandLine: string, rc: CliUser = 'admin') => shellAs(kumo.home, work, rc, commandLine);

  async function osJson<T>(args: string, rc: 'admin' | 'demo' = 'admin'): Promise<T> {
    const res = await sh(`openstack ${args} -f json`, rc);
    assert.equal(res.code, 0, `openstack ${args} failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  }

  /** glance prints `| key | value |` tables. */
  function glanceTable(text: string): Record<string, string> {
    const rows: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^\|\s*(\S+)\s*\|\s*(.*?)\s*\|$/.exec(line);
      if (m?.[1] && m[1] !== 'Property') rows[m[1]] = m[2] ?? '';
    }
    return rows;
  }

  it('lists the bootstrap cirros image', async () => {
    const images = await osJson<{ Name: string; Status: string }[]>('image list');
    const cirros = images.find((i) => i.Name === 'cirros');
    assert.ok(cirros, JSON.stringify(images));
    assert.equal(cirros.Status, 'active');
  });

  it('uploads with `glance image-create ... < file` (seed 001)', async () => {
    const res = await sh(`glance image-create --name=Ubuntu1404 --visibility public --disk-format=qcow2 --container-format=bare < "${file}"`);
    assert.equal(res.code, 0, res.stderr);
    const table = glanceTable(res.stdout);
    assert.equal(table.name, 'Ubuntu1404');
    assert.equal(table.status, 'active');
    assert.equal(table.visibility, 'public');
    assert.equal(table.size, String(data.length));
    assert.equal(table.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(table.os_hash_algo, 'sha512');
  });

  it('uploads with `openstack image create --file` and shows it active', async () => {
    const res = await sh(`openstack image create --file "${file}" --disk-format qcow2 --container-format bare osc-image`);
    assert.equal(res.code, 0, res.stderr);
    const image = await osJson<Record<string, unknown>>('image show osc-image');
    assert.equal(image.status, 'active');
    assert.equal(image.size, data.length);
    assert.equal(image.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(image.disk_format, 'qcow2');
  });

  it('sets properties and tags, saves the data back, and deletes', async () => {
    const set = await sh('openstack image set --property os_distro=ubuntu --tag seeded --min-disk 1 osc-image');
    assert.equal(set.code, 0, set.stderr);
    const image = await osJson<{ properties: Record<string, unknown>; tags: string[]; min_disk: number }>('image show osc-image');
    assert.equal(image.properties.os_distro, 'ubuntu');
    assert.deepEqual(image.tags, ['seeded']);
    assert.equal(image.min_disk, 1);
    const out = join(work, 'saved.bin');
    const save = await sh(`openstack image save --file "${out}" osc-image`);
    assert.equal(save.code, 0, save.stderr);
    assert.ok(readFileSync(out).equals(data));
    const dl = await sh(`glance image-download --file "${join(work, 'glance.bin')}" "$(openstack image show -f value -c id Ubuntu1404)"`);
    assert.equal(dl.code, 0, dl.stderr);
    assert.ok(readFileSync(join(work, 'glance.bin')).equals(data));
    const del = await sh('openstack image delete osc-image');
    assert.equal(del.code, 0, del.stderr);
    const names = (await osJson<{ Name: string }[]>('image list')).map((i) => i.Name);
    assert.equal(names.includes('osc-image'), false);
  });

  it('prints Glance\'s errors', async () => {
    const missing = await sh('glance image-show 0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /404 Not Found: No image found with ID 0b8e2a4c-5f2d-4a4e-9a55-3c0e8a7d9f11/);
    const pub = await sh(`openstack image create --public --file "${file}" --disk-format raw --container-format bare not-allowed`, 'demo');
    assert.notEqual(pub.code, 0);
    assert.match(pub.stderr, /403|publicize_image/);
    const names = (await osJson<{ Name: string }[]>('image list')).map((i) => i.Name);
    assert.equal(names.includes('not-allowed'), false);
  });
});
