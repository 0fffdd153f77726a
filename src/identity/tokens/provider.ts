/**
 * Issues and validates tokens. Validation re-checks the live state every time it is not
 * answered from the short-lived cache: the user and its domain enabled, the scope target
 * enabled, roles still granted (so removing the last role kills the token), the trust or
 * application credential still there, and no revocation event matching.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/store.js';
import { notFound, unauthorized } from '../../api/errors.js';
import { effectiveRoles, type RoleRef } from '../roles.js';
import { parseJsonArray } from '../../util/json.js';
import { decodeToken, encodeToken, type TokenPayload, type TokenScope } from './format.js';
import type { KeyRing } from './keys.js';
import type { RevocationList } from './revocation.js';

export interface NamedRef {
  readonly id: string;
  readonly name: string;
}

export interface ValidatedToken {
  readonly token: string;
  readonly payload: TokenPayload;
  readonly user: NamedRef & { readonly domain: NamedRef; readonly passwordExpiresAt: string | null };
  readonly project: (NamedRef & { readonly domain: NamedRef }) | null;
  readonly domain: NamedRef | null;
  readonly system: boolean;
  readonly roles: readonly RoleRef[];
  readonly trust: { readonly id: string; readonly impersonation: boolean; readonly trustorId: string; readonly trusteeId: string } | null;
  readonly appCred: { readonly id: string; readonly name: string; readonly restricted: boolean } | null;
}

export interface IssueRequest {
  readonly userId: string;
  readonly methods: readonly string[];
  readonly scope: TokenScope;
  readonly expiresAt?: number;
  readonly parentAuditId?: string;
  readonly trustId?: string;
  readonly appCredId?: string;
  readonly trusteeId?: string;
}

const VALIDATION_CACHE_MS = 1000;
const VALIDATION_CACHE_MAX = 10_000;

/** Why a token does not validate; never shown to the caller beyond "invalid". */
class InvalidToken extends Error {}

