/** The embedded default: one SQLite file in KUMO_HOME, WAL-journaled and fsynced on every commit. */
import Database from 'better-sqlite3';
import { SqliteDialect, type Dialect } from 'kysely';

export interface SqliteHandle {
  readonly dialect: Dialect;
  readonly close: () => void;
}

export function sqliteDialect(file: string): SqliteHandle {
  const db = new Database(file);
  // WAL lets readers proceed during a write; synchronous=FULL makes an acknowledged commit
  // survive a crash of the process and of the machine. busy_timeout covers a second process
  // (e.g. `kumo down`) touching the file while the cloud runs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return { dialect: new SqliteDialect({ database: db }), close: () => db.close() };
}
