/** Nova's host aggregates: named groups of hosts with metadata; an `availability_zone` key
 *  puts the aggregate's hosts in that zone. */
import type { Kysely } from 'kysely';
import { autoIncrementId } from './helpers.js';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await autoIncrementId(db, s.createTable('aggregates'))
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await s.createTable('aggregate_hosts')
    .addColumn('aggregate_id', 'bigint', (c) => c.notNull().references('aggregates.id').onDelete('cascade'))
    .addColumn('host', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
    .execute();
  await s.createTable('aggregate_metadata')
    .addColumn('aggregate_id', 'bigint', (c) => c.notNull().references('aggregates.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
    .execute();
}
