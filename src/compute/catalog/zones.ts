/**
 * Which availability zone a compute host is in: the zone of the host aggregate it belongs to
 * when that aggregate has an `availability_zone`, else the zone it registered with (`nova` by
 * default). os-services, os-availability-zone and the scheduler all use this.
 */
import type { Db, Tx } from '../../store/store.js';

/** host name → zone named by an aggregate (hosts in no zoned aggregate are absent). */
export async function aggregateZones(db: Db | Tx): Promise<Map<string, string>> {
  const rows = await db.selectFrom('aggregate_hosts')
    .innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregate_metadata.value'])
    .where('aggregate_metadata.key', '=', 'availability_zone').execute();
  return new Map(rows.map((r) => [r.host, r.value]));
}

/** Every host's effective zone. */
export async function hostZones(db: Db | Tx): Promise<Map<string, string>> {
  const [hosts, byAggregate] = await Promise.all([db.selectFrom('hosts').select(['name', 'availability_zone']).execute(), aggregateZones(db)]);
  return new Map(hosts.map((h) => [h.name, byAggregate.get(h.name) ?? h.availability_zone]));
}
