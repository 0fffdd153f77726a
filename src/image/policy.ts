/**
 * Glance's default policy (secure RBAC defaults): readers see their project's images, public and
 * community ones, and shared ones their project is a member of; members of the owning project
 * change them; publicizing needs an admin; admins do everything. An image the caller cannot
 * see is a 404, never a 403.
 */
import { isAdmin, isMember, isReader, type AuthContext } from '../policy/context.js';
import type { ImageRow } from '../store/schema-image.js';
import { forbidden, policyForbidden } from './errors.js';

type Visibility = Pick<ImageRow, 'owner' | 'visibility'>;

export function ownsImage(ctx: AuthContext, row: Pick<ImageRow, 'owner'>): boolean {
  return ctx.projectId !== null && row.owner === ctx.projectId;
}

/** get_image: hasMembership says whether the caller's project is a member (any status). */
export function canSee(ctx: AuthContext, row: Visibility, hasMembership: boolean): boolean {
  if (isAdmin(ctx)) return true;
  if (!isReader(ctx)) return false;
  if (ownsImage(ctx, row) || row.visibility === 'public' || row.visibility === 'community') return true;
  return row.visibility === 'shared' && hasMembership;
}

/** modify_image, delete_image, upload_image, deactivate, reactivate, add/delete_member. */
export function canModify(ctx: AuthContext, row: Pick<ImageRow, 'owner'>): boolean {
  return isAdmin(ctx) || (isMember(ctx) && ownsImage(ctx, row));
}

export function requireModify(ctx: AuthContext, row: Pick<ImageRow, 'owner'>, action: string): void {
  if (!canModify(ctx, row)) throw policyForbidden(action);
}

/** download_image: like get_image, but a reader-only token may not download. */
export function canDownload(ctx: AuthContext, row: Visibility, hasMembership: boolean): boolean {
  return isAdmin(ctx) || (isMember(ctx) && canSee(ctx, row, hasMembership));
}

/** publicize_image (admin) and communitize_image (admin or the owner's members). */
export function requireVisibilityAllowed(ctx: AuthContext, visibility: unknown, owner: string | null): void {
  if (visibility === 'public' && !isAdmin(ctx)) throw policyForbidden('publicize_image');
  if (visibility === 'community' && !isAdmin(ctx) && !(isMember(ctx) && owner !== null && owner === ctx.projectId)) {
    throw policyForbidden('communitize_image');
  }
}

/** add_image: a member creates images for its own project; only an admin names another owner. */
export function requireCreate(ctx: AuthContext, owner: string | null): void {
  if (isAdmin(ctx)) return;
  if (owner !== ctx.projectId) throw forbidden(`You are not permitted to create images owned by '${owner}'`);
  if (!isMember(ctx)) throw policyForbidden('add_image');
}
