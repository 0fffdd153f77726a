/** Tokens a negative sweep presents: the same claims as a real token, but expired or signed with a wrong key. */
import assert from 'node:assert/strict';
import { decodeToken, encodeToken } from '../../src/identity/tokens/format.js';
import type { TestCloud } from './cloud.js';

export function badTokens(cloud: TestCloud, real: string): { expired: string; forged: string } {
  const payload = decodeToken(real, cloud.identity.keys.all);
  assert.ok(payload);
  const key = cloud.identity.keys.signingKey;
  return {
    expired: encodeToken({ ...payload, issuedAt: Date.now() - 7200_000, expiresAt: Date.now() - 3600_000 }, key),
    forged: encodeToken(payload, { id: key.id, secret: Buffer.from('not the real key') }),
  };
}
