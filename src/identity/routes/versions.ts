/** Version discovery: GET / (300, every version) and GET /v3 (200, this version). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from '../views.js';

export const IDENTITY_VERSION = 'v3.14';

function v3(request: FastifyRequest) {
  return {
    id: IDENTITY_VERSION,
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(request)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export async function versionRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { config: { public: true } }, async (request, reply) => {
    reply.code(300);
    return { versions: { values: [v3(request)] } };
  });
  app.get('/v3', { config: { public: true } }, async (request) => ({ version: v3(request) }));
}
