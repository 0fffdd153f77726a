/**
 * Who is calling: what a validated token says, in the shape every service's policy uses.
 * Built once per request by the auth hook of each service plugin.
 */

export interface AuthContext {
  readonly userId: string;
  readonly userName: string;
  readonly userDomainId: string;
  /** Set for a project-scoped token. */
  readonly projectId: string | null;
  readonly projectName: string | null;
  readonly projectDomainId: string | null;
  /** Set for a domain-scoped token. */
  readonly domainId: string | null;
  readonly system: boolean;
  /** Role names the token carries, implied roles included. */
  readonly roles: ReadonlySet<string>;
  readonly token: string;
  readonly auditIds: readonly string[];
  readonly expiresAt: number;
  readonly trustId: string | null;
  readonly appCredId: string | null;
}

/** OpenStack's admin role, wherever it was granted, makes the caller a cloud admin (the
 *  behaviour of the services' default policies without enforce_scope). */
export function isAdmin(ctx: AuthContext): boolean {
  return ctx.roles.has('admin');
}

export function isMember(ctx: AuthContext): boolean {
  return ctx.roles.has('member') || ctx.roles.has('admin');
}

export function isReader(ctx: AuthContext): boolean {
  return ctx.roles.has('reader') || isMember(ctx);
}
