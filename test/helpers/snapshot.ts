/** Reads every table of the store, so a test can prove a rejected request changed nothing. */
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.js';

export async function snapshot(store: Store, ignore: readonly string[] = []): Promise<Record<string, unknown[]>> {
  const tables = await store.db.introspection.getTables();
  const result: Record<string, unknown[]> = {};
  for (const table of tables.map((t) => t.name).sort()) {
    if (ignore.includes(table) || table.startsWith('kumo_migrations')) continue;
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
    result[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return result;
}
