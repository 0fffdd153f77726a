/** Glance v2 as a Fastify plugin, mounted under /image (the catalog's image endpoint). */
import type { FastifyInstance } from 'fastify';
import { listRoutes } from '../api/app.js';
import { installAuthHook } from '../api/auth-hook.js';
import { ApiError } from '../api/errors.js';
import { installGlanceErrorHandler, notFound } from './errors.js';
import { PATCH_MEDIA_TYPES } from './patch.js';
import type { ImageService } from './service.js';
import { metaRoutes } from './routes/meta.js';
import { imageRoutes } from './routes/images.js';
import { dataRoutes } from './routes/data.js';
import { actionRoutes } from './routes/actions.js';
import { memberRoutes } from './routes/members.js';
import { tagRoutes } from './routes/tags.js';
import { namespaceRoutes } from './metadefs/namespaces.js';
import { metadefChildRoutes } from './metadefs/children.js';

/** A route URL (`/image/v2/images/:id/tags/*`) as a regular expression over concrete paths. */
function routePattern(url: string): RegExp {
  const body = url.split('/').map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return new RegExp(`^${body}$`);
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw Object.assign(err as Error, { statusCode: 400 });
  }
}

export async function imagePlugin(app: FastifyInstance, options: { image: ImageService }): Promise<void> {
  const { image } = options;
  installGlanceErrorHandler(app);
  installAuthHook(app, image.identity.tokens);
  app.setNotFoundHandler((request) => {
    // A known path asked with a method it does not have is Glance's 405, with the methods it has.
    const path = request.url.split('?')[0] ?? '';
    const allowed = listRoutes(app)
      .filter((r) => r.url.startsWith('/image/') && r.method !== 'HEAD' && routePattern(r.url).test(path))
      .map((r) => r.method);
    if (allowed.length) {
      throw new ApiError('methodNotAllowed', `The method ${request.method} is not allowed for this resource.`, { headers: { Allow: [...new Set(allowed)].join(', ') } });
    }
    throw notFound();
  });

  // Image data is streamed, never buffered: the route gets the raw request stream as its body.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  // Glance's two JSON-patch media types; and, as Glance reads any other body as JSON whatever
  // its declared type, text/plain too.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser([...Object.keys(PATCH_MEDIA_TYPES), 'text/plain'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(String(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  await metaRoutes(app, image);
  await imageRoutes(app, image);
  await dataRoutes(app, image);
  await actionRoutes(app, image);
  await memberRoutes(app, image);
  await tagRoutes(app, image);
  const transaction = <T>(fn: Parameters<typeof image.store.transaction<T>>[0]) => image.store.transaction(fn);
  await namespaceRoutes(app, image.db, transaction);
  await metadefChildRoutes(app, image.db, transaction);
}
