/**
 * The HTTP server: one Fastify instance, one plugin per OpenStack service. Cross-cutting
 * behaviour lives here: request ids on every response, JSON parsing that tolerates an empty
 * body, no type coercion of request bodies (OpenStack rejects "true" where it wants true).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { uuid } from '../util/ids.js';

export interface AppOptions {
  readonly logger: Logger;
  /** Largest request body accepted (image uploads stream and are not subject to it). */
  readonly bodyLimit?: number;
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
}

const ROUTES = Symbol('kumo.routes');

/** Every route registered on the server, for tests that sweep the whole API. */
export function listRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return (app as unknown as { [ROUTES]: RouteEntry[] })[ROUTES] ?? [];
}

export function createHttpServer(options: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    genReqId: () => `req-${uuid()}`,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
    // Path parameters can be long: Neutron tags are up to 255 characters (percent-encoded, more).
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 2048 },
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  const routes: RouteEntry[] = [];
  (app as unknown as { [ROUTES]: RouteEntry[] })[ROUTES] = routes;
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({ method, url: route.url, public: Boolean((route.config as { public?: boolean } | undefined)?.public) });
    }
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(/^application\/(.+\+)?json/, { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const error = err as Error & { statusCode?: number };
      error.statusCode = 400;
      done(error, undefined);
    }
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500 || request.log.level === 'debug' || request.log.level === 'trace') {
      request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request');
    }
  });
  return app;
}
