/**
 * Nova's default policies for the catalog APIs, in the two shapes they take: admin only, and
 * admin or a reader/member of the project the target belongs to. A refusal is Nova's 403.
 */
import { forbidden } from '../../api/errors.js';
import { isAdmin, isMember, isReader, type AuthContext } from '../../policy/context.js';

export const policyRefused = (rule: string) => forbidden(`Policy doesn't allow ${rule} to be performed.`);

export function requireAdmin(ctx: AuthContext, rule: string): void {
  if (!isAdmin(ctx)) throw policyRefused(rule);
}

/** PROJECT_READER_OR_ADMIN with the given target project. */
export function requireProjectReader(ctx: AuthContext, projectId: string, rule: string): void {
  if (isAdmin(ctx)) return;
  if (!isReader(ctx) || ctx.projectId !== projectId) throw policyRefused(rule);
}

/** PROJECT_MEMBER_OR_ADMIN with the given target project. */
export function requireProjectMember(ctx: AuthContext, projectId: string, rule: string): void {
  if (isAdmin(ctx)) return;
  if (!isMember(ctx) || ctx.projectId !== projectId) throw policyRefused(rule);
}
