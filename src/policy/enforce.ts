/**
 * The one policy engine. Each service declares its rules as named predicates over the caller
 * and the target; enforce() throws the right error when a rule says no. A target the caller
 * may not even see is a 404 (see `visible`), never a 403, so resources of other projects do
 * not leak their existence.
 */
import { forbidden, notFound, type ApiError } from '../api/errors.js';
import { isAdmin, isMember, isReader, type AuthContext } from './context.js';

export interface PolicyTarget {
  readonly projectId?: string | null;
  readonly domainId?: string | null;
  readonly userId?: string | null;
}

export type Rule = (ctx: AuthContext, target: PolicyTarget) => boolean;

/** Building blocks, combined by each service's rule table. */
export const rules = {
  admin: ((ctx) => isAdmin(ctx)) as Rule,
  anyReader: ((ctx) => isReader(ctx)) as Rule,
  anyMember: ((ctx) => isMember(ctx)) as Rule,
  owner: ((ctx, t) => t.userId != null && ctx.userId === t.userId) as Rule,
  projectReader: ((ctx, t) => isReader(ctx) && t.projectId != null && ctx.projectId === t.projectId) as Rule,
  projectMember: ((ctx, t) => isMember(ctx) && t.projectId != null && ctx.projectId === t.projectId) as Rule,
  domainReader: ((ctx, t) => isReader(ctx) && ctx.domainId != null && ctx.domainId === t.domainId) as Rule,
  domainManager: ((ctx, t) => isAdmin(ctx) && ctx.domainId != null && ctx.domainId === t.domainId) as Rule,
  systemReader: ((ctx) => ctx.system && isReader(ctx)) as Rule,
  always: (() => true) as Rule,
};

export const anyOf = (...list: Rule[]): Rule => (ctx, t) => list.some((r) => r(ctx, t));

export function allowed(rule: Rule, ctx: AuthContext, target: PolicyTarget = {}): boolean {
  return rule(ctx, target);
}

export function enforce(rule: Rule, ctx: AuthContext, target: PolicyTarget = {}, error?: () => ApiError): void {
  if (!rule(ctx, target)) throw error ? error() : forbidden();
}

/** Hides what the caller may not see behind the same 404 a missing resource gets. */
export function enforceVisible(rule: Rule, ctx: AuthContext, target: PolicyTarget, missing: string): void {
  if (!rule(ctx, target)) throw notFound(missing);
}
