/**
 * Indexes for the lookups every port create makes: the quota count of a project's ports and
 * networks, and IPAM's search for the lowest free address, which needs the allocations of a
 * subnet in numeric order. Addresses are text ('10.0.0.10' sorts before '10.0.0.9'), so each
 * allocation gains ip_key, its value as fixed-width hex, which sorts as the number does.
 */
import { sql, type Kysely } from 'kysely';
import { ipKeyOf } from '../../network/ipam/keys.js';
import { isPostgres } from './helpers.js';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s.createIndex('ports_project').on('ports').column('project_id').execute();
  await s.createIndex('networks_project').on('networks').column('project_id').execute();

  // Byte order on PostgreSQL too, whatever the database's collation.
  const keyType = isPostgres(db) ? sql`text collate "C"` : sql`text`;
  await s.alterTable('ip_allocations').addColumn('ip_key', keyType, (c) => c.notNull().defaultTo('')).execute();
  const rows = await db.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).execute() as { subnet_id: string; ip_address: string }[];
  for (const r of rows) {
    await db.updateTable('ip_allocations').set({ ip_key: ipKeyOf(r.ip_address) })
      .where('subnet_id', '=', r.subnet_id).where('ip_address', '=', r.ip_address).execute();
  }
  await s.createIndex('ip_allocations_key').on('ip_allocations').columns(['subnet_id', 'ip_key']).execute();
}
