/**
 * Query strings as Nova reads them: repeated parameters allowed (the last one wins, as webob's
 * GET.get), pagination with limit/marker capped at max_limit, and from microversion 2.75 (2.102
 * for some routes) a 400 for any parameter the route does not know.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.js';
import { atLeast } from '../microversion.js';

/** Nova's [api] max_limit default. */
export const MAX_LIMIT = 1000;

export type Query = Readonly<Record<string, string[]>>;

export function queryOf(request: FastifyRequest): Query {
  const raw = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value : [value];
  }
  return out;
}

export function param(query: Query, name: string): string | undefined {
  const values = query[name];
  return values && values.length > 0 ? values[values.length - 1] : undefined;
}

/** Rejects parameters outside `allowed` once the request's microversion forbids them. */
export function rejectUnknown(request: FastifyRequest, query: Query, allowed: readonly string[], since = '2.75'): void {
  if (!atLeast(request, since)) return;
  const extra = Object.keys(query).filter((k) => !allowed.includes(k)).sort();
  if (extra.length > 0) {
    throw badRequest(`Invalid input for query parameters ${extra[0]}. Value: ${param(query, extra[0] as string) ?? ''}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  }
}

/** A non-negative integer query parameter (limit, offset). */
export function nonNegativeParam(query: Query, name: string): number | undefined {
  const text = param(query, name);
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text)) {
    throw badRequest(`Invalid input for query parameters ${name}. Value: ${text}. '${text}' does not match '^[0-9]*$'`);
  }
  return Number(text);
}

export interface Page {
  readonly limit: number;
  readonly marker: string | undefined;
}

/** limit (default and cap: max_limit) and marker. */
export function pageOf(query: Query): Page {
  const asked = nonNegativeParam(query, 'limit');
  return { limit: Math.min(MAX_LIMIT, asked ?? MAX_LIMIT), marker: param(query, 'marker') };
}

export const markerNotFound = (marker: string) => badRequest(`marker [${marker}] not found`);
