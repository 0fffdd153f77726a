/** Version discovery and the extension list: the documents clients read before anything else. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { neutronNotFound } from '../errors.js';
import { EXTENSIONS, EXTENSION_UPDATED, type Extension } from '../extensions.js';

function root(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host}/network`;
}

function extensionView(e: Extension) {
  return { alias: e.alias, name: e.name, description: e.description, updated: EXTENSION_UPDATED, links: [] };
}

export async function metaRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { config: { public: true } }, async (request) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${root(request)}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', { config: { public: true } }, async (request) => ({
    resources: ['networks', 'subnets', 'ports'].map((name) => ({ name: name.slice(0, -1), collection: name, links: [{ href: `${root(request)}/v2.0/${name}`, rel: 'self' }] })),
  }));
  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(extensionView) }));
  app.get('/v2.0/extensions/:alias', async (request) => {
    const { alias } = request.params as { alias: string };
    const found = EXTENSIONS.find((e) => e.alias === alias);
    if (!found) throw neutronNotFound('Extension', alias);
    return { extension: extensionView(found) };
  });
}
