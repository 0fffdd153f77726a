/**
 * Group commit for the SQLite store. Every SQLite commit fsyncs the WAL (synchronous=FULL, about
 * a millisecond or two here) on the event loop, so one commit per request caps writes near
 * 500/s before any other work. Transactions that queue up while one runs are executed back to
 * back inside one SQLite transaction instead, each in its own savepoint, and committed with one
 * fsync. Each caller is answered only after that shared commit is durable, so an acknowledged
 * write survives a crash exactly as before; a caller whose function throws has its savepoint
 * rolled back and gets its error, and the others in the batch are unaffected.
 *
 * The order of work is unchanged: SQLite already ran one write transaction at a time (one
 * connection behind a mutex), and the batch runs its transactions one after another on it, so
 * each sees everything the earlier ones wrote, as it would have after their commits. Nothing
 * outside the batch sees its writes before the commit: the connection stays held until then.
 */
import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Stop adding transactions to a batch after this many, or this long after it began. */
const MAX_BATCH = 64;
const MAX_BATCH_MS = 10;
const SAVEPOINT = 'kumo_group_tx';

interface Job {
  readonly fn: (tx: Transaction<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** Thrown to the callers of a batch that could not be committed after their own work succeeded. */
export class GroupCommitError extends Error {}

export class GroupCommit {
  private readonly queue: Job[] = [];
  private draining = false;
  /** Batches committed and transactions they held (for tests and diagnostics). */
  batches = 0;
  transactions = 0;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) await this.batch();
    } finally {
      this.draining = false;
    }
  }

  /** One SQLite transaction holding every queued transaction (up to the limits), one commit. */
  private async batch(): Promise<void> {
    let trx: ControlledTransaction<Database>;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (err) {
      // Not even BEGIN worked (e.g. the store is closing): everyone waiting hears why.
      for (const job of this.queue.splice(0)) job.reject(err);
      return;
    }
    const started = performance.now();
    const done: { job: Job; value: unknown }[] = [];
    let broken: unknown = null;
    for (let n = 0; n < MAX_BATCH && this.queue.length > 0 && (n === 0 || performance.now() - started < MAX_BATCH_MS); n++) {
      const job = this.queue.shift() as Job;
      let savepoint;
      try {
        savepoint = await trx.savepoint(SAVEPOINT).execute();
      } catch (err) {
        broken = err;
        job.reject(err);
        break;
      }
      try {
        const value = await job.fn(savepoint);
        await savepoint.releaseSavepoint(SAVEPOINT).execute();
        done.push({ job, value });
      } catch (err) {
        job.reject(err);
        try {
          await savepoint.rollbackToSavepoint(SAVEPOINT).execute();
          await savepoint.releaseSavepoint(SAVEPOINT).execute();
        } catch (rollbackErr) {
          // SQLite itself abandoned the transaction (disk full, I/O error): the earlier
          // transactions of the batch went with it.
          broken = rollbackErr;
          break;
        }
      }
    }
    if (broken === null) {
      try {
        await trx.commit().execute();
        this.batches++;
        this.transactions += done.length;
        for (const { job, value } of done) job.resolve(value);
        return;
      } catch (err) {
        broken = err;
      }
    }
    await trx.rollback().execute().catch(() => undefined);
    const failure = new GroupCommitError('the transaction could not be committed', { cause: broken });
    for (const { job } of done) job.reject(failure);
  }
}
