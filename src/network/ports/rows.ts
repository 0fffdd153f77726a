/**
 * Reading many ports fast. A port row has 23 columns, and the driver building one object per
 * row costs more than the rest of a list; the database packs each row into one JSON array
 * instead (json_array on SQLite, json_build_array on PostgreSQL) that becomes the row here.
 * A list also packs each port's addresses, security groups and tags into the same array, so
 * one query (an index lookup per port and table) replaces one per table over every port.
 */
import { PostgresAdapter, sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { PortRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import type { FixedIp, PortExtras } from './views.js';

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

function unpack(r: Packed): PortRow {
  return {
    id: r[0], project_id: r[1], network_id: r[2], name: r[3], description: r[4], admin_state_up: r[5], status: r[6], mac_address: r[7],
    device_id: r[8], device_owner: r[9], port_security_enabled: r[10], binding_host_id: r[11], binding_vnic_type: r[12],
    binding_profile: r[13], binding_vif_type: r[14], binding_vif_details: r[15], allowed_address_pairs: r[16], extra_dhcp_opts: r[17],
    dns_name: r[18], propagate_uplink_status: r[19], created_at: r[20], updated_at: r[21], revision_number: r[22],
  };
}

/** A port row with what its document shows from other tables. */
export interface PortWithExtras {
  readonly row: PortRow;
  readonly extras: PortExtras;
}

/** Correlated subqueries over the related tables, per dialect; each yields a JSON array ('[]' for none). */
const EXTRAS = {
  sqlite: [
    'json((select json_group_array(json_array(a.subnet_id, a.ip_address)) from ip_allocations a where a.port_id = ports.id))',
    'json((select json_group_array(g.security_group_id) from port_security_groups g where g.port_id = ports.id))',
    'json((select json_group_array(t.tag) from resource_tags t where t.resource_id = ports.id))',
  ],
  postgres: [
    "(select coalesce(json_agg(json_build_array(a.subnet_id, a.ip_address)), '[]'::json) from ip_allocations a where a.port_id = ports.id)",
    "(select coalesce(json_agg(g.security_group_id), '[]'::json) from port_security_groups g where g.port_id = ports.id)",
    "(select coalesce(json_agg(t.tag), '[]'::json) from resource_tags t where t.resource_id = ports.id)",
  ],
};

/**
 * Runs `query` (a selectFrom('ports') with its WHERE) and returns whole port rows with their
 * addresses (in the order the caller must still settle when there are several: views.ts
 * orderFixedIps), security groups (sorted) and tags (sorted). Without `ordered` (no ORDER BY or
 * LIMIT in the query, the caller sorts), the database also packs all the rows into one array:
 * one JSON text to parse instead of one per port, about half the time of a 1,000-port read.
 */
export async function selectPortsWithExtras<O>(db: Db | Tx, query: SelectQueryBuilder<Database, 'ports', O>, ordered: boolean): Promise<PortWithExtras[]> {
  const postgres = isPostgresDb(db);
  const fn = sql.raw(postgres ? 'json_build_array' : 'json_array');
  const extras = (postgres ? EXTRAS.postgres : EXTRAS.sqlite).map((e) => sql.raw(e));
  const packed = sql<unknown>`${fn}(${sql.join([...COLUMNS.map((c) => sql.ref(`ports.${c}`)), ...extras])})`;
  let arrays: unknown[][];
  if (ordered) {
    const rows = await query.select(packed.as('r')).execute();
    arrays = rows.map((row) => {
      const value = (row as { r: unknown }).r;
      return (typeof value === 'string' ? JSON.parse(value) : value) as unknown[];
    });
  } else {
    const all = sql<unknown>`${sql.raw(postgres ? 'json_agg' : 'json_group_array')}(${packed})`;
    const value = ((await query.select(all.as('r')).executeTakeFirst()) as { r: unknown } | undefined)?.r ?? null;
    arrays = (typeof value === 'string' ? JSON.parse(value) : value ?? []) as unknown[][];
  }
  return arrays.map((r) => ({ row: unpack(r as Packed), extras: extrasFrom(r, 23) }));
}

/** The extras packed at r[at], r[at + 1], r[at + 2] (addresses, groups, tags), groups and tags sorted. */
function extrasFrom(r: readonly unknown[], at: number): PortExtras {
  const fixedIps: FixedIp[] = (r[at] as [string, string][]).map(([subnetId, ip]) => ({ subnet_id: subnetId, ip_address: ip }));
  const securityGroups = r[at + 1] as string[];
  const tags = r[at + 2] as string[];
  if (securityGroups.length > 1) securityGroups.sort();
  if (tags.length > 1) tags.sort();
  return { fixedIps, securityGroups, tags };
}

/** The extras of the given ports (each port's addresses, groups and tags) in one query. */
export async function extrasOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, PortExtras>> {
  const result = new Map<string, PortExtras>();
  if (ids.length === 0) return result;
  const postgres = isPostgresDb(db);
  const fn = sql.raw(postgres ? 'json_build_array' : 'json_array');
  const extras = (postgres ? EXTRAS.postgres : EXTRAS.sqlite).map((e) => sql.raw(e));
  const packed = sql<unknown>`${fn}(${sql.join([sql.ref('ports.id'), ...extras])})`;
  for (let i = 0; i < ids.length; i += 900) {
    const rows = await db.selectFrom('ports').select(packed.as('r')).where('ports.id', 'in', ids.slice(i, i + 900)).execute();
    for (const row of rows) {
      const value = (row as { r: unknown }).r;
      const r = (typeof value === 'string' ? JSON.parse(value) : value) as unknown[];
      result.set(r[0] as string, extrasFrom(r, 1));
    }
  }
  return result;
}
