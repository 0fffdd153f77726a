/**
 * Who may see and touch a server: its project (readers see, members act) or an admin; another
 * project's server, like a deleted one, does not exist (404). Locked servers refuse non-admin
 * changes with Nova's 409.
 */
import { ApiError, forbidden, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin, isMember, isReader } from '../../policy/context.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Db, Tx } from '../../store/store.js';

export const instanceNotFound = (id: string) => notFound(`Instance ${id} could not be found.`);

export const policyDenied = (rule: string) => forbidden(`Policy doesn't allow ${rule} to be performed.`);

export const instanceLocked = (id: string) => new ApiError('conflict', `Instance ${id} is locked`);

/** Readers of the project may read; members may change. */
export function requireReader(ctx: AuthContext, rule: string): void {
  if (!isReader(ctx)) throw policyDenied(rule);
}

export function requireMember(ctx: AuthContext, rule: string): void {
  if (!isMember(ctx)) throw policyDenied(rule);
}

export function requireAdmin(ctx: AuthContext, rule: string): void {
  if (!isAdmin(ctx)) throw policyDenied(rule);
}

/** The caller's server (any project for an admin), not deleted; 404 otherwise. */
export async function loadServer(db: Db | Tx, ctx: AuthContext, id: string): Promise<InstanceRow> {
  const row = await db.selectFrom('instances').selectAll().where('uuid', '=', id).where('deleted', '=', 0).executeTakeFirst();
  if (!row || (!isAdmin(ctx) && row.project_id !== ctx.projectId)) throw instanceNotFound(id);
  return row;
}

/** Nova's check_instance_lock: admins pass a lock, everyone else gets a 409. */
export function checkNotLocked(ctx: AuthContext, row: Pick<InstanceRow, 'uuid' | 'locked_by'>): void {
  if (row.locked_by !== null && !isAdmin(ctx)) throw instanceLocked(row.uuid);
}
