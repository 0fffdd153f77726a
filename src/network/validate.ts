/**
 * Request-body parsing in Neutron's terms: one resource object under its singular key (or a
 * list under the plural key for bulk), unknown attributes refused, values converted the way
 * Neutron's attribute converters do (booleans accept "True"/"false"/1/0), and errors worded as
 * Neutron words them.
 */
import { ApiError } from '../api/errors.js';
import { isPlainObject } from '../util/json.js';

export type Body = Record<string, unknown>;

export const bad = (message: string, type = 'HTTPBadRequest') => new ApiError('badRequest', message, { type });
/** Neutron's attribute-validation failure: "Invalid input for <attribute>. Reason: <reason>." */
export const invalidAttribute = (attribute: string, reason: string) => bad(`Invalid input for ${attribute}. Reason: ${reason}.`, 'HTTPBadRequest');

/** The objects of a create request: `{key: {...}}` or bulk `{keys: [{...}, ...]}`. */
export function createBodies(body: unknown, key: string, plural: string): { items: Body[]; bulk: boolean } {
  if (!isPlainObject(body)) throw bad('Resource body required');
  if (plural in body) {
    const list = body[plural];
    if (!Array.isArray(list) || list.length === 0 || !list.every(isPlainObject)) throw bad(`Resources required`);
    return { items: list as Body[], bulk: true };
  }
  const item = body[key];
  if (!isPlainObject(item)) throw bad(`Unable to find '${key}' in request body`);
  return { items: [item], bulk: false };
}

export function updateBody(body: unknown, key: string): Body {
  if (!isPlainObject(body)) throw bad('Resource body required');
  const item = body[key];
  if (!isPlainObject(item)) throw bad(`Unable to find '${key}' in request body`);
  return item;
}

export function onlyKnown(item: Body, allowed: readonly string[]): void {
  const unknown = Object.keys(item).filter((k) => !allowed.includes(k));
  if (unknown.length) throw bad(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

/** Attributes that may be set at create but not changed afterwards. */
export function notUpdatable(item: Body, fixed: readonly string[]): void {
  const found = Object.keys(item).filter((k) => fixed.includes(k));
  if (found.length) throw bad(`Cannot update read-only attribute ${found[0]}`);
}

export function toBool(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
  }
  throw invalidAttribute(attribute, `'${String(value)}' cannot be converted to boolean`);
}

export function optBool(item: Body, attribute: string): boolean | undefined {
  return item[attribute] === undefined ? undefined : toBool(item[attribute], attribute);
}

export function optString(item: Body, attribute: string, maxLength = 255): string | undefined {
  const value = item[attribute];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidAttribute(attribute, `'${JSON.stringify(value)}' is not a valid string`);
  if (value.length > maxLength) throw invalidAttribute(attribute, `'${value}' exceeds maximum length of ${maxLength}`);
  return value;
}

export function optNullableString(item: Body, attribute: string, maxLength = 255): string | null | undefined {
  if (item[attribute] === null) return null;
  return optString(item, attribute, maxLength);
}

export function optInt(item: Body, attribute: string): number | null | undefined {
  const value = item[attribute];
  if (value === undefined || value === null) return value as undefined | null;
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidAttribute(attribute, `'${String(value)}' is not an integer`);
  return n;
}

export function optStringList(item: Body, attribute: string): string[] | undefined {
  const value = item[attribute];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidAttribute(attribute, `'${JSON.stringify(value)}' is not a list`);
  return value as string[];
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function optUuid(item: Body, attribute: string): string | undefined {
  const value = item[attribute];
  if (value === undefined) return undefined;
  if (!isUuid(value)) throw invalidAttribute(attribute, `'${String(value)}' is not a valid UUID`);
  return value;
}
