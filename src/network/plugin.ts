/** Neutron v2.0 as a Fastify plugin, mounted under /network (the catalog's network endpoint). */
import type { FastifyInstance } from 'fastify';
import { installAuthHook } from '../api/auth-hook.js';
import { installErrorHandler } from '../api/error-handler.js';
import { neutronFault } from '../api/fault-bodies.js';
import { ApiError } from '../api/errors.js';
import type { NetworkService } from './service.js';
import { metaRoutes } from './routes/meta.js';
import { networkRoutes } from './routes/networks.js';
import { subnetRoutes } from './routes/subnets.js';
import { subnetPoolRoutes } from './routes/subnetpools.js';
import { ipAvailabilityRoutes } from './routes/ip-availability.js';
import { portRoutes } from './routes/ports.js';
import { securityGroupRoutes } from './routes/security-groups.js';
import { addressGroupRoutes } from './routes/address-groups.js';
import { quotaRoutes } from './routes/quotas.js';
import { rbacRoutes } from './routes/rbac.js';
import { tagRoutes } from './routes/tags.js';
import { availabilityZoneRoutes } from './routes/availability-zones.js';
import { routerRoutes } from './routes/routers.js';
import { floatingIpRoutes } from './routes/floatingips.js';
import { agentRoutes } from './routes/agents.js';

export async function networkPlugin(app: FastifyInstance, options: { network: NetworkService }): Promise<void> {
  const { network } = options;
  installErrorHandler(app, neutronFault);
  installAuthHook(app, network.identity.tokens);
  app.setNotFoundHandler((request) => {
    throw new ApiError('notFound', `The resource could not be found.`, { type: 'HTTPNotFound', detail: `${request.method} ${request.url}` });
  });
  await metaRoutes(app);
  await networkRoutes(app, network);
  await subnetRoutes(app, network);
  await subnetPoolRoutes(app, network);
  await ipAvailabilityRoutes(app, network);
  await portRoutes(app, network);
  await securityGroupRoutes(app, network);
  await addressGroupRoutes(app, network);
  await quotaRoutes(app, network);
  await rbacRoutes(app, network);
  await tagRoutes(app, network);
  await availabilityZoneRoutes(app, network);
  await routerRoutes(app, network);
  await floatingIpRoutes(app, network);
  await agentRoutes(app, network);
}
