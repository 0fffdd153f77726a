/**
 * A cheap change detector for the tables the agent compiles from: row counts, revision sums and
 * latest update times in one round of aggregate queries. Polled (SQLite has no notifications);
 * any difference wakes the agent, and the periodic full resync catches whatever this misses.
 */
import { sql } from 'kysely';
import type { Db } from '../store/store.js';

export async function fingerprint(db: Db): Promise<string> {
  const row = await sql<Record<string, unknown>>`
    select
      (select count(*) from ports) as pc, (select coalesce(sum(revision_number), 0) from ports) as pr, (select max(updated_at) from ports) as pu,
      (select count(*) from subnets) as sc, (select coalesce(sum(revision_number), 0) from subnets) as sr,
      (select count(*) from networks) as nc, (select coalesce(sum(revision_number), 0) from networks) as nr,
      (select count(*) from ip_allocations) as ac,
      (select count(*) from network_dhcp_agent_bindings) as dc,
      (select count(*) from hosts) as hc, (select max(started_at) from hosts) as hs,
      (select count(*) from routers) as rc, (select coalesce(sum(revision_number), 0) from routers) as rr,
      (select count(*) from router_ports) as rpc, (select count(*) from router_routes) as rrc,
      (select count(*) from router_l3_agent_bindings) as lc,
      (select count(*) from floatingips) as fc, (select coalesce(sum(revision_number), 0) from floatingips) as fr,
      (select count(*) from security_groups) as gc, (select coalesce(sum(revision_number), 0) from security_groups) as gr,
      (select count(*) from security_group_rules) as grc, (select max(created_at) from security_group_rules) as gru,
      (select count(*) from port_security_groups) as pgc,
      (select count(*) from address_groups) as agc, (select coalesce(sum(revision_number), 0) from address_groups) as agr,
      (select count(*) from address_group_addresses) as aac
  `.execute(db);
  return JSON.stringify(row.rows[0] ?? {});
}
