/**
 * Nova microversions: the client asks with `OpenStack-API-Version: compute 2.x` (or the older
 * `X-OpenStack-Nova-API-Version: 2.x`), `latest` means our maximum, anything outside
 * [MIN, MAX] is a 406. Every response says which version answered. MAX is raised only as
 * far as the behaviour of every lower version is truly implemented.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors.js';

export const MIN_MICROVERSION = '2.1';
export const MAX_MICROVERSION = '2.91';

export interface Microversion {
  readonly major: number;
  readonly minor: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    microversion: Microversion;
  }
}

export function parseMicroversion(text: string): Microversion | null {
  const m = /^(\d+)\.(\d+)$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

export function compare(a: Microversion, b: Microversion): number {
  return a.major - b.major || a.minor - b.minor;
}

const MIN = parseMicroversion(MIN_MICROVERSION) as Microversion;
const MAX = parseMicroversion(MAX_MICROVERSION) as Microversion;

/** True when the request's microversion is at least `version` (e.g. atLeast(request, '2.47')). */
export function atLeast(request: FastifyRequest, version: string): boolean {
  return compare(request.microversion, parseMicroversion(version) as Microversion) >= 0;
}

function requested(request: FastifyRequest): string | null {
  const modern = request.headers['openstack-api-version'];
  const modernText = Array.isArray(modern) ? modern.join(',') : modern;
  if (modernText) {
    for (const part of modernText.split(',')) {
      const [service, version] = part.trim().split(/\s+/);
      if (service?.toLowerCase() === 'compute' && version) return version;
    }
  }
  const legacy = request.headers['x-openstack-nova-api-version'];
  const legacyText = Array.isArray(legacy) ? legacy[0] : legacy;
  return legacyText?.trim() || null;
}

export function installMicroversions(app: FastifyInstance): void {
  app.decorateRequest('microversion', null as unknown as Microversion);
  app.addHook('onRequest', async (request, reply) => {
    const asked = requested(request);
    let version = MIN;
    if (asked && asked.toLowerCase() === 'latest') {
      version = MAX;
    } else if (asked) {
      const parsed = parseMicroversion(asked);
      if (!parsed) throw new ApiError('badRequest', `API Version String ${asked} is of invalid format. Must be of format MajorNum.MinorNum.`);
      if (compare(parsed, MIN) < 0 || compare(parsed, MAX) > 0) {
        throw new ApiError('notAcceptable', `Version ${asked} is not supported by the API. Minimum is ${MIN_MICROVERSION} and maximum is ${MAX_MICROVERSION}.`);
      }
      version = parsed;
    }
    request.microversion = version;
    const text = `${version.major}.${version.minor}`;
    reply.header('openstack-api-version', `compute ${text}`);
    reply.header('x-openstack-nova-api-version', text);
    reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  });
}
