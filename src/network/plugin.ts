/** Neutron v2.0 as a Fastify plugin, mounted under /network (the catalog's network endpoint). */
import type { FastifyInstance } from 'fastify';
import { installAuthHook } from '../api/auth-hook.js';
import { installErrorHandler } from '../api/error-handler.js';
import { neutronFault } from '../api/fault-bodies.js';
import { ApiError } from '../api/errors.js';
import type { NetworkService } from './service.js';
import { metaRoutes } from './routes/meta.js';
import { networkRoutes } from './routes/networks.js';

export async function networkPlugin(app: FastifyInstance, options: { network: NetworkService }): Promise<void> {
  const { network } = options;
  installErrorHandler(app, neutronFault);
  installAuthHook(app, network.identity.tokens);
  app.setNotFoundHandler((request) => {
    throw new ApiError('notFound', `The resource could not be found.`, { type: 'HTTPNotFound', detail: `${request.method} ${request.url}` });
  });
  await metaRoutes(app);
  await networkRoutes(app, network);
}
