/**
 * End to end with Debian's unmodified `openstack` CLI against `kumo start` in a child process,
 * configured only by the keystonerc_admin and clouds.yaml that Kumo writes, as a user would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';

const OPENSTACK = '/usr/bin/openstack';
const cliMissing = !existsSync(OPENSTACK);
const skip = cliMissing && process.env.KUMO_TEST_SKIP_CLIENTS === '1' ? 'openstack CLI not installed and KUMO_TEST_SKIP_CLIENTS=1' : false;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('openstack CLI against a running Kumo', { skip }, () => {
  let kumo: KumoProcess;
  let cliHome: string;

  before(async () => {
    if (cliMissing) throw new Error(`${OPENSTACK} is missing: run ../shared/tools/clients/install.sh (or set KUMO_TEST_SKIP_CLIENTS=1)`);
    kumo = await startKumoProcess();
    cliHome = mkdtempSync(join(tmpdir(), 'kumo-cli-home-'));
  });
  after(async () => {
    await kumo?.kill('SIGTERM');
    if (kumo) removeHome(kumo.home);
    if (cliHome) rmSync(cliHome, { recursive: true, force: true });
  });

  /**
   * Runs the CLI in a clean environment (no OS_* from the runner, a scratch HOME so no personal
   * clouds.yaml is read), after sourcing the rc file when one is given.
   */
  function cli(args: readonly string[], options: { rc?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cliHome, LANG: 'C.UTF-8', ...(options.env ?? {}) };
    const script = options.rc ? 'source "$0" && exec "$@"' : 'exec "$@"';
    const argv = ['-c', script, options.rc ?? 'bash', OPENSTACK, ...args];
    return new Promise((resolve) => {
      execFile('bash', argv, { env, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function adminJson<T>(...args: string[]): Promise<T> {
    const res = await cli([...args, '-f', 'json'], { rc: join(kumo.home, 'keystonerc_admin') });
    assert.equal(res.code, 0, `openstack ${args.join(' ')} failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  }

  function demoCloud(args: readonly string[]): Promise<CliResult> {
    return cli(['--os-cloud', 'kumo-demo', ...args], { env: { OS_CLIENT_CONFIG_FILE: join(kumo.home, 'clouds.yaml') } });
  }

  it('issues an admin token with the generated keystonerc_admin', async () => {
    const token = await adminJson<{ id: string; project_id: string; user_id: string; expires: string }>('token', 'issue');
    assert.ok(token.id.length > 20, 'a token id');
    assert.match(token.user_id, /^[0-9a-f]{32}$/);
    assert.match(token.project_id, /^[0-9a-f]{32}$/);
    assert.ok(Date.parse(token.expires) > Date.now(), `expires in the future: ${token.expires}`);
  });

  it('lists the bootstrap projects', async () => {
    const projects = await adminJson<{ ID: string; Name: string }[]>('project', 'list');
    const names = projects.map((p) => p.Name);
    for (const name of ['admin', 'demo', 'service']) assert.ok(names.includes(name), `project ${name} in ${names.join(', ')}`);
  });

  it('lists the bootstrap users', async () => {
    const users = await adminJson<{ ID: string; Name: string }[]>('user', 'list');
    const names = users.map((u) => u.Name);
    for (const name of ['admin', 'demo']) assert.ok(names.includes(name), `user ${name} in ${names.join(', ')}`);
  });

  it('lists role assignments with names', async () => {
    const rows = await adminJson<{ Role: string; User: string; Project: string; System: string }[]>('role', 'assignment', 'list', '--names');
    const has = (role: string, user: string, project: string, system = '') =>
      rows.some((r) => r.Role === role && r.User === user && r.Project === project && r.System === system);
    assert.ok(has('admin', 'admin@Default', 'admin@Default'), JSON.stringify(rows));
    assert.ok(has('admin', 'admin@Default', '', 'all'), 'admin holds admin on the system');
    assert.ok(has('member', 'demo@Default', 'demo@Default'), 'demo is a member of demo');
  });

  it('shows the identity service in the catalog', async () => {
    const catalog = await adminJson<{ Name: string; Type: string; Endpoints: { interface: string; url: string; region: string }[] }[]>('catalog', 'list');
    const identity = catalog.find((s) => s.Type === 'identity');
    assert.ok(identity, JSON.stringify(catalog));
    assert.equal(identity.Name, 'keystone');
    assert.deepEqual(identity.Endpoints.map((e) => e.interface).sort(), ['admin', 'internal', 'public']);
    for (const endpoint of identity.Endpoints) assert.equal(endpoint.url, kumo.authUrl);
  });

  it('lists the identity endpoints', async () => {
    const endpoints = await adminJson<Record<string, unknown>[]>('endpoint', 'list');
    const identity = endpoints.filter((e) => e['Service Type'] === 'identity');
    assert.deepEqual(identity.map((e) => e.Interface).sort(), ['admin', 'internal', 'public'], JSON.stringify(endpoints));
    for (const e of identity) {
      assert.equal(e['Service Name'], 'keystone');
      assert.equal(e.URL, kumo.authUrl);
      assert.equal(e.Region, 'RegionOne');
      assert.equal(e.Enabled, true);
    }
  });

  it('issues a demo token from clouds.yaml (--os-cloud kumo-demo)', async () => {
    const res = await demoCloud(['token', 'issue', '-f', 'json']);
    assert.equal(res.code, 0, res.stderr);
    const token = JSON.parse(res.stdout) as { id: string; user_id: string; project_id: string };
    // Ask Kumo whose token the CLI got: the demo user's, scoped to the demo project.
    const admin = await adminJson<{ id: string }>('token', 'issue');
    const check = await fetch(`${kumo.authUrl}/auth/tokens`, { headers: { 'x-auth-token': admin.id, 'x-subject-token': token.id } });
    assert.equal(check.status, 200);
    const body = (await check.json()) as { token: { user: { id: string; name: string }; project: { id: string; name: string } } };
    assert.equal(body.token.user.name, 'demo');
    assert.equal(body.token.user.id, token.user_id);
    assert.equal(body.token.project.name, 'demo');
    assert.equal(body.token.project.id, token.project_id);
  });

  it('refuses `user list` to the demo user with a 403', async () => {
    const res = await demoCloud(['user', 'list', '-f', 'json']);
    assert.notEqual(res.code, 0, `should fail, got:\n${res.stdout}`);
    assert.match(res.stderr, /HTTP 403/);
    assert.match(res.stderr, /not authorized/i);
  });
});
