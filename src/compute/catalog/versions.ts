/** Routes that exist only in a range of microversions answer 404 outside it, as Nova does. */
import type { FastifyRequest } from 'fastify';
import { notFound } from '../../api/errors.js';
import { atLeast } from '../microversion.js';

export function requireMicroversion(request: FastifyRequest, min: string, max?: string): void {
  if (!atLeast(request, min) || (max !== undefined && atLeast(request, max) && !sameVersion(request, max))) {
    throw notFound('The resource could not be found.');
  }
}

function sameVersion(request: FastifyRequest, version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return request.microversion.major === major && request.microversion.minor === minor;
}
