/**
 * Whole-table reads for the agent's model, fast. better-sqlite3 builds each row object through
 * V8's C++ API, which for a thousand ports costs several times what the query does; here the
 * database packs the whole result into one JSON array of arrays (json_group_array on SQLite,
 * json_agg on PostgreSQL) that one JSON.parse turns back into rows.
 */
import { PostgresAdapter, sql } from 'kysely';
import type { Database } from './schema.js';
import type { Db } from './store.js';

/** Every row of `table` with the given columns, in `orderBy` order (unspecified without one). */
export async function selectAllPacked<T extends keyof Database, C extends keyof Database[T] & string>(
  db: Db, table: T, columns: readonly C[], orderBy: readonly C[] = [],
): Promise<Pick<Database[T], C>[]> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const row = sql.raw(postgres ? 'json_build_array' : 'json_array');
  const agg = sql.raw(postgres ? 'json_agg' : 'json_group_array');
  const values = sql.join(columns.map((c) => sql.ref(c)));
  const order = orderBy.length ? sql` order by ${sql.join(orderBy.map((c) => sql.ref(c)))}` : sql``;
  const result = await sql<{ rows: unknown }>`select ${agg}(${row}(${values})${order}) as rows from ${sql.table(table)}`.execute(db);
  const packed = result.rows[0]?.rows ?? null;
  const arrays = (typeof packed === 'string' ? JSON.parse(packed) : packed ?? []) as unknown[][];
  return arrays.map((a) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) out[columns[i] as string] = a[i];
    return out as Pick<Database[T], C>;
  });
}
