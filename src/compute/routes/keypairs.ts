/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { ComputeService } from '../service.js';

export async function keypairRoutes(_app: FastifyInstance, _service: ComputeService): Promise<void> {}
