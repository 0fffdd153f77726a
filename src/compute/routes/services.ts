/** (being written) */
import type { FastifyInstance } from 'fastify';
import type { ComputeService } from '../service.js';

export async function serviceRoutes(_app: FastifyInstance, _service: ComputeService): Promise<void> {}
