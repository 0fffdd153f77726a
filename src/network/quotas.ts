/**
 * Neutron quotas: Neutron's defaults, per-project overrides in the quotas table (service
 * 'network'), checked inside the creating transaction so concurrent creates cannot overshoot
 * on a single controller (SQLite serialises writers; PostgreSQL callers use the same path).
 */
import type { Db, Tx } from '../store/store.js';
import { overQuota } from './errors.js';

export const DEFAULT_QUOTAS: Readonly<Record<string, number>> = {
  network: 100,
  subnet: 100,
  subnetpool: -1,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  rbac_policy: 10,
};

/** Which table holds each counted resource. */
const TABLE_OF = {
  network: 'networks',
  subnet: 'subnets',
  subnetpool: 'subnetpools',
  port: 'ports',
  security_group: 'security_groups',
  security_group_rule: 'security_group_rules',
  rbac_policy: 'rbac_policies',
  router: 'routers',
  floatingip: 'floatingips',
} as const;

export type CountedResource = keyof typeof TABLE_OF;

/** The resources whose usage Kumo counts (the others report 0 used until their tables exist). */
export const COUNTED_RESOURCES = Object.keys(TABLE_OF) as readonly CountedResource[];

export async function quotaLimits(db: Db | Tx, projectId: string): Promise<Record<string, number>> {
  const limits: Record<string, number> = { ...DEFAULT_QUOTAS };
  const rows = await db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).where('service', '=', 'network').execute();
  for (const r of rows) limits[r.resource] = r.hard_limit;
  return limits;
}

export async function usage(db: Db | Tx, projectId: string, resource: CountedResource): Promise<number> {
  const row = await db.selectFrom(TABLE_OF[resource]).select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Throws OverQuota (409) if adding `adding` more would exceed the project's limit. */
export async function checkQuota(db: Db | Tx, projectId: string, resource: CountedResource, adding = 1): Promise<void> {
  const limits = await quotaLimits(db, projectId);
  const limit = limits[resource] ?? -1;
  if (limit < 0) return;
  if ((await usage(db, projectId, resource)) + adding > limit) throw overQuota(resource);
}
