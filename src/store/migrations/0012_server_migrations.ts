/** Nova's migration records: each move of a server between hosts (live migrations so far), listed by os-migrations. */
import type { Kysely } from 'kysely';
import { autoIncrementId } from './helpers.js';

export async function up(db: Kysely<any>): Promise<void> {
  await autoIncrementId(db, db.schema.createTable('migrations'))
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('instance_uuid', 'text', (c) => c.notNull())
    .addColumn('migration_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source_compute', 'text')
    .addColumn('source_node', 'text')
    .addColumn('dest_compute', 'text')
    .addColumn('dest_node', 'text')
    .addColumn('dest_host', 'text')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await db.schema.createIndex('migrations_instance').on('migrations').column('instance_uuid').execute();
}
