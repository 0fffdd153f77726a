/**
 * Nova's quota engine over Kumo's tables: defaults from Nova's configuration, overridden by the
 * `default` quota class (compute_quota_classes), then by per-project limits (the quotas table,
 * service 'compute'), then by per-user limits (compute_user_quotas). -1 means unlimited.
 * checkComputeQuota is what creating code calls inside its transaction (servers: instances,
 * cores, ram; key pairs; server groups).
 */
import { forbidden } from '../../api/errors.js';
import type { Db, Tx } from '../../store/store.js';
import { instanceUsage, keypairCount, serverGroupCount } from './usage.js';

/** Every resource Nova's quota engine knows, with Nova's default limits. */
export const QUOTA_DEFAULTS: Readonly<Record<string, number>> = {
  cores: 20,
  injected_files: 5,
  injected_file_content_bytes: 10 * 1024,
  injected_file_path_bytes: 255,
  instances: 10,
  key_pairs: 100,
  metadata_items: 128,
  ram: 50 * 1024,
  server_groups: 10,
  server_group_members: 10,
  // nova-network leftovers, still shown before 2.36.
  fixed_ips: -1,
  floating_ips: -1,
  security_groups: -1,
  security_group_rules: -1,
};

export const QUOTA_RESOURCES = Object.keys(QUOTA_DEFAULTS);

/** Resources a microversion no longer shows (os-quota-sets, limits). */
export const NETWORK_QUOTAS = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
export const FILE_QUOTAS = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

export type Limits = Record<string, number>;

export async function classQuotas(db: Db | Tx, className: string): Promise<Limits> {
  const limits: Limits = { ...QUOTA_DEFAULTS };
  const rows = await db.selectFrom('compute_quota_classes').select(['resource', 'hard_limit']).where('class_name', '=', className).execute();
  for (const r of rows) if (r.resource in limits) limits[r.resource] = r.hard_limit;
  return limits;
}

/** The defaults every project starts from: the `default` class over the configured defaults. */
export function defaultQuotas(db: Db | Tx): Promise<Limits> {
  return classQuotas(db, 'default');
}

/** Only the limits set for the project itself. */
export async function projectOverrides(db: Db | Tx, projectId: string): Promise<Limits> {
  const rows = await db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).where('service', '=', 'compute').execute();
  return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
}

export async function projectQuotas(db: Db | Tx, projectId: string): Promise<Limits> {
  return { ...(await defaultQuotas(db)), ...(await projectOverrides(db, projectId)) };
}

export async function userOverrides(db: Db | Tx, projectId: string, userId: string): Promise<Limits> {
  const rows = await db.selectFrom('compute_user_quotas').select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId).where('user_id', '=', userId).execute();
  return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
}

/** A user's limits: their own where set, the project's otherwise. */
export async function userQuotas(db: Db | Tx, projectId: string, userId: string): Promise<Limits> {
  return { ...(await projectQuotas(db, projectId)), ...(await userOverrides(db, projectId, userId)) };
}

function over(limit: number | undefined, used: number, delta: number): boolean {
  return limit !== undefined && limit >= 0 && used + delta > limit;
}

export type InstanceDeltas = Partial<Record<'instances' | 'cores' | 'ram', number>>;

/**
 * Refuses (403, Nova's "Quota exceeded for ...") adding `deltas` to what the project and the
 * user already use. Call it inside the creating transaction.
 */
export async function checkComputeQuota(db: Db | Tx, projectId: string, userId: string, deltas: InstanceDeltas): Promise<void> {
  const [projectLimits, userLimits, projectUsed, userUsed] = await Promise.all([
    projectQuotas(db, projectId), userQuotas(db, projectId, userId), instanceUsage(db, projectId), instanceUsage(db, projectId, userId),
  ]);
  const overs: string[] = [];
  const requested: number[] = [];
  const used: number[] = [];
  const allowed: number[] = [];
  for (const resource of ['cores', 'instances', 'ram'] as const) {
    const delta = deltas[resource] ?? 0;
    if (delta <= 0) continue;
    let limit: number | undefined;
    let inUse = 0;
    if (over(projectLimits[resource], projectUsed[resource], delta)) {
      limit = projectLimits[resource];
      inUse = projectUsed[resource];
    } else if (over(userLimits[resource], userUsed[resource], delta)) {
      limit = userLimits[resource];
      inUse = userUsed[resource];
    }
    if (limit === undefined) continue;
    overs.push(resource);
    requested.push(delta);
    used.push(inUse);
    allowed.push(limit);
  }
  if (overs.length > 0) {
    const names = overs.join(', ');
    throw forbidden(`Quota exceeded for ${names}: Requested ${requested.join(', ')}, but already used ${used.join(', ')} of ${allowed.join(', ')} ${names}`);
  }
}

/** Key pairs are counted per user against the user's limit. */
export async function checkKeypairQuota(db: Db | Tx, projectId: string | null, userId: string): Promise<void> {
  const limits = projectId ? await userQuotas(db, projectId, userId) : await defaultQuotas(db);
  if (over(limits.key_pairs, await keypairCount(db, userId), 1)) throw forbidden('Maximum number of key pairs exceeded');
}

export async function checkServerGroupQuota(db: Db | Tx, projectId: string, userId: string): Promise<void> {
  const [projectLimits, userLimits] = await Promise.all([projectQuotas(db, projectId), userQuotas(db, projectId, userId)]);
  const [projectCount, userCount] = await Promise.all([serverGroupCount(db, projectId), serverGroupCount(db, projectId, userId)]);
  if (over(projectLimits.server_groups, projectCount, 1) || over(userLimits.server_groups, userCount, 1)) {
    throw forbidden('Quota exceeded, too many server groups.');
  }
}

/** Adding `adding` servers to a group: Nova's server_group_members limit (for server create). */
export async function checkServerGroupMembersQuota(db: Db | Tx, projectId: string, userId: string, groupId: string, adding: number): Promise<void> {
  const limits = await userQuotas(db, projectId, userId);
  const row = await db.selectFrom('server_group_members').select((eb) => eb.fn.countAll<number>().as('n')).where('group_id', '=', groupId).executeTakeFirst();
  if (over(limits.server_group_members, Number(row?.n ?? 0), adding)) throw forbidden('Quota exceeded, too many servers in group');
}
