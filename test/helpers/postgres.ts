/**
 * PostgreSQL for tests: KUMO_TEST_PG_URL points at a server (scripts/test.sh starts one on a
 * loopback port). Each test gets its own fresh database, dropped afterwards.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';

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
