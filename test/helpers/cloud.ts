/**
 * Starts a real Kumo in-process on a free loopback port with its own temporary KUMO_HOME,
 * for API tests. Password hashing is cheap here (tests create many users); everything else
 * is exactly what `npm start` runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type KumoConfig } from '../../src/config/config.js';
import { startCloud, type Cloud, type CloudOverrides } from '../../src/server/cloud.js';

export interface TestCloud extends Cloud {
  /** Sends a request; JSON bodies are encoded, JSON answers decoded. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** A project-scoped token for a bootstrap user. */
  token(user: 'admin' | 'demo'): Promise<string>;
  /** Stops the cloud and deletes its home. */
  destroy(): Promise<void>;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (not JSON-encoded) when given. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly text: string;
}

export interface TestCloudOptions {
  readonly databaseUrl?: string | null;
  readonly home?: string;
  readonly config?: Partial<KumoConfig>;
  readonly overrides?: CloudOverrides;
}

export async function request(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['x-auth-token'] = options.token;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function passwordToken(baseUrl: string, user: string, password: string, project: string | null): Promise<string> {
  const auth: Record<string, unknown> = {
    identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
  };
  if (project) auth.scope = { project: { name: project, domain: { id: 'default' } } };
  const res = await request(baseUrl, 'POST', '/v3/auth/tokens', { body: { auth } });
  if (res.status !== 201) throw new Error(`token for ${user} failed: ${res.status} ${res.text}`);
  return res.headers.get('x-subject-token') as string;
}

export async function startTestCloud(options: TestCloudOptions = {}): Promise<TestCloud> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'kumo-test-'));
  const config = loadConfig(
    // No data-plane agent unless a test asks for one (config.dataplane): API tests need no kernel.
    { KUMO_HOME: home, KUMO_LISTEN: '127.0.0.1:0', KUMO_PASSWORD_HASH_COST: '1024', KUMO_PROVISION_DEMO: '0', KUMO_DATAPLANE: 'off' },
    { databaseUrl: options.databaseUrl ?? null, ...(options.config ?? {}) },
  );
  const cloud = await startCloud(config, pino({ level: process.env.KUMO_TEST_LOG ? 'debug' : 'silent' }), options.overrides);
  const tokens = new Map<string, string>();
  return Object.assign(Object.create(null) as object, cloud, {
    stop: () => cloud.stop(),
    request: (method: string, path: string, opts?: RequestOptions) => request(cloud.url, method, path, opts),
    async token(user: 'admin' | 'demo') {
      let token = tokens.get(user);
      if (!token) {
        token = await passwordToken(cloud.url, user, cloud.passwords[user], user);
        tokens.set(user, token);
      }
      return token;
    },
    async destroy() {
      await cloud.stop();
      if (!options.home) rmSync(home, { recursive: true, force: true });
    },
  }) as TestCloud;
}

/** A cloud and the admin's project token: what the identity suites start from (they make their own users). */
export async function startCloudWithAdminToken(): Promise<{ cloud: TestCloud; admin: string }> {
  const cloud = await startTestCloud();
  return { cloud, admin: await cloud.token('admin') };
}

/** A cloud and the admin and demo project tokens: what most API suites start from. */
export async function startCloudWithTokens(options: TestCloudOptions = {}): Promise<{ cloud: TestCloud; admin: string; demo: string }> {
  const cloud = await startTestCloud(options);
  return { cloud, admin: await cloud.token('admin'), demo: await cloud.token('demo') };
}

/** The id of a bootstrap project by name. */
export async function projectId(cloud: TestCloud, name: string): Promise<string> {
  const res = await cloud.request('GET', `/v3/projects?name=${name}`, { token: await cloud.token('admin') });
  return res.body.projects[0].id as string;
}
