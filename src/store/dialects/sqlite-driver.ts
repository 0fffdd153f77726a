/**
 * Kysely's driver for the one SQLite connection, with the commit fsync moved off the event loop.
 *
 * With synchronous=FULL, SQLite fsyncs the WAL inside COMMIT, and better-sqlite3 runs COMMIT on
 * the main thread: every request stood still for the length of an fsync (a millisecond or two
 * here, more when the disk is busy). The connection runs with synchronous=NORMAL instead (in WAL
 * mode that is FULL minus exactly that fsync: SQLite still syncs the WAL before each checkpoint
 * and the database after it), and this driver does the missing fsync itself, on libuv's thread
 * pool, after every statement that ends a write (COMMIT, or a write outside a transaction).
 *
 * The caller's await returns only after that fsync, and the connection stays held until then,
 * so nothing, in this process, reads a write before it is durable: what a caller is told is
 * committed has been fsynced, as before; only the wait no longer blocks the event loop.
 */
import { fstatSync, fdatasync, openSync, closeSync } from 'node:fs';
import type Database from 'better-sqlite3';
import {
  CompiledQuery, IdentifierNode, RawNode, SelectQueryNode, createQueryId,
  type DatabaseConnection, type Driver, type QueryCompiler, type QueryResult, type TransactionSettings,
} from 'kysely';

type Compile = QueryCompiler['compileQuery'];

/** `<command> "<name>"`, the name quoted by the compiler. */
function savepointCommand(compile: Compile, command: string, name: string): CompiledQuery {
  return compile(RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]), createQueryId());
}

/** One mutex-guarded connection, as Kysely's own SQLite driver has (SQLite has one writer). */
class ConnectionMutex {
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise((resolve) => { this.release = resolve; });
  }

  unlock(): void {
    const release = this.release;
    this.held = null;
    this.release = null;
    release?.();
  }
}

/** The statement cache the connection prepares through (see sqlite.ts). */
export interface PreparingDatabase {
  prepare(sql: string): Database.Statement;
}

/** fdatasync of the WAL file on the thread pool; a WAL that is gone (checkpointed away) needs none. */
export class WalSync {
  private fd: number | null = null;

  constructor(private readonly walPath: string) {}

  private handle(): number | null {
    if (this.fd !== null) {
      // A WAL deleted and made anew (every connection closed meanwhile) is another file.
      if (fstatSync(this.fd).nlink > 0) return this.fd;
      closeSync(this.fd);
      this.fd = null;
    }
    try {
      this.fd = openSync(this.walPath, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return this.fd;
  }

  sync(): Promise<void> {
    const fd = this.handle();
    if (fd === null) return Promise.resolve();
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

class DurableConnection implements DatabaseConnection {
  constructor(private readonly raw: Database.Database, private readonly statements: PreparingDatabase, private readonly wal: WalSync) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.statements.prepare(compiled.sql);
    if (stmt.reader) return { rows: stmt.all(compiled.parameters as unknown[]) as R[] };
    const { changes, lastInsertRowid } = stmt.run(compiled.parameters as unknown[]);
    // A write just became a commit (COMMIT itself, or an autocommit statement): make it durable
    // before anyone hears of it. ROLLBACK made nothing new to keep.
    if (!this.raw.inTransaction && compiled.sql !== 'rollback') await this.wal.sync();
    return {
      numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
      insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
      rows: [],
    };
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) throw new Error('the SQLite driver streams select queries only');
    const stmt = this.statements.prepare(compiled.sql);
    for (const row of stmt.iterate(compiled.parameters as unknown[])) yield { rows: [row as R] };
  }
}

export class DurableSqliteDriver implements Driver {
  private readonly mutex = new ConnectionMutex();
  private readonly connection: DurableConnection;

  constructor(private readonly raw: Database.Database, statements: PreparingDatabase, private readonly wal: WalSync) {
    this.connection = new DurableConnection(raw, statements, wal);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    await connection.executeQuery(savepointCommand(compile, 'savepoint', name));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    await connection.executeQuery(savepointCommand(compile, 'rollback to', name));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    await connection.executeQuery(savepointCommand(compile, 'release', name));
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.wal.close();
    this.raw.close();
  }
}
