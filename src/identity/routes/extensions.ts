/**
 * Keystone's admin extensions: policy blobs, OS-EP-FILTER (endpoint groups and project
 * endpoint associations), OS-OAUTH1 consumers and domain-specific configuration.
 */
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '../service.js';
import { domainConfigRoutes } from './domain-configs.js';
import { endpointGroupRoutes } from './endpoint-groups.js';
import { epFilterRoutes } from './ep-filter.js';
import { oauthConsumerRoutes } from './oauth-consumers.js';
import { policyRoutes } from './policies.js';

export async function extensionRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  await policyRoutes(app, identity);
  await endpointGroupRoutes(app, identity);
  await epFilterRoutes(app, identity);
  await oauthConsumerRoutes(app, identity);
  await domainConfigRoutes(app, identity);
}
