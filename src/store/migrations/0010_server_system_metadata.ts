/** Nova's instance system metadata: what the lifecycle keeps about a server that users do not set (the shelved image). */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('instance_system_metadata')
    .addColumn('instance_uuid', 'text', (c) => c.notNull().references('instances.uuid').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('instance_system_metadata_pk', ['instance_uuid', 'key'])
    .execute();
}
