/** PostgreSQL, for several controllers sharing one state (KUMO_DATABASE_URL=postgres://...). */
import pg from 'pg';
import { PostgresDialect, type Dialect } from 'kysely';

export interface PostgresHandle {
  readonly dialect: Dialect;
  readonly pool: pg.Pool;
}

// BIGINT columns hold millisecond timestamps, well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function postgresDialect(url: string): PostgresHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return { dialect: new PostgresDialect({ pool }), pool };
}
