/** The whole cloud on PostgreSQL: bootstrap, token issue and validation, and a second start on the same database. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { createTestDatabase, postgresUrl } from './helpers/postgres.js';

const base = postgresUrl();

describe('cloud on PostgreSQL', { skip: base ? false : 'KUMO_TEST_PG_URL is not set (npm test sets it)' }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let home: string;
  let cloud: TestCloud | null = null;

  before(async () => {
    database = await createTestDatabase(base as string);
    home = mkdtempSync(join(tmpdir(), 'kumo-pgcloud-'));
  });
  after(async () => {
    await cloud?.stop();
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  let firstAdminPassword = '';
  let firstToken = '';

  it('bootstraps on an empty database and issues a project-scoped admin token', async () => {
    cloud = await startTestCloud({ databaseUrl: database.url, home });
    assert.equal(cloud.store.dialect, 'postgres');
    firstAdminPassword = cloud.passwords.admin;
    firstToken = await cloud.token('admin');
    const res = await cloud.request('GET', '/v3/auth/tokens', { token: firstToken, headers: { 'x-subject-token': firstToken } });
    assert.equal(res.status, 200);
    assert.equal(res.body.token.project.name, 'admin');
    assert.deepEqual(res.body.token.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
  });

  it('starts again on the same database with the same password, keys and revocations', async () => {
    assert.ok(cloud, 'the first test started the cloud');
    const revoked = await cloud.token('demo');
    const del = await cloud.request('DELETE', '/v3/auth/tokens', { token: firstToken, headers: { 'x-subject-token': revoked } });
    assert.equal(del.status, 204);
    await cloud.stop();
    cloud = null;

    cloud = await startTestCloud({ databaseUrl: database.url, home });
    assert.equal(cloud.passwords.admin, firstAdminPassword, 'the generated admin password is kept in the database');
    const ok = await cloud.request('GET', '/v3/auth/tokens', { token: firstToken, headers: { 'x-subject-token': firstToken } });
    assert.equal(ok.status, 200, 'a token signed before the restart still validates');
    const gone = await cloud.request('GET', '/v3/auth/tokens', { token: firstToken, headers: { 'x-subject-token': revoked } });
    assert.equal(gone.status, 404, 'a token revoked before the restart stays revoked');
  });
});
