/** PostgreSQL, for several controllers sharing one state (KUMO_DATABASE_URL=postgres://...). */
import pg from 'pg';
import { PostgresDialect, type Dialect } from 'kysely';

export interface PostgresHandle {
  readonly dialect: Dialect;
  readonly pool: pg.Pool;
  /**
   * Resolves once every connection the pool opened has closed. pool.end() (Kysely's destroy)
   * returns while the connections are still saying goodbye; a database dropped in that moment
   * (tests drop theirs WITH (FORCE)) would fail them with an error nobody is left to handle.
   */
  closed(): Promise<void>;
}

// BIGINT columns hold millisecond timestamps, well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function postgresDialect(url: string): PostgresHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const open = new Set<Promise<void>>();
  pool.on('connect', (client) => {
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    open.add(ended);
    void ended.then(() => open.delete(ended));
    // A connection that breaks while closing has nothing left to report to.
    client.on('error', () => undefined);
  });
  return {
    dialect: new PostgresDialect({ pool }),
    pool,
    closed: async () => { await Promise.all([...open]); },
  };
}
