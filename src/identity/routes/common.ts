/** Helpers shared by the identity routes: lookups that 404 in Keystone's words, query filters. */
import type { FastifyRequest } from 'fastify';
import { badRequest, conflict, notFound } from '../../api/errors.js';
import { isUniqueViolation } from '../../store/store.js';

/** Keystone's 404 wording: "Could not find user: <id>." */
export function missing(kind: string, id: string) {
  return notFound(`Could not find ${kind}: ${id}.`);
}

export async function found<T>(row: Promise<T | undefined>, kind: string, id: string): Promise<T> {
  const value = await row;
  if (value === undefined) throw missing(kind, id);
  return value;
}

/** Turns the database's duplicate-key refusal into Keystone's 409. */
export async function unique<T>(work: Promise<T>, what: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Conflict occurred attempting to store ${what}. Duplicate entry.`);
    throw err;
  }
}

export function query(request: FastifyRequest): Record<string, string> {
  const raw = request.query as Record<string, string | string[] | undefined>;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    result[key] = Array.isArray(value) ? String(value[value.length - 1]) : String(value);
  }
  return result;
}

/** Keystone accepts true/false/1/0/yes/no (any case) for boolean query filters. */
export function queryBool(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (['true', '1', 'yes', 'on', ''].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw badRequest(`Invalid input for field '${name}': '${value}' is not a boolean.`);
}

const name255 = { type: 'string', minLength: 1, maxLength: 255 } as const;
const id64 = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** JSON-schema fragments reused across resources. */
export const schemaParts = {
  name64: { type: 'string', minLength: 1, maxLength: 64 },
  name255,
  id64,
  description: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
  nullableId: { type: ['string', 'null'], maxLength: 64 },
  /** A role named by exactly one of id and name, as application credentials and trusts take them. */
  roleRef: {
    type: 'object',
    properties: { id: id64, name: name255 },
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  },
} as const;

/** Collects attributes a client sent that Keystone keeps as "extra" (users, projects, domains, ...). */
export function extraOf(body: Record<string, unknown>, known: readonly string[]): string {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!known.includes(key)) extra[key] = value;
  }
  return JSON.stringify(extra);
}

/** Merges stored extra attributes with an update's unknown attributes. */
export function mergeExtra(stored: string, body: Record<string, unknown>, known: readonly string[]): string {
  const extra = JSON.parse(stored) as Record<string, unknown>;
  for (const [key, value] of Object.entries(body)) {
    if (!known.includes(key)) extra[key] = value;
  }
  return JSON.stringify(extra);
}
