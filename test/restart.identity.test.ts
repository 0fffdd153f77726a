/**
 * Identity state survives `kill -9`: a project, a user and a role assignment made through the
 * API, issued and revoked tokens, and the generated admin password, on SQLite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { passwordToken, request, type TestResponse } from './helpers/cloud.js';
import { createTestDatabase, postgresUrl } from './helpers/postgres.js';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';

const pgBase = postgresUrl();
const backends = [
  { name: 'sqlite', skip: false as const },
  { name: 'postgres', skip: pgBase ? (false as const) : 'KUMO_TEST_PG_URL is not set (npm test sets it)' },
];

function expectStatus(res: TestResponse, status: number, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
}

for (const backend of backends) {
  describe(`identity after kill -9 and restart (${backend.name})`, { skip: backend.skip }, () => {
    let kumo: KumoProcess | null = null;
    let home = '';
    let dropDatabase: (() => Promise<void>) | null = null;
    const state = { projectId: '', userId: '', roleId: '', liveToken: '', revokedToken: '', adminToken: '', rcBefore: '' };
    const userName = 'restart-user';
    const userPassword = 'restart-secret-1';
    const projectName = 'restart-project';

    const call = (method: string, path: string, options: Parameters<typeof request>[3] = {}) =>
      request((kumo as KumoProcess).url, method, path, { token: state.adminToken, ...options });

    before(async () => {
      const env: Record<string, string> = {};
      if (backend.name === 'postgres') {
        const db = await createTestDatabase(pgBase as string);
        dropDatabase = db.drop;
        env.KUMO_DATABASE_URL = db.url;
      }
      kumo = await startKumoProcess({ env });
      home = kumo.home;
      state.rcBefore = readFileSync(join(home, 'keystonerc_admin'), 'utf8');
      state.adminToken = await passwordToken(kumo.url, 'admin', kumo.adminRc().OS_PASSWORD ?? '', 'admin');

      const project = await call('POST', '/v3/projects', { body: { project: { name: projectName, domain_id: 'default' } } });
      expectStatus(project, 201, 'create project');
      state.projectId = project.body.project.id;
      const user = await call('POST', '/v3/users', {
        body: { user: { name: userName, password: userPassword, domain_id: 'default', default_project_id: state.projectId } },
      });
      expectStatus(user, 201, 'create user');
      state.userId = user.body.user.id;
      const roles = await call('GET', '/v3/roles?name=member');
      expectStatus(roles, 200, 'find role member');
      state.roleId = roles.body.roles[0].id;
      expectStatus(await call('PUT', `/v3/projects/${state.projectId}/users/${state.userId}/roles/${state.roleId}`), 204, 'grant member');

      state.liveToken = await passwordToken(kumo.url, userName, userPassword, projectName);
      state.revokedToken = await passwordToken(kumo.url, userName, userPassword, projectName);
      expectStatus(await call('DELETE', '/v3/auth/tokens', { headers: { 'x-subject-token': state.revokedToken } }), 204, 'revoke');
      expectStatus(await call('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': state.revokedToken } }), 404, 'revoked before the crash');

      // No shutdown path runs: whatever was acknowledged must already be on disk.
      await kumo.kill('SIGKILL');
      kumo = await startKumoProcess({ home, port: kumo.port, env });
    });

    after(async () => {
      await kumo?.kill('SIGTERM');
      if (home) removeHome(home);
      await dropDatabase?.();
    });

    it('keeps the project', async () => {
      const res = await call('GET', `/v3/projects/${state.projectId}`);
      expectStatus(res, 200, 'get project');
      assert.equal(res.body.project.name, projectName);
    });

    it('keeps the user', async () => {
      const res = await call('GET', `/v3/users/${state.userId}`);
      expectStatus(res, 200, 'get user');
      assert.equal(res.body.user.name, userName);
      assert.equal(res.body.user.default_project_id, state.projectId);
    });

    it('keeps the role assignment', async () => {
      const res = await call('GET', `/v3/role_assignments?user.id=${state.userId}&scope.project.id=${state.projectId}`);
      expectStatus(res, 200, 'list assignments');
      assert.deepEqual(res.body.role_assignments.map((a: { role: { id: string } }) => a.role.id), [state.roleId]);
    });

    it('still authenticates the user with its password into the project', async () => {
      const token = await passwordToken((kumo as KumoProcess).url, userName, userPassword, projectName);
      const res = await call('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });
      expectStatus(res, 200, 'validate new token');
      assert.deepEqual(res.body.token.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
    });

    it('still validates a token issued before the crash', async () => {
      const res = await call('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': state.liveToken } });
      expectStatus(res, 200, 'validate unexpired token');
      assert.equal(res.body.token.user.id, state.userId);
    });

    it('still refuses the token revoked before the crash', async () => {
      const res = await call('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': state.revokedToken } });
      expectStatus(res, 404, 'validate revoked token');
      assert.equal(res.body.error.code, 404);
    });

    it('keeps the generated admin password in keystonerc_admin', async () => {
      assert.equal(readFileSync(join(home, 'keystonerc_admin'), 'utf8'), state.rcBefore);
      const kumoNow = kumo as KumoProcess;
      await passwordToken(kumoNow.url, 'admin', kumoNow.adminRc().OS_PASSWORD ?? '', 'admin');
    });
  });
}
