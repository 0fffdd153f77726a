/** Key pairs over HTTP: generation checked with the real ssh-keygen, import, names, users, microversions, quota. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectId, type TestCloud } from './helpers/cloud.js';
import { needs, nova, startCloudWithNovaClients, userId, type Nova } from './helpers/compute-catalog.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';

describe('compute: key pairs', () => {
  let cloud: TestCloud;
  let admin: Nova;
  let demo: Nova;
  let dir: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithNovaClients());
    dir = mkdtempSync(join(tmpdir(), 'kumo-keys-'));
  });
  after(async () => {
    await cloud.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (nova: Nova, keypair: Record<string, unknown>, version?: string) => nova('POST', '/os-keypairs', { body: { keypair }, ...(version ? { version } : {}) });

  /** ssh-keygen's own MD5 fingerprint of a public key line. */
  function sshKeygenMd5(publicKey: string): string {
    const file = join(dir, `pub-${Date.now()}-${Math.random()}.pub`);
    writeFileSync(file, `${publicKey}\n`);
    const out = execFileSync(SSH_KEYGEN, ['-l', '-E', 'md5', '-f', file]).toString();
    return (/MD5:([0-9a-f:]+)/.exec(out) as RegExpExecArray)[1] as string;
  }

  it('generates an RSA pair whose private key ssh-keygen reads back to the stored public key', async () => {
    const res = await create(demo, { name: 'gen' });
    assert.equal(res.status, 200);
    const kp = res.body.keypair;
    assert.deepEqual(Object.keys(kp).sort(), ['fingerprint', 'name', 'private_key', 'public_key', 'user_id']);
    assert.match(kp.private_key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(kp.public_key, /^ssh-rsa AAAAB3NzaC1yc2E\S+ Generated-by-Nova$/);
    const file = join(dir, 'gen.pem');
    writeFileSync(file, kp.private_key);
    chmodSync(file, 0o600);
    const derived = execFileSync(SSH_KEYGEN, ['-y', '-f', file]).toString().trim();
    assert.equal(derived.split(' ').slice(0, 2).join(' '), kp.public_key.split(' ').slice(0, 2).join(' '));
    assert.equal(kp.fingerprint, sshKeygenMd5(kp.public_key));
    const shown = await demo('GET', '/os-keypairs/gen');
    assert.equal(shown.body.keypair.public_key, kp.public_key);
    assert.equal('private_key' in shown.body.keypair, false, 'the private key is never kept');
  });

  it('imports RSA and Ed25519 public keys with ssh-keygen\'s MD5 fingerprint', async () => {
    for (const type of ['rsa', 'ed25519']) {
      const file = join(dir, `id_${type}`);
      execFileSync(SSH_KEYGEN, ['-q', '-t', type, '-N', '', '-C', 'me@host', '-f', file]);
      const publicKey = readFileSync(`${file}.pub`, 'utf8').trim();
      const res = await create(demo, { name: `imported-${type}`, public_key: publicKey });
      assert.equal(res.status, 200, res.text);
      assert.equal('private_key' in res.body.keypair, false);
      assert.equal(res.body.keypair.public_key, publicKey);
      assert.equal(res.body.keypair.fingerprint, sshKeygenMd5(publicKey));
    }
  });

  it('refuses public keys that are not real keys', async () => {
    const rsa = readFileSync(join(dir, 'id_rsa.pub'), 'utf8').trim().split(' ');
    for (const publicKey of ['ssh-rsa JUNK nova@ubuntu', ' ', `ssh-rsa ${'A'.repeat(2048)} openstack@ubuntu`, `ssh-ed25519 ${rsa[1]}`, 'hello', '']) {
      const res = await create(demo, { name: 'bad-key', public_key: publicKey });
      assert.equal(res.status, 400, publicKey.slice(0, 30));
      assert.equal(res.body.badRequest.code, 400);
    }
    assert.equal((await demo('GET', '/os-keypairs/bad-key')).status, 404);
  });

  it('validates names and refuses a duplicate with 409', async () => {
    for (const name of ['', 'x'.repeat(256), 'key_/.\\@:', ' lead', 'dot.name', 'at@name']) {
      assert.equal((await create(demo, { name, public_key: readFileSync(join(dir, 'id_rsa.pub'), 'utf8') })).status, 400, name);
    }
    assert.equal((await create(demo, { name: 'ok name_-1' })).status, 200);
    const dup = await create(demo, { name: 'gen' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.conflictingRequest.message, "Key pair 'gen' already exists.");
    assert.equal((await demo('POST', '/os-keypairs', { body: { keypair: { name: 'x', type: 'ssh' } } })).status, 400, 'type only from 2.2');
    assert.equal((await demo('POST', '/os-keypairs', { body: { name: 'x' } })).status, 400);
  });

  it('keeps key pairs per user: list, show and delete see only the caller\'s', async () => {
    const mine = (await demo('GET', '/os-keypairs')).body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name);
    assert.deepEqual(mine, ['gen', 'imported-ed25519', 'imported-rsa', 'ok name_-1']);
    const item = (await demo('GET', '/os-keypairs')).body.keypairs[0].keypair;
    assert.deepEqual(Object.keys(item).sort(), ['fingerprint', 'name', 'public_key']);
    assert.deepEqual((await admin('GET', '/os-keypairs')).body.keypairs, []);
    const other = await admin('GET', '/os-keypairs/gen');
    assert.equal(other.status, 404);
    assert.match(other.body.itemNotFound.message, /^Keypair gen not found for user [0-9a-f]{32}$/);
    assert.equal((await admin('DELETE', '/os-keypairs/gen')).status, 404);
    assert.equal((await create(admin, { name: 'gen' })).status, 200, 'names are unique per user only');
  });

  it('shows Nova\'s 2.1 detail fields and deletes with 202', async () => {
    const kp = (await demo('GET', '/os-keypairs/imported-rsa')).body.keypair;
    assert.equal(typeof kp.id, 'number');
    assert.equal(kp.deleted, false);
    assert.equal(kp.deleted_at, null);
    assert.equal(kp.updated_at, null);
    assert.match(kp.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(kp.user_id, await userId(cloud, 'demo'));
    assert.equal('type' in kp, false);
    assert.equal((await demo('DELETE', '/os-keypairs/imported-rsa')).status, 202);
    assert.equal((await demo('GET', '/os-keypairs/imported-rsa')).status, 404);
  });

  it('answers 201/204 and shows the type from 2.2; x509 pairs carry a certificate', needs('2.2'), async () => {
    const res = await create(demo, { name: 'cert', type: 'x509' }, '2.2');
    assert.equal(res.status, 201);
    assert.equal(res.body.keypair.type, 'x509');
    const cert = new X509Certificate(res.body.keypair.public_key);
    assert.equal(cert.subject, `CN=${await userId(cloud, 'demo')}`);
    const sha1 = createHash('sha1').update(cert.raw).digest('hex').match(/../g)?.join(':');
    assert.equal(res.body.keypair.fingerprint, sha1);
    assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(res.body.keypair.private_key)));
    const imported = await create(demo, { name: 'cert2', type: 'x509', public_key: res.body.keypair.public_key }, '2.2');
    assert.equal(imported.status, 201);
    assert.equal(imported.body.keypair.fingerprint, sha1);
    assert.equal((await create(demo, { name: 'cert3', type: 'x509', public_key: 'not a cert' }, '2.2')).status, 400);
    const listed = (await demo('GET', '/os-keypairs', { version: '2.2' })).body.keypairs.find((k: { keypair: { name: string } }) => k.keypair.name === 'gen');
    assert.equal(listed.keypair.type, 'ssh');
    assert.equal((await demo('GET', '/os-keypairs/cert', { version: '2.2' })).body.keypair.type, 'x509');
    assert.equal((await demo('DELETE', '/os-keypairs/cert2', { version: '2.2' })).status, 204);
  });

  it('lets an admin manage another user\'s key pairs with user_id from 2.10', needs('2.10'), async () => {
    const demoUser = await userId(cloud, 'demo');
    const res = await create(admin, { name: 'for-demo', user_id: demoUser }, '2.10');
    assert.equal(res.status, 201);
    assert.equal(res.body.keypair.user_id, demoUser);
    assert.equal((await demo('GET', '/os-keypairs/for-demo')).status, 200);
    const listed = await admin('GET', `/os-keypairs?user_id=${demoUser}`, { version: '2.10' });
    assert.ok(listed.body.keypairs.some((k: { keypair: { name: string } }) => k.keypair.name === 'for-demo'));
    assert.equal((await admin('GET', `/os-keypairs/for-demo?user_id=${demoUser}`, { version: '2.10' })).status, 200);
    const adminUser = await userId(cloud, 'admin');
    assert.equal((await demo('GET', `/os-keypairs?user_id=${adminUser}`, { version: '2.10' })).status, 403);
    assert.equal((await create(demo, { name: 'sneaky', user_id: adminUser }, '2.10')).status, 403);
    assert.equal((await admin('DELETE', `/os-keypairs/for-demo?user_id=${demoUser}`, { version: '2.10' })).status, 204);
  });

  it('pages by name with limit and marker from 2.35', needs('2.35'), async () => {
    const page = await demo('GET', '/os-keypairs?limit=2', { version: '2.35' });
    assert.deepEqual(page.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name), ['cert', 'gen']);
    assert.match(page.body.keypairs_links[0].href, /\/os-keypairs\?limit=2&marker=gen$/);
    const next = await demo('GET', '/os-keypairs?limit=2&marker=gen', { version: '2.35' });
    assert.deepEqual(next.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name), ['imported-ed25519', 'ok name_-1']);
    assert.equal((await demo('GET', '/os-keypairs?marker=nope', { version: '2.35' })).status, 400);
  });

  it('refuses generation and accepts \'@\' and \'.\' in names from 2.92', needs('2.92'), async () => {
    assert.equal((await create(demo, { name: 'gen2' }, '2.92')).status, 400);
    const publicKey = readFileSync(join(dir, 'id_ed25519.pub'), 'utf8').trim();
    assert.equal((await create(demo, { name: 'me@host.example', public_key: publicKey }, '2.92')).status, 201);
  });

  it('counts the key_pairs quota per user (403 when full)', async () => {
    const demoProject = await projectId(cloud, 'demo');
    const demoUser = await userId(cloud, 'demo');
    const count = (await demo('GET', '/os-keypairs')).body.keypairs.length;
    const set = await admin('PUT', `/os-quota-sets/${demoProject}?user_id=${demoUser}`, { body: { quota_set: { key_pairs: count } } });
    assert.equal(set.status, 200);
    const res = await create(demo, { name: 'one-too-many' });
    assert.equal(res.status, 403);
    assert.equal(res.body.forbidden.message, 'Maximum number of key pairs exceeded');
    assert.equal((await demo('GET', '/os-keypairs/one-too-many')).status, 404);
    await admin('DELETE', `/os-quota-sets/${demoProject}?user_id=${demoUser}`);
    assert.equal((await create(demo, { name: 'one-too-many' })).status, 200);
  });
});
