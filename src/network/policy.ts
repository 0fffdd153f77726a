/**
 * Neutron's default policy: members create and manage what their project owns; readers only
 * read; admins do everything, including provider attributes, `router:external`, `shared`,
 * bindings and foreign device owners. Networks are visible when owned, shared, external, or
 * shared with the project by an RBAC policy; anything invisible is a 404.
 */
import type { AuthContext } from '../policy/context.js';
import { isAdmin, isMember, isReader } from '../policy/context.js';
import { policyForbidden } from './errors.js';

export function ownsOrAdmin(ctx: AuthContext, projectId: string): boolean {
  return isAdmin(ctx) || ctx.projectId === projectId;
}

/** May the caller write to something owned by projectId (a member of it, or an admin)? */
export function canWrite(ctx: AuthContext, projectId: string): boolean {
  return isAdmin(ctx) || (ctx.projectId === projectId && isMember(ctx));
}

export function requireWrite(ctx: AuthContext, projectId: string, action: string): void {
  if (!canWrite(ctx, projectId)) throw policyForbidden(action);
}

export function requireMember(ctx: AuthContext, action: string): void {
  if (!isAdmin(ctx) && !isMember(ctx)) throw policyForbidden(action);
}

export function requireAdmin(ctx: AuthContext, action: string): void {
  if (!isAdmin(ctx)) throw policyForbidden(action);
}

export function canRead(ctx: AuthContext): boolean {
  return isReader(ctx);
}

/** The project a new resource belongs to: the caller's, unless an admin names another. */
export function owningProject(ctx: AuthContext, body: { project_id?: unknown; tenant_id?: unknown }, action: string): string {
  const asked = (body.project_id ?? body.tenant_id) as string | undefined;
  if (asked !== undefined && asked !== ctx.projectId) {
    if (!isAdmin(ctx)) throw policyForbidden(`${action}:project_id`);
    return asked;
  }
  if (!ctx.projectId) throw policyForbidden(action);
  return ctx.projectId;
}
