/** Version discovery, the schema documents, and the discovery calls under /v2/info. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { notFound } from '../errors.js';
import { imageSchema, imagesSchema, memberSchema, membersSchema, type JsonSchema } from '../schemas.js';
import { metadefSchemas } from '../metadefs/schemas.js';
import type { ImageService } from '../service.js';
import { IMPORT_METHODS } from './actions.js';

/**
 * v2.7 is the newest behaviour implemented: hidden images (os_hidden) and multihash
 * (os_hash_algo/os_hash_value). Later minor versions add multi-store, image tasks and the
 * cache API, which this cloud does not have.
 */
const VERSIONS = ['2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];

function versions(request: FastifyRequest) {
  const base = `${request.protocol}://${request.headers.host}/image/v2/`;
  return {
    versions: VERSIONS.map((v, i) => ({ id: `v${v}`, status: i === 0 ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href: base }] })),
  };
}

export async function metaRoutes(app: FastifyInstance, service: ImageService): Promise<void> {
  // Glance answers its root with 300 Multiple Choices and /versions with 200.
  app.get('/', { config: { public: true } }, async (request, reply) => reply.code(300).send(versions(request)));
  app.get('/versions', { config: { public: true } }, async (request) => versions(request));

  const schemas: Record<string, () => JsonSchema> = {
    image: imageSchema, images: imagesSchema, member: memberSchema, members: membersSchema,
    ...Object.fromEntries(Object.entries(metadefSchemas).map(([name, fn]) => [`metadefs/${name}`, fn])),
  };
  for (const [name, schema] of Object.entries(schemas)) app.get(`/v2/schemas/${name}`, async () => schema());

  app.get('/v2/info/import', async () => ({
    'import-methods': { description: 'Import methods available.', type: 'array', value: [...IMPORT_METHODS] },
  }));
  app.get('/v2/info/stores', async () => {
    throw notFound('Multi backend is not supported at this site.');
  });
  // Quota usage: there are no image limits here (-1), the usage is real.
  app.get('/v2/info/usage', async (request) => {
    const ctx = caller(request);
    const owner = ctx.projectId ?? '';
    const rows = await service.db.selectFrom('images').select(['size', 'status']).where('owner', '=', owner).execute();
    const total = rows.reduce((sum, r) => sum + (r.size ?? 0), 0);
    return {
      usage: {
        image_size_total: { limit: -1, usage: Math.floor(total / (1024 * 1024)) },
        image_count_total: { limit: -1, usage: rows.length },
        image_stage_total: { limit: -1, usage: 0 },
        image_count_uploading: { limit: -1, usage: rows.filter((r) => r.status === 'saving').length },
      },
    };
  });
}
