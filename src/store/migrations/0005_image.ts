/** Glance tables: images with their custom properties, tags and members, and the metadata
 *  definitions catalog (namespaces, objects, properties, tags, resource type associations). */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;

  await s.createTable('images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('disk_format', 'text')
    .addColumn('container_format', 'text')
    // Sizes can pass 2 GiB: bigint in PostgreSQL (read back as a Number by the dialect).
    .addColumn('size', 'bigint')
    .addColumn('virtual_size', 'bigint')
    .addColumn('checksum', 'text')
    .addColumn('os_hash_algo', 'text')
    .addColumn('os_hash_value', 'text')
    .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('os_hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('images_owner').on('images').column('owner').execute();
  await s.createIndex('images_visibility').on('images').column('visibility').execute();

  await s.createTable('image_properties')
    .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
    .execute();

  await s.createTable('image_tags')
    .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'tag'])
    .execute();

  // One membership per (image, project): a second add hits the key and is a 409.
  await s.createTable('image_members')
    .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member_id'])
    .execute();
  await s.createIndex('image_members_member').on('image_members').column('member_id').execute();

  await s.createTable('metadef_namespaces')
    .addColumn('namespace', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text')
    .addColumn('description', 'text')
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  for (const table of ['metadef_objects', 'metadef_properties']) {
    await s.createTable(table)
      .addColumn('namespace', 'text', (c) => c.notNull().references('metadef_namespaces.namespace').onDelete('cascade').onUpdate('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['namespace', 'name'])
      .execute();
  }

  await s.createTable('metadef_tags')
    .addColumn('namespace', 'text', (c) => c.notNull().references('metadef_namespaces.namespace').onDelete('cascade').onUpdate('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metadef_tags_pk', ['namespace', 'name'])
    .execute();

  await s.createTable('metadef_resource_types')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('metadef_namespace_resource_types')
    .addColumn('namespace', 'text', (c) => c.notNull().references('metadef_namespaces.namespace').onDelete('cascade').onUpdate('cascade'))
    .addColumn('resource_type', 'text', (c) => c.notNull().references('metadef_resource_types.name'))
    .addColumn('prefix', 'text')
    .addColumn('properties_target', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metadef_ns_rt_pk', ['namespace', 'resource_type'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['metadef_namespace_resource_types', 'metadef_resource_types', 'metadef_tags', 'metadef_properties', 'metadef_objects',
    'metadef_namespaces', 'image_members', 'image_tags', 'image_properties', 'images']) {
    await db.schema.dropTable(table).execute();
  }
}
