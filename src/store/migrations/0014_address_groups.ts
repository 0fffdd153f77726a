/**
 * Neutron address groups: a project's named list of CIDRs that a security-group rule may name
 * as its remote end (remote_address_group_id). The group carries the standard attributes; its
 * addresses are rows of their own, stored normalised (network/prefix length) so the primary key
 * refuses the same address twice. Rules point at groups by id with no foreign key (a rule may
 * not outlive its group: the API refuses to delete a group in use); the index makes that check
 * and the agent's lookup cheap.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s.createTable('address_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s.createIndex('address_groups_project').on('address_groups').column('project_id').execute();

  await s.createTable('address_group_addresses')
    .addColumn('address_group_id', 'text', (c) => c.notNull().references('address_groups.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('address_group_addresses_pk', ['address_group_id', 'address'])
    .execute();

  await s.createIndex('sg_rules_remote_address_group').on('security_group_rules').column('remote_address_group_id').execute();
}
