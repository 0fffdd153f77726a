/** The catalog administration API: regions, services and endpoints. */
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '../service.js';
import { endpointRoutes } from './catalog-endpoints.js';
import { regionRoutes } from './catalog-regions.js';
import { serviceRoutes } from './catalog-services.js';

export async function catalogRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  await regionRoutes(app, identity);
  await serviceRoutes(app, identity);
  await endpointRoutes(app, identity);
}
