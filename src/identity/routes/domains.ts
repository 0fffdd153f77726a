/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '../service.js';

export async function domainRoutes(_app: FastifyInstance, _identity: IdentityService): Promise<void> {}
