/** Nova's catalog tables: flavors (+ extra specs, access), key pairs, server groups. Instances
 *  and their actions come in the servers migration. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s.createTable('flavors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('ram', 'integer', (c) => c.notNull())
    .addColumn('disk', 'integer', (c) => c.notNull())
    .addColumn('ephemeral', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('swap', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rxtx_factor', 'real', (c) => c.notNull().defaultTo(1))
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await s.createTable('flavor_extra_specs')
    .addColumn('flavor_id', 'text', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flavor_extra_specs_pk', ['flavor_id', 'key'])
    .execute();
  await s.createTable('flavor_projects')
    .addColumn('flavor_id', 'text', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flavor_projects_pk', ['flavor_id', 'project_id'])
    .execute();
  await s.createTable('keypairs')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().defaultTo('ssh'))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('keypairs_pk', ['user_id', 'name'])
    .execute();
  await s.createTable('server_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createTable('server_group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('server_groups.id').onDelete('cascade'))
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('server_group_members_pk', ['group_id', 'server_id'])
    .execute();
}
