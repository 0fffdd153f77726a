/**
 * PostgreSQL for tests: KUMO_TEST_PG_URL points at a server (scripts/test.sh starts one on a
 * loopback port). Each test gets its own fresh database, dropped afterwards.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { startCloudWithTokens, type TestCloud } from './cloud.js';

export function postgresUrl(): string | null {
  return process.env.KUMO_TEST_PG_URL || null;
}

export async function createTestDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `kumo_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export type CloudBackend = 'sqlite' | 'postgres';

/** node:test's skip for a suite on `backend`: the PostgreSQL one needs a server. */
export function backendSkip(backend: CloudBackend): string | false {
  return backend === 'postgres' && !postgresUrl() ? 'KUMO_TEST_PG_URL is not set (scripts/test.sh sets it)' : false;
}

/** A test cloud with admin and demo tokens on SQLite or a fresh PostgreSQL database, which its destroy() drops. */
export async function startCloudOn(backend: CloudBackend): Promise<{ cloud: TestCloud; admin: string; demo: string }> {
  if (backend === 'sqlite') return startCloudWithTokens();
  const database = await createTestDatabase(postgresUrl() as string);
  try {
    const started = await startCloudWithTokens({ databaseUrl: database.url });
    const destroy = started.cloud.destroy;
    started.cloud.destroy = async () => {
      await destroy();
      await database.drop();
    };
    return started;
  } catch (err) {
    await database.drop();
    throw err;
  }
}
