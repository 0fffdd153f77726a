/**
 * Transactions for port writes that stay correct with several writers on PostgreSQL: quota
 * checks serialised per project by a transaction-scoped advisory lock (two creates can no longer
 * both count 499 of 500), and a rerun when PostgreSQL aborts a transaction as a deadlock victim
 * or for a serialization failure. SQLite already runs one write transaction at a time.
 */
import { sql } from 'kysely';
import type { Store, Tx } from '../../store/store.js';
import { checkQuota, type CountedResource } from '../quotas.js';

const RETRYABLE = new Set(['40P01', '40001']);

export async function portTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.transaction(fn);
    } catch (err) {
      const code = (err as { code?: string } | null)?.code;
      if (attempt >= 4 || code === undefined || !RETRYABLE.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10 * (attempt + 1)));
    }
  }
}

/** Checks the project's quota with the project's count held still until this transaction ends. */
export async function checkQuotaLocked(store: Store, tx: Tx, projectId: string, resource: CountedResource, adding = 1): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(hashtext(${`kumo-quota:${resource}:${projectId}`}))`.execute(tx);
  }
  await checkQuota(tx, projectId, resource, adding);
}
