/**
 * The store implementations a shared suite runs against: SQLite in a temporary file and
 * PostgreSQL in a freshly created database. Each `fresh()` is an empty, never-opened database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { createTestDatabase, postgresUrl } from './postgres.js';

export interface FreshDatabase {
  /** What `openStore` needs to open this database, as often as the test likes. */
  readonly options: StoreOptions;
  /** Deletes the database (the store must be closed first). */
  cleanup(): Promise<void>;
}

export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here, or null when it can. */
  readonly unavailable: string | null;
  fresh(): Promise<FreshDatabase>;
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  unavailable: null,
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-store-'));
    return {
      options: { databaseUrl: null, sqliteFile: join(dir, 'kumo.sqlite') },
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgres(): StoreBackend {
  const base = postgresUrl();
  return {
    name: 'postgres',
    // `npm test` always provides a server; only a bare `node --test` run can lack one.
    unavailable: base ? null : 'KUMO_TEST_PG_URL is not set (npm test starts a private PostgreSQL and sets it)',
    async fresh() {
      if (!base) throw new Error('KUMO_TEST_PG_URL is not set');
      const db = await createTestDatabase(base);
      return {
        options: { databaseUrl: db.url, sqliteFile: '/nonexistent/unused.sqlite' },
        cleanup: db.drop,
      };
    },
  };
}

export function storeBackends(): readonly StoreBackend[] {
  return [sqlite, postgres()];
}

/** Runs fn on a fresh database of the backend, then closes every store fn opened and drops the database. */
export async function withDatabase(backend: StoreBackend, fn: (db: FreshDatabase, open: () => Promise<Store>) => Promise<void>): Promise<void> {
  const db = await backend.fresh();
  const opened: Store[] = [];
  const open = async () => {
    const store = await openStore(db.options);
    opened.push(store);
    return store;
  };
  try {
    await fn(db, open);
  } finally {
    for (const store of opened) await store.close().catch(() => undefined);
    await db.cleanup();
  }
}
