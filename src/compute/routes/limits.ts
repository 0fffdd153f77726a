/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { ComputeService } from '../service.js';

export async function limitRoutes(_app: FastifyInstance, _service: ComputeService): Promise<void> {}
