/** The default group a list call is about, created before listing groups or rules (Neutron's "on first need"). */
import type { FastifyRequest } from 'fastify';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import { parseQuery, single } from '../listing.js';
import type { NetworkService } from '../service.js';
import { ensureDefaultSecurityGroup } from './defaults.js';

/**
 * Makes the default group of the project a list is about exist: the one named by a
 * project_id/tenant_id filter (admins only; others list only their own anyway) or the caller's.
 */
export async function ensureDefaultForListing(service: NetworkService, request: FastifyRequest, ctx: AuthContext): Promise<void> {
  if (!ctx.projectId) return;
  const query = parseQuery(request);
  const asked = single(query, 'project_id') ?? single(query, 'tenant_id');
  const projectId = asked !== undefined && isAdmin(ctx) ? asked : ctx.projectId;
  if (projectId === '') return;
  await service.store.transaction((tx) => ensureDefaultSecurityGroup(tx, projectId));
}
