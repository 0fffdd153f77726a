/**
 * Nova's request validation, as its JSON schemas behave: a 400 badRequest whose message names
 * the field, the value and the rule ("Invalid input for field/attribute name. Value: ...").
 * Integers may come as digit strings (Nova's schemas allow both), booleans as Nova's words.
 */
import { ApiError, badRequest } from '../../api/errors.js';

export type Body = Record<string, unknown>;

/** Python's repr of a JSON value, as Nova's messages print it. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Body).map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(', ')}}`;
}

export function invalid(field: string, value: unknown, message: string): ApiError {
  const shown = typeof value === 'string' ? value : pyRepr(value);
  return badRequest(`Invalid input for field/attribute ${field}. Value: ${shown}. ${message}`);
}

export function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request body must be exactly `{"<key>": {...}}`. */
export function wrapped(body: unknown, key: string): Body {
  if (!isObject(body)) throw badRequest(`Invalid input for field/attribute body. Value: ${pyRepr(body ?? null)}. ${pyRepr(body ?? null)} is not of type 'object'`);
  if (!(key in body)) throw invalid(key, body, `'${key}' is a required property`);
  const extra = Object.keys(body).filter((k) => k !== key);
  if (extra.length > 0) throw invalid(key, body, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  const inner = body[key];
  if (!isObject(inner)) throw invalid(key, inner, `${pyRepr(inner)} is not of type 'object'`);
  return inner;
}

export function onlyKeys(obj: Body, allowed: readonly string[], field: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalid(field, obj, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
}

export function requireKeys(obj: Body, keys: readonly string[], field: string): void {
  for (const key of keys) if (!(key in obj)) throw invalid(field, obj, `'${key}' is a required property`);
}

// Control characters (C0, DEL, C1) are not printable; Nova's names allow every printable one.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const EDGE_SPACE = /^[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]|[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$/;

/** parameter_types.name: a string of 1–255 printable characters, no leading/trailing whitespace. */
export function nameString(value: unknown, field: string, max = 255): string {
  if (typeof value !== 'string') throw invalid(field, value, `${pyRepr(value)} is not of type 'string'`);
  if (value.length < 1) throw invalid(field, value, `'' is too short`);
  if (value.length > max) throw invalid(field, value, `'${value}' is too long`);
  if (CONTROL.test(value) || EDGE_SPACE.test(value)) {
    throw badRequest(`Invalid input for field/attribute ${field}. Value: ${value}. printable characters. Can not start or end with whitespace.`);
  }
  return value;
}

/** A free-text description: string or null, printable characters (whitespace allowed). */
export function descriptionString(value: unknown, field: string, max: number): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalid(field, value, `${pyRepr(value)} is not of type 'string', 'null'`);
  if (value.length > max) throw invalid(field, value, `'${value}' is too long`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(value)) throw invalid(field, value, `'${value}' does not match the printable characters pattern`);
  return value;
}

/**
 * An integer given as a JSON integer or a string of digits (Nova's flavor, quota and size
 * parameters), within [min, max]. `allowNegativeOne` accepts the quota "unlimited" flag.
 */
export function integerParam(value: unknown, field: string, min: number, max = 0x7fffffff, pattern = /^[0-9]+$/): number {
  let n: number;
  if (typeof value === 'number' && Number.isInteger(value)) {
    n = value;
  } else if (typeof value === 'string') {
    if (!pattern.test(value)) throw invalid(field, value, `'${value}' does not match '${pattern.source}'`);
    n = Number(value);
  } else {
    throw invalid(field, value, `${pyRepr(value)} is not of type 'integer', 'string'`);
  }
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw badRequest(`Invalid input received: ${field} must be ${n < min ? `>= ${min}` : `<= ${max}`}`);
  }
  return n;
}

const TRUE_WORDS = ['true', 't', 'on', 'yes', 'y', '1'];
const FALSE_WORDS = ['false', 'f', 'off', 'no', 'n', '0'];

/** parameter_types.boolean: true/false or one of Nova's words for them. */
export function booleanParam(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (['True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes'].includes(value)) return true;
    if (['False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'].includes(value)) return false;
  }
  throw invalid(field, value, `${pyRepr(value)} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']`);
}

/** oslo's bool_from_string(strict=True): undefined when the text is not a boolean word. */
export function boolFromString(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.includes(t)) return true;
  if (FALSE_WORDS.includes(t)) return false;
  return undefined;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** oslo's is_uuid_like: with or without dashes, any case. */
export function isUuidLike(text: string): boolean {
  return UUID.test(text);
}

/** parameter_types.az_name: a name (see nameString) without ':', which separates zone:host. */
export function azNameString(value: unknown, field: string): string {
  const name = nameString(value, field);
  if (name.includes(':')) throw badRequest(`Invalid input for field/attribute ${field}. Value: ${name}. printable characters except :.Can not start or end with whitespace.`);
  return name;
}
