/**
 * Reading many ports fast. A port row has 23 columns, and the driver building one object per
 * row costs more than the rest of a list; the database packs each row into one JSON array
 * instead (json_array on SQLite, json_build_array on PostgreSQL) that becomes the row here.
 */
import { PostgresAdapter, sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { PortRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';

export function isPostgresDb(db: Db | Tx): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const COLUMNS = [
  'id', 'project_id', 'network_id', 'name', 'description', 'admin_state_up', 'status', 'mac_address', 'device_id', 'device_owner',
  'port_security_enabled', 'binding_host_id', 'binding_vnic_type', 'binding_profile', 'binding_vif_type', 'binding_vif_details',
  'allowed_address_pairs', 'extra_dhcp_opts', 'dns_name', 'propagate_uplink_status', 'created_at', 'updated_at', 'revision_number',
] as const satisfies readonly (keyof PortRow)[];

type Packed = [string, string, string, string, string, 0 | 1, string, string, string, string, 0 | 1, string, string, string, string, string,
  string, string, string, 0 | 1, string, string, number];

function unpack(value: unknown): PortRow {
  const r = (typeof value === 'string' ? JSON.parse(value) : value) as Packed;
  return {
    id: r[0], project_id: r[1], network_id: r[2], name: r[3], description: r[4], admin_state_up: r[5], status: r[6], mac_address: r[7],
    device_id: r[8], device_owner: r[9], port_security_enabled: r[10], binding_host_id: r[11], binding_vnic_type: r[12],
    binding_profile: r[13], binding_vif_type: r[14], binding_vif_details: r[15], allowed_address_pairs: r[16], extra_dhcp_opts: r[17],
    dns_name: r[18], propagate_uplink_status: r[19], created_at: r[20], updated_at: r[21], revision_number: r[22],
  };
}

/** Runs `query` (a selectFrom('ports') with its WHERE) and returns whole port rows. */
export async function selectPortRows<O>(db: Db | Tx, query: SelectQueryBuilder<Database, 'ports', O>): Promise<PortRow[]> {
  const fn = sql.raw(isPostgresDb(db) ? 'json_build_array' : 'json_array');
  const packed = sql<unknown>`${fn}(${sql.join(COLUMNS.map((c) => sql.ref(`ports.${c}`)))})`;
  const rows = await query.select(packed.as('r')).execute();
  return rows.map((row) => unpack((row as { r: unknown }).r));
}
