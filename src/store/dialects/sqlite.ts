/**
 * The embedded default: one SQLite file in KUMO_HOME, WAL-journaled, every commit fsynced
 * before it is acknowledged (by the driver, off the event loop: sqlite-driver.ts).
 */
import Database from 'better-sqlite3';
import { SqliteDialect, type Dialect, type Driver } from 'kysely';
import { DurableSqliteDriver, WalSync, type PreparingDatabase } from './sqlite-driver.js';

export interface SqliteHandle {
  readonly dialect: Dialect;
}

/** Distinct SQL texts kept prepared (IN lists of every length each make one, hence a bound). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely's SQLite driver prepares every query afresh; compiling the SQL was about a tenth of a
 * port create's CPU (half a millisecond, two for a server's whole build). Statements are
 * reusable, so each SQL text is prepared once and kept, least recently used evicted.
 */
function cachingDatabase(db: Database.Database): PreparingDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt && !stmt.busy) {
        // Map keeps insertion order: re-inserting marks it most recently used.
        cache.delete(sql);
        cache.set(sql, stmt);
        return stmt;
      }
      // A statement still iterating (a streamed query) cannot run twice at once: a fresh one.
      stmt = db.prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/** Kysely's SQLite dialect (compiler, adapter, introspector) over the durable driver. */
class DurableSqliteDialect extends SqliteDialect {
  constructor(private readonly driver: () => Driver, db: Database.Database) {
    super({ database: db });
  }

  override createDriver(): Driver {
    return this.driver();
  }
}

export function sqliteDialect(file: string): SqliteHandle {
  const db = new Database(file);
  // WAL lets readers proceed during a write. synchronous=NORMAL leaves out only the fsync
  // inside COMMIT, which the driver does itself before acknowledging, so an acknowledged
  // commit still survives a crash of the process and of the machine. busy_timeout covers a
  // second process (e.g. `kumo down`) touching the file while the cloud runs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const wal = new WalSync(`${file}-wal`);
  const statements = cachingDatabase(db);
  return { dialect: new DurableSqliteDialect(() => new DurableSqliteDriver(db, statements, wal), db) };
}
