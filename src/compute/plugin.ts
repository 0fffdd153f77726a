/** Nova v2.1 as a Fastify plugin, mounted under /compute (catalog: http://host:port/compute/v2.1). */
import type { FastifyInstance } from 'fastify';
import { installAuthHook } from '../api/auth-hook.js';
import { installErrorHandler } from '../api/error-handler.js';
import { novaFault } from '../api/fault-bodies.js';
import { notFound } from '../api/errors.js';
import { installMicroversions } from './microversion.js';
import type { ComputeService } from './service.js';
import { versionRoutes } from './routes/versions.js';
import { serverRoutes } from './routes/servers.js';
import { serverActionRoutes } from './routes/server-actions.js';
import { interfaceRoutes } from './routes/interfaces.js';
import { flavorRoutes } from './routes/flavors.js';
import { keypairRoutes } from './routes/keypairs.js';
import { hypervisorRoutes } from './routes/hypervisors.js';
import { serviceRoutes } from './routes/services.js';
import { availabilityZoneRoutes } from './routes/availability-zones.js';
import { limitRoutes } from './routes/limits.js';
import { quotaRoutes } from './routes/quotas.js';
import { serverGroupRoutes } from './routes/server-groups.js';
import { securityGroupProxyRoutes } from './routes/security-groups.js';
import { floatingIpProxyRoutes } from './routes/floating-ips.js';
import { networkProxyRoutes } from './routes/networks-proxy.js';

export async function computePlugin(app: FastifyInstance, options: { compute: ComputeService }): Promise<void> {
  const { compute } = options;
  installErrorHandler(app, novaFault);
  installMicroversions(app);
  installAuthHook(app, compute.identity.tokens);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-compute-request-id', request.id);
  });
  app.setNotFoundHandler(() => {
    throw notFound('The resource could not be found.');
  });
  await versionRoutes(app);
  for (const routes of [serverRoutes, serverActionRoutes, interfaceRoutes, flavorRoutes, keypairRoutes, hypervisorRoutes, serviceRoutes,
    availabilityZoneRoutes, limitRoutes, quotaRoutes, serverGroupRoutes, securityGroupProxyRoutes, floatingIpProxyRoutes, networkProxyRoutes]) {
    await app.register(async (scope) => routes(scope, compute), { prefix: '/v2.1' });
  }
}
