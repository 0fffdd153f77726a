/**
 * The store: the one place state lives. Opens the configured dialect, runs migrations, and
 * hands out the Kysely instance. API code writes desired state through it in transactions.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { sqliteDialect } from './dialects/sqlite.js';
import { GroupCommit } from './group-commit.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Db;
  readonly dialect: DialectName;
  /** Runs fn in one transaction; everything it wrote is committed together or not at all. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** How many commits carried how many transactions (SQLite groups them; null on PostgreSQL). */
  commitStats(): { readonly commits: number; readonly transactions: number } | null;
  close(): Promise<void>;
}

export interface StoreOptions {
  readonly databaseUrl: string | null;
  readonly sqliteFile: string;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Db;
  let dialect: DialectName;
  let closed = async (): Promise<void> => undefined;
  if (options.databaseUrl && /^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    // Loaded only when asked for: the pg driver costs start-up time the SQLite default doesn't need.
    const { postgresDialect } = await import('./dialects/postgres.js');
    const handle = postgresDialect(options.databaseUrl);
    db = new Kysely<Database>({ dialect: handle.dialect });
    closed = handle.closed;
    dialect = 'postgres';
  } else if (options.databaseUrl) {
    throw new Error(`KUMO_DATABASE_URL must be a postgres:// URL (or unset for SQLite), got ${options.databaseUrl}`);
  } else {
    mkdirSync(dirname(options.sqliteFile), { recursive: true });
    db = new Kysely<Database>({ dialect: sqliteDialect(options.sqliteFile).dialect });
    dialect = 'sqlite';
  }
  await migrate(db);
  // SQLite: one fsync per batch of queued transactions (group-commit.ts). PostgreSQL runs
  // transactions concurrently on its pool and groups its own WAL flushes.
  const group = dialect === 'sqlite' ? new GroupCommit(db) : null;
  return {
    db,
    dialect,
    transaction: group ? (fn) => group.run(fn) : (fn) => db.transaction().execute(fn),
    commitStats: () => (group ? { commits: group.batches, transactions: group.transactions } : null),
    close: async () => {
      await db.destroy();
      await closed();
    },
  };
}

async function migrate(db: Db): Promise<void> {
  // Unordered: migrations are independent table sets, and a home made while one was still
  // unreleased must still take the ones named before it.
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: 'kumo_migrations', migrationLockTableName: 'kumo_migrations_lock', allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration failed${failed ? ` at ${failed.migrationName}` : ''}`, { cause: error });
  }
}

/** True when err is the database refusing a duplicate key, in either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