export class TokenProvider {
  private cache = new Map<string, { at: number; generation: number; value: ValidatedToken }>();
  private generation = 0;
  private lastIssuedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly keys: KeyRing,
    private readonly revocations: RevocationList,
    private readonly ttlMs: () => number,
  ) {}

  /** Any identity write may change what a token means: drop every cached validation. */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  async issue(request: IssueRequest): Promise<ValidatedToken> {
    // Strictly increasing issue times: a token issued right after a revocation (same ms) must
    // not fall under it.
    const issuedAt = Math.max(Date.now(), this.lastIssuedAt + 1, this.revocations.latestIssuedBefore + 1);
    this.lastIssuedAt = issuedAt;
    const expiresAt = Math.min(request.expiresAt ?? Infinity, issuedAt + this.ttlMs());
    const auditIds = [randomBytes(16).toString('base64url').slice(0, 22)];
    if (request.parentAuditId) auditIds.push(request.parentAuditId);
    const payload: TokenPayload = {
      userId: request.userId,
      methods: [...new Set(request.methods)],
      scope: request.scope,
      issuedAt,
      expiresAt,
      auditIds,
      trustId: request.trustId,
      appCredId: request.appCredId,
      trusteeId: request.trusteeId,
    };
    const token = encodeToken(payload, this.keys.signingKey);
    try {
      return await this.resolve(token, payload);
    } catch (err) {
      if (err instanceof InvalidToken) throw unauthorized();
      throw err;
    }
  }

  /** Validates the caller's own token (X-Auth-Token): any failure is a 401. */
  async authenticate(token: string): Promise<ValidatedToken> {
    const result = await this.check(token);
    if (!result) throw unauthorized();
    return result;
  }

  /** Validates a token presented for inspection (X-Subject-Token): any failure is a 404. */
  async inspect(token: string): Promise<ValidatedToken> {
    const result = await this.check(token);
    if (!result) throw notFound(`Failed to validate token`);
    return result;
  }

  async check(token: string): Promise<ValidatedToken | null> {
    await this.revocations.maybeRefresh();
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.generation === this.generation && now - hit.at < VALIDATION_CACHE_MS && hit.value.payload.expiresAt > now) {
      return this.revoked(hit.value) ? null : hit.value;
    }
    const payload = decodeToken(token, this.keys.all);
    if (!payload || payload.expiresAt <= now) return null;
    const generation = this.generation;
    let value: ValidatedToken;
    try {
      value = await this.resolve(token, payload);
    } catch (err) {
      if (err instanceof InvalidToken) return null;
      throw err;
    }
    if (this.revoked(value)) return null;
    if (generation === this.generation) {
      if (this.cache.size >= VALIDATION_CACHE_MAX) this.cache.clear();
      this.cache.set(token, { at: now, generation, value });
    }
    return value;
  }

  async revoke(value: ValidatedToken): Promise<void> {
    await this.revocations.revoke({ auditId: value.payload.auditIds[0] as string });
    this.invalidate();
  }

  private revoked(value: ValidatedToken): boolean {
    const domains = [value.user.domain.id];
    if (value.project) domains.push(value.project.domain.id);
    if (value.domain) domains.push(value.domain.id);
    return this.revocations.isRevoked(value.payload, domains);
  }

  private async resolve(token: string, payload: TokenPayload): Promise<ValidatedToken> {
    const db = this.db;
    const user = await db.selectFrom('users').innerJoin('domains', 'domains.id', 'users.domain_id')
      .select(['users.id', 'users.name', 'users.enabled', 'users.password_expires_at', 'domains.id as domain_id', 'domains.name as domain_name', 'domains.enabled as domain_enabled'])
      .where('users.id', '=', payload.userId).executeTakeFirst();
    if (!user || !user.enabled || !user.domain_enabled) throw new InvalidToken('user');

    let project: ValidatedToken['project'] = null;
    let domain: ValidatedToken['domain'] = null;
    const scope = payload.scope;
    if (scope.type === 'project') {
      const row = await db.selectFrom('projects').innerJoin('domains', 'domains.id', 'projects.domain_id')
        .select(['projects.id', 'projects.name', 'projects.enabled', 'domains.id as domain_id', 'domains.name as domain_name', 'domains.enabled as domain_enabled'])
        .where('projects.id', '=', scope.id).executeTakeFirst();
      if (!row || !row.enabled || !row.domain_enabled) throw new InvalidToken('project');
      project = { id: row.id, name: row.name, domain: { id: row.domain_id, name: row.domain_name } };
    } else if (scope.type === 'domain') {
      const row = await db.selectFrom('domains').select(['id', 'name', 'enabled']).where('id', '=', scope.id).executeTakeFirst();
      if (!row || !row.enabled) throw new InvalidToken('domain');
      domain = { id: row.id, name: row.name };
    }

    let roles: RoleRef[] = [];
    let trust: ValidatedToken['trust'] = null;
    let appCred: ValidatedToken['appCred'] = null;
    const target = scope.type === 'project' ? { type: 'project' as const, id: scope.id }
      : scope.type === 'domain' ? { type: 'domain' as const, id: scope.id }
        : scope.type === 'system' ? { type: 'system' as const } : null;

    if (payload.trustId) {
      const row = await db.selectFrom('trusts').selectAll().where('id', '=', payload.trustId).executeTakeFirst();
      if (!row || row.deleted_at || (row.expires_at && Date.parse(row.expires_at) <= Date.now())) throw new InvalidToken('trust');
      trust = { id: row.id, impersonation: row.impersonation === 1, trustorId: row.trustor_user_id, trusteeId: row.trustee_user_id };
      // The trustor must still hold every delegated role on the project.
      const trustorRoles = target ? await effectiveRoles(db, row.trustor_user_id, target) : [];
      const held = new Set(trustorRoles.map((r) => r.id));
      const delegated = parseJsonArray<{ id: string }>(row.roles);
      if (!delegated.every((r) => held.has(r.id))) throw new InvalidToken('trust roles');
      roles = trustorRoles.filter((r) => delegated.some((d) => d.id === r.id));
      const trustee = await db.selectFrom('users').select(['enabled']).where('id', '=', row.trustee_user_id).executeTakeFirst();
      if (!trustee?.enabled) throw new InvalidToken('trustee');
    } else if (target) {
      roles = await effectiveRoles(db, payload.userId, target);
    }

    if (payload.appCredId) {
      const row = await db.selectFrom('application_credentials').selectAll().where('id', '=', payload.appCredId).executeTakeFirst();
      if (!row || (row.expires_at && Date.parse(row.expires_at) <= Date.now())) throw new InvalidToken('application credential');
      const allowed = new Set(parseJsonArray<{ id: string }>(row.roles).map((r) => r.id));
      roles = roles.filter((r) => allowed.has(r.id));
      appCred = { id: row.id, name: row.name, restricted: row.unrestricted !== 1 };
    }

    if (target && roles.length === 0) throw new InvalidToken('no roles');
    return {
      token,
      payload,
      user: { id: user.id, name: user.name, domain: { id: user.domain_id, name: user.domain_name }, passwordExpiresAt: user.password_expires_at },
      project,
      domain,
      system: scope.type === 'system',
      roles,
      trust,
      appCred,
    };
  }
}
