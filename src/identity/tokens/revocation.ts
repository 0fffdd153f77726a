/**
 * Revocation events, as Keystone keeps them: "every token matching these fields and issued
 * before T is revoked". Held in memory for sub-millisecond validation and refreshed from the
 * store at most once a second, so a revocation made by another controller applies within a
 * second. Events are forgotten once no token they match can still be unexpired.
 */
import type { Store } from '../../store/store.js';
import type { TokenPayload } from './format.js';

export interface RevocationMatch {
  readonly auditId?: string;
  readonly userId?: string;
  readonly projectId?: string;
  readonly domainId?: string;
  readonly trustId?: string;
  readonly appCredId?: string;
}

interface Event extends RevocationMatch {
  readonly id: number;
  readonly issuedBefore: number;
  readonly expiresAt: number;
}

const REFRESH_INTERVAL_MS = 1000;

export class RevocationList {
  private events: Event[] = [];
  private lastId = 0;
  private lastRefresh = 0;
  /** The newest issued_before of any event seen: tokens issued later cannot match it. */
  latestIssuedBefore = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly tokenTtlMs: () => number,
  ) {}

  async load(): Promise<void> {
    await this.store.db.deleteFrom('revocation_events').where('expires_at', '<', Date.now()).execute();
    this.events = [];
    this.lastId = 0;
    await this.refresh();
  }

  /** Records an event; tokens matching it and issued up to now stop validating at once. */
  async revoke(match: RevocationMatch, issuedBefore = Date.now()): Promise<void> {
    const row = {
      audit_id: match.auditId ?? null,
      user_id: match.userId ?? null,
      project_id: match.projectId ?? null,
      domain_id: match.domainId ?? null,
      trust_id: match.trustId ?? null,
      app_cred_id: match.appCredId ?? null,
      issued_before: issuedBefore,
      expires_at: issuedBefore + this.tokenTtlMs(),
    };
    await this.store.db.insertInto('revocation_events').values(row).execute();
    await this.refresh();
  }

  /** Refreshes from the store if the last refresh is older than a second. */
  async maybeRefresh(): Promise<void> {
    if (Date.now() - this.lastRefresh >= REFRESH_INTERVAL_MS) await this.refresh();
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      const rows = await this.store.db.selectFrom('revocation_events').selectAll().where('id', '>', this.lastId).orderBy('id').execute();
      const now = Date.now();
      const fresh = rows.map<Event>((r) => ({
        id: Number(r.id),
        auditId: r.audit_id ?? undefined,
        userId: r.user_id ?? undefined,
        projectId: r.project_id ?? undefined,
        domainId: r.domain_id ?? undefined,
        trustId: r.trust_id ?? undefined,
        appCredId: r.app_cred_id ?? undefined,
        issuedBefore: Number(r.issued_before),
        expiresAt: Number(r.expires_at),
      }));
      this.events = [...this.events.filter((e) => e.expiresAt >= now), ...fresh];
      for (const e of fresh) {
        this.lastId = Math.max(this.lastId, e.id);
        this.latestIssuedBefore = Math.max(this.latestIssuedBefore, e.issuedBefore);
      }
      this.lastRefresh = now;
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** domainIds: the domains the token's user and scope belong to (revoking a domain revokes those). */
  isRevoked(token: TokenPayload, domainIds: readonly string[]): boolean {
    for (const e of this.events) {
      if (token.issuedAt > e.issuedBefore) continue;
      if (e.auditId !== undefined && !token.auditIds.includes(e.auditId)) continue;
      if (e.userId !== undefined && e.userId !== token.userId && e.userId !== token.trusteeId) continue;
      if (e.projectId !== undefined && !(token.scope.type === 'project' && token.scope.id === e.projectId)) continue;
      if (e.domainId !== undefined && !domainIds.includes(e.domainId)) continue;
      if (e.trustId !== undefined && e.trustId !== token.trustId) continue;
      if (e.appCredId !== undefined && e.appCredId !== token.appCredId) continue;
      return true;
    }
    return false;
  }
}
