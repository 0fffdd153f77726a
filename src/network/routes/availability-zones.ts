/**
 * /v2.0/availability_zones: Kumo runs one zone, `nova`, holding networks and routers (Neutron
 * lists a zone per resource type its agents serve). Any authenticated caller may list them.
 */
import type { FastifyInstance } from 'fastify';
import { listResponse } from '../listing.js';
import type { NetworkService } from '../service.js';

export const AVAILABILITY_ZONE = 'nova';

export async function availabilityZoneRoutes(app: FastifyInstance, _service: NetworkService): Promise<void> {
  app.get('/v2.0/availability_zones', async (request) => {
    const zones = ['network', 'router'].map((resource) => ({ name: AVAILABILITY_ZONE, resource, state: 'available' }));
    return listResponse(request, 'availability_zones', zones, { knownAttributes: ['name', 'resource', 'state'] });
  });
}
