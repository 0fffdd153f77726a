/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { NetworkService } from '../service.js';

export async function subnetRoutes(_app: FastifyInstance, _service: NetworkService): Promise<void> {}
