/**
 * Secrets that are generated, not chosen by people (application credential and OAuth
 * consumer secrets): long and random, so a fast salted SHA-256 suffices and keeps
 * authentication with them quick.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function hashSecret(secret: string): string {
  const salt = randomBytes(16).toString('base64url');
  return `sha256$${salt}$${createHash('sha256').update(salt).update(secret).digest('base64url')}`;
}

export async function hashSecretMatches(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, digest] = stored.split('$');
  if (scheme !== 'sha256' || !salt || !digest) return false;
  const actual = Buffer.from(createHash('sha256').update(salt).update(secret).digest('base64url'));
  const expected = Buffer.from(digest);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
