/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '../service.js';

export async function applicationCredentialRoutes(_app: FastifyInstance, _identity: IdentityService): Promise<void> {}
