/**
 * Concurrent transactions on the store, on SQLite (where queued transactions share one commit:
 * store/group-commit.ts) and PostgreSQL: each one's outcome is its own, and whatever was
 * acknowledged is there after a reopen and after the writing process is killed with SIGKILL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isUniqueViolation, type Store, type Tx } from '../src/store/store.js';
import { storeBackends, withDatabase } from './helpers/store-backends.js';

const CREATED = '2026-11-22T00:44:58.123Z';
const WRITER = fileURLToPath(new URL('./helpers/store-writer.js', import.meta.url));

const domain = (id: string, name = id) => ({ id, name, description: '', enabled: 1 as const, extra: '{}', created_at: CREATED });
const insertDomain = (tx: Tx, id: string, name = id) => tx.insertInto('domains').values(domain(id, name)).execute();

async function domainIds(store: Store): Promise<string[]> {
  return (await store.db.selectFrom('domains').select('id').orderBy('id').execute()).map((r) => r.id);
}

/** Settles every promise; the outcome of each, in order. */
async function outcomes(promises: readonly Promise<unknown>[]): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(promises);
}

for (const backend of storeBackends()) {
  describe(`store transactions on ${backend.name}`, { skip: backend.unavailable ?? false }, () => {
    it('runs concurrent transactions to completion, each seeing the writes acknowledged before it', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        const before = store.commitStats();
        const ids = Array.from({ length: 24 }, (_, i) => `d${String(i).padStart(2, '0')}`);
        // Every transaction inserts its domain and returns how many it saw, itself included.
        const results = await Promise.all(ids.map((id) => store.transaction(async (tx) => {
          await insertDomain(tx, id);
          const row = await tx.selectFrom('domains').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          return Number(row.n);
        })));
        assert.deepEqual(await domainIds(store), ids);
        for (const seen of results) assert.ok(seen >= 1 && seen <= ids.length, `saw ${seen}`);
        if (backend.name === 'sqlite') {
          // One writer: the transactions ran one after another, so the counts are exactly 1..n.
          assert.deepEqual([...results].sort((a, b) => a - b), ids.map((_, i) => i + 1));
          const after = store.commitStats();
          assert.ok(before && after);
          assert.equal(after.transactions - before.transactions, ids.length);
          assert.ok(after.commits - before.commits < ids.length, `grouped: ${after.commits - before.commits} commits for ${ids.length} transactions`);
        }
      });
    });

    it('rolls back only the transaction that fails, whatever it shared a commit with', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        await store.transaction((tx) => insertDomain(tx, 'taken', 'taken-name'));
        const before = store.commitStats();
        const settled = await outcomes([
          store.transaction((tx) => insertDomain(tx, 'a1')),
          store.transaction(async (tx) => {
            await insertDomain(tx, 'b1');
            await insertDomain(tx, 'b2');
            throw new Error('refused by the caller');
          }),
          store.transaction((tx) => insertDomain(tx, 'c1')),
          store.transaction(async (tx) => {
            await insertDomain(tx, 'd1');
            await insertDomain(tx, 'd2', 'taken-name');
          }),
          store.transaction(async (tx) => {
            await insertDomain(tx, 'e1');
            return 'e';
          }),
        ]);
        assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
        assert.equal(((settled[1] as PromiseRejectedResult).reason as Error).message, 'refused by the caller');
        assert.ok(isUniqueViolation((settled[3] as PromiseRejectedResult).reason), String((settled[3] as PromiseRejectedResult).reason));
        assert.equal((settled[4] as PromiseFulfilledResult<string>).value, 'e');
        // Neither of the failed ones left anything, not even the statements that had succeeded.
        assert.deepEqual(await domainIds(store), ['a1', 'c1', 'e1', 'taken']);
        if (backend.name === 'sqlite') {
          const after = store.commitStats();
          assert.ok(before && after);
          assert.equal(after.transactions - before.transactions, 3, 'only the three that succeeded were committed');
          assert.ok(after.commits - before.commits < 3, 'and they shared a commit with the failures');
        }
        // The store goes on as usual.
        await store.transaction((tx) => insertDomain(tx, 'f1'));
        assert.deepEqual(await domainIds(store), ['a1', 'c1', 'e1', 'f1', 'taken']);
      });
    });

    it('keeps every acknowledged transaction of a concurrent burst across close and reopen', async () => {
      await withDatabase(backend, async (_db, open) => {
        const first = await open();
        const ids = Array.from({ length: 60 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
        await Promise.all(ids.map((id) => first.transaction((tx) => insertDomain(tx, id))));
        await first.close();
        const second = await open();
        assert.deepEqual(await domainIds(second), ids);
      });
    });

    it('keeps every acknowledged transaction when the writing process is killed with SIGKILL', async () => {
      await withDatabase(backend, async (db, open) => {
        const child = spawn(process.execPath, [WRITER, JSON.stringify(db.options), '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the writer acknowledged too little in time: ${stderr}`)), 60_000);
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout.split('\n').length > 300) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the writer exited (${code}): ${stderr}`)); });
        });
        // Killed while transactions are in flight: no shutdown path runs.
        child.kill('SIGKILL');
        await exited;
        const acknowledged = stdout.split('\n').filter((line) => line.startsWith('crash-'));
        const store = await open();
        const present = new Set(await domainIds(store));
        const lost = acknowledged.filter((id) => !present.has(id));
        assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost`);
      });
    });
  });
}
