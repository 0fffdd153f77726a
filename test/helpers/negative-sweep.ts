/**
 * The parts every service's bad-input sweep shares: its routes, the bad-token and bad-body
 * loops, and the proof that the rejected requests left the store as it was.
 */
import assert from 'node:assert/strict';
import { listRoutes, type RouteEntry } from '../../src/api/app.js';
import type { TestCloud, TestResponse } from './cloud.js';
import { snapshot } from './snapshot.js';

/** Tables that change by themselves (heartbeats) or by token revocations. */
const IGNORED_TABLES = ['hosts', 'revocation_events'];

/** Bodies no write route of any service takes: JSON of the wrong shape, and one over the size limit. */
export const WRONG_SHAPE_BODIES: readonly (readonly [string, string])[] = [
  ['array', '[]'],
  ['string', '"x"'],
  ['null', 'null'],
  ['oversize', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })],
];

/** The routes a sweep sends to; HEAD and OPTIONS are Fastify's own, not the service's. */
export function sweptRoutes(cloud: TestCloud, mine: (route: RouteEntry) => boolean): RouteEntry[] {
  return listRoutes(cloud.app).filter((r) => mine(r) && r.method !== 'HEAD' && r.method !== 'OPTIONS');
}

/** The route's URL with every `:param` filled with an id that does not exist. */
export function withMissingIds(url: string, missingId: string): string {
  return url.replace(/:[A-Za-z_]+/g, missingId);
}

/** GET and DELETE are sent without a body, every other method with `{}`. */
export function emptyBodyFor(route: RouteEntry): object | undefined {
  return ['GET', 'DELETE'].includes(route.method) ? undefined : {};
}

/**
 * Runs `sweep` and asserts that the store (less the tables that change by themselves), and
 * whatever `alsoRead` reads (an image service's files), are as they were before it.
 */
export async function assertStoreUnchangedBy(cloud: TestCloud, sweep: () => Promise<void>, alsoRead: () => unknown = () => null): Promise<void> {
  const state = async () => ({ store: await snapshot(cloud.store, IGNORED_TABLES), also: alsoRead() });
  const before = await state();
  await sweep();
  assert.deepEqual(await state(), before);
}

/** How one service is swept: where its ids go, and what its fault body must look like. */
export interface Sweep {
  readonly cloud: TestCloud;
  /** The URL to send for a route. */
  readonly path: (route: RouteEntry) => string;
  /** Asserts the answer is no 5xx and, if an error, in the service's fault body. */
  readonly assertFault: (res: TestResponse, where: string, route: RouteEntry) => void;
}

/** Every authenticated route answers each labelled bad token with a 401 fault. */
export async function sweepBadTokens(sweep: Sweep, routes: readonly RouteEntry[], tokens: readonly (readonly [string, string | undefined])[]): Promise<void> {
  for (const route of routes.filter((r) => !r.public)) {
    for (const [label, token] of tokens) {
      const where = `${route.method} ${route.url} (${label} token)`;
      const res = await sweep.cloud.request(route.method, sweep.path(route), { token, body: emptyBodyFor(route) });
      sweep.assertFault(res, where, route);
      assert.equal(res.status, 401, `${where} gave ${res.status}`);
    }
  }
}

/** Every write route answers each labelled raw body, from each token, with a 4xx fault. */
export async function sweepBadBodies(sweep: Sweep, routes: readonly RouteEntry[], tokens: readonly string[], bodies: readonly (readonly [string, string])[]): Promise<void> {
  for (const route of routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))) {
    for (const token of tokens) {
      for (const [label, rawBody] of bodies) {
        const where = `${route.method} ${route.url} (${label})`;
        const res = await sweep.cloud.request(route.method, sweep.path(route), { token, rawBody });
        sweep.assertFault(res, where, route);
        assert.ok(res.status >= 400, `${where} gave ${res.status}`);
      }
    }
  }
}
