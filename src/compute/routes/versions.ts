/** Nova's version documents: GET /compute/ lists v2.0 and v2.1; GET /compute/v2.1 describes v2.1. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_MICROVERSION, MIN_MICROVERSION } from '../microversion.js';

function root(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host}/compute`;
}

function v21(request: FastifyRequest) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_MICROVERSION,
    min_version: MIN_MICROVERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${root(request)}/v2.1/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

export async function versionRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { config: { public: true } }, async (request) => ({ versions: [v21(request)] }));
  app.get('/v2.1', { config: { public: true } }, async (request) => ({ version: v21(request) }));
}
