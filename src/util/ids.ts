/** Identifier and timestamp helpers shared by every service. */
import { randomBytes, randomUUID } from 'node:crypto';

/** Keystone-style id: 32 lowercase hex characters. */
export function hexId(): string {
  return randomUUID().replaceAll('-', '');
}

/** Neutron/Nova-style id: a dashed UUID. */
export function uuid(): string {
  return randomUUID();
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** ISO-8601 UTC with millisecond precision, the form stored in every timestamp column. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Keystone prints times as 2026-11-22T00:44:58.000000Z (microseconds). */
export function keystoneTime(value: string | number | Date): string {
  const iso = new Date(value).toISOString();
  return `${iso.slice(0, 23)}000Z`;
}
