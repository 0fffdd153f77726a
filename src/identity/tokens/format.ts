/**
 * The token wire format. A token is `k1.<key id>.<payload>.<signature>`: a base64url JSON
 * payload signed with HMAC-SHA256 under a key kept in the store. Nothing about a token is
 * stored, so validation is a signature check plus revocation events (see revocation.ts);
 * several controllers sharing one database validate each other's tokens.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenScope =
  | { readonly type: 'unscoped' }
  | { readonly type: 'project'; readonly id: string }
  | { readonly type: 'domain'; readonly id: string }
  | { readonly type: 'system' };

export interface TokenPayload {
  readonly userId: string;
  readonly methods: readonly string[];
  readonly scope: TokenScope;
  /** Milliseconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** [own audit id, audit id of the token it was rescoped from]. */
  readonly auditIds: readonly string[];
  readonly trustId?: string | undefined;
  readonly appCredId?: string | undefined;
  /** Set on a trust token with impersonation=false: who really acts (the trustee). */
  readonly trusteeId?: string | undefined;
}

interface Wire {
  u: string;
  m: string[];
  s: [] | ['p' | 'd', string] | ['s'];
  i: number;
  e: number;
  a: string[];
  t?: string;
  c?: string;
  r?: string;
}

export interface SigningKey {
  readonly id: string;
  readonly secret: Buffer;
}

function sign(key: SigningKey, body: string): string {
  return createHmac('sha256', key.secret).update(body).digest('base64url');
}

export function encodeToken(payload: TokenPayload, key: SigningKey): string {
  const scope: Wire['s'] =
    payload.scope.type === 'project' ? ['p', payload.scope.id]
      : payload.scope.type === 'domain' ? ['d', payload.scope.id]
        : payload.scope.type === 'system' ? ['s'] : [];
  const wire: Wire = { u: payload.userId, m: [...payload.methods], s: scope, i: payload.issuedAt, e: payload.expiresAt, a: [...payload.auditIds] };
  if (payload.trustId) wire.t = payload.trustId;
  if (payload.appCredId) wire.c = payload.appCredId;
  if (payload.trusteeId) wire.r = payload.trusteeId;
  const body = `k1.${key.id}.${Buffer.from(JSON.stringify(wire)).toString('base64url')}`;
  return `${body}.${sign(key, body)}`;
}

/** Returns the payload if the token is well formed and signed by one of keys; null otherwise. */
export function decodeToken(token: string, keys: ReadonlyMap<string, SigningKey>): TokenPayload | null {
  if (token.length > 8192) return null;
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'k1') return null;
  const [, keyId, encoded, signature] = parts as [string, string, string, string];
  const key = keys.get(keyId);
  if (!key) return null;
  const expected = Buffer.from(sign(key, `k1.${keyId}.${encoded}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let wire: Wire;
  try {
    wire = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Wire;
  } catch {
    return null;
  }
  const scope: TokenScope =
    wire.s[0] === 'p' ? { type: 'project', id: wire.s[1] as string }
      : wire.s[0] === 'd' ? { type: 'domain', id: wire.s[1] as string }
        : wire.s[0] === 's' ? { type: 'system' } : { type: 'unscoped' };
  return {
    userId: wire.u,
    methods: wire.m,
    scope,
    issuedAt: wire.i,
    expiresAt: wire.e,
    auditIds: wire.a,
    trustId: wire.t,
    appCredId: wire.c,
    trusteeId: wire.r,
  };
}
