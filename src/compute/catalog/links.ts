/**
 * Nova's links: every resource has a `self` link under the versioned endpoint and a
 * `bookmark` link without the version; a page that is full gets a `next` link carrying the
 * request's own parameters with the marker set to its last item.
 */
import type { FastifyRequest } from 'fastify';
import { queryOf, param, type Page } from './query.js';

export interface Link {
  readonly rel: string;
  readonly href: string;
}

/** http://host:port/compute, as the client reached it. */
export function computeRoot(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}/compute`;
}

export function resourceLinks(request: FastifyRequest, collection: string, id: string | number): Link[] {
  const root = computeRoot(request);
  return [
    { rel: 'self', href: `${root}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${root}/${collection}/${id}` },
  ];
}

/** `[{"rel": "next", ...}]` when the page is full, else none. */
export function nextLinks(request: FastifyRequest, collection: string, page: Page, itemCount: number, lastId: string | number | undefined): Link[] {
  if (lastId === undefined || itemCount === 0 || itemCount !== page.limit) return [];
  const query = queryOf(request);
  const params = new URLSearchParams();
  // Nova keeps the parameters sorted; a marker already there is replaced where it stands.
  for (const key of Object.keys(query).sort()) params.set(key, key === 'marker' ? String(lastId) : param(query, key) ?? '');
  if (!params.has('marker')) params.set('marker', String(lastId));
  return [{ rel: 'next', href: `${computeRoot(request)}/v2.1/${collection}?${params.toString()}` }];
}
