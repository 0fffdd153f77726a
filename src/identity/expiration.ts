/**
 * Expiration timestamps of application credentials and trusts, as Keystone takes them: any
 * ISO-8601 form (a zone-less time is UTC), microseconds kept, never in the past. Stored as
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ` so the exact value a client sent comes back, and so
 * Date.parse still reads it for expiry checks.
 */
import { badRequest } from '../api/errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export interface Expiry {
  /** Normalised UTC text with microseconds and a Z, as stored. */
  readonly stored: string;
  readonly ms: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Parses a timestamp; null when absent. Bad text and past times are Keystone's 400s. */
export function parseExpiration(value: unknown, field = 'expires_at', now = Date.now()): Expiry | null {
  if (value === undefined || value === null) return null;
  const m = typeof value === 'string' ? ISO.exec(value.trim()) : null;
  if (!m) throw badRequest(`Invalid input for field '${field}': timestamp not in expected format: ${String(value)}.`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const micros = Number((frac + '000000').slice(0, 6));
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const base = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  const check = new Date(base);
  // Date.UTC rolls 2024-02-31 over to March: such dates are malformed, not "close enough".
  if (Number.isNaN(base) || check.getUTCMonth() !== fields[1] - 1 || check.getUTCDate() !== fields[2] || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    throw badRequest(`Invalid input for field '${field}': timestamp not in expected format: ${String(value)}.`);
  }
  const utcSeconds = base - offsetMinutes * 60_000;
  const ms = utcSeconds + Math.floor(micros / 1000);
  if (ms <= now) throw badRequest(`The '${field}' must not be before now.`);
  const t = new Date(utcSeconds);
  const stored = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${pad(micros, 6)}Z`;
  return { stored, ms };
}

/** How application credentials show a stored expiry: zone-less, microseconds (Keystone's form). */
export function appCredTime(stored: string | null): string | null {
  if (!stored) return null;
  return normalise(stored).replace(/Z$/, '');
}

/** How trusts show a stored expiry: microseconds and a Z. */
export function trustTime(stored: string | null): string | null {
  if (!stored) return null;
  return normalise(stored);
}

/** Rows written with millisecond precision (or by other code) still print with six digits. */
function normalise(stored: string): string {
  if (/\.\d{6}Z$/.test(stored)) return stored;
  const iso = new Date(stored).toISOString();
  return `${iso.slice(0, 23)}000Z`;
}
