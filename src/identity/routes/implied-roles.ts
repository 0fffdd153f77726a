/** Implied roles: /v3/roles/{prior}/implies[/{implied}] and /v3/role_inferences. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { forbidden, notFound } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { RoleRow } from '../../store/schema.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { baseUrl, roleRefView } from '../views.js';
import { unique } from './common.js';
import { getRole } from './lookups.js';

/** Roles no other role may imply (Keystone's [assignment] prohibited_implied_role default). */
const PROHIBITED_IMPLIED = new Set(['admin']);

interface PairParams {
  readonly priorId: string;
  readonly impliedId: string;
}

function inferenceBody(request: FastifyRequest, prior: RoleRow, implied: RoleRow): Record<string, unknown> {
  return {
    role_inference: { prior_role: roleRefView(request, prior), implies: roleRefView(request, implied) },
    links: { self: `${baseUrl(request)}/v3/roles/${prior.id}/implies/${implied.id}` },
  };
}

export async function impliedRoleRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  /** Both roles must exist (404 names the missing one) and the rule itself must exist. */
  async function existingRule(params: PairParams): Promise<{ prior: RoleRow; implied: RoleRow }> {
    const prior = await getRole(db, params.priorId);
    const implied = await getRole(db, params.impliedId);
    const rule = await db.selectFrom('implied_roles').select('prior_role_id')
      .where('prior_role_id', '=', prior.id).where('implied_role_id', '=', implied.id).executeTakeFirst();
    if (!rule) throw notFound(`${prior.id} does not imply ${implied.id}.`);
    return { prior, implied };
  }

  const path = '/v3/roles/:priorId/implies/:impliedId';

  app.put(path, async (request, reply) => {
    enforce(identityPolicy.manageRole, caller(request));
    const params = request.params as PairParams;
    const prior = await getRole(db, params.priorId);
    const implied = await getRole(db, params.impliedId);
    if (PROHIBITED_IMPLIED.has(implied.name)) throw forbidden(`${implied.id} cannot be an implied roles.`);
    // A domain-specific role only ever serves to imply others; a global role cannot lead to one.
    if (prior.domain_id === '' && implied.domain_id !== '') throw forbidden('Global role cannot imply a domain-specific role');
    await unique(db.insertInto('implied_roles').values({ prior_role_id: prior.id, implied_role_id: implied.id }).execute(), 'implied_role');
    reply.code(201);
    return inferenceBody(request, prior, implied);
  });

  // Keystone answers HEAD on a rule with 204 (not GET's 200 without a body).
  app.head(path, async (request, reply) => {
    enforce(identityPolicy.listRoles, caller(request));
    await existingRule(request.params as PairParams);
    reply.code(204).send();
  });

  app.get(path, { exposeHeadRoute: false }, async (request) => {
    enforce(identityPolicy.listRoles, caller(request));
    const { prior, implied } = await existingRule(request.params as PairParams);
    return inferenceBody(request, prior, implied);
  });

  app.delete(path, async (request, reply) => {
    enforce(identityPolicy.manageRole, caller(request));
    const { prior, implied } = await existingRule(request.params as PairParams);
    await db.deleteFrom('implied_roles').where('prior_role_id', '=', prior.id).where('implied_role_id', '=', implied.id).execute();
    reply.code(204).send();
  });

  app.get('/v3/roles/:priorId/implies', async (request) => {
    enforce(identityPolicy.listRoles, caller(request));
    const { priorId } = request.params as { priorId: string };
    const prior = await getRole(db, priorId);
    const implied = await db.selectFrom('implied_roles').innerJoin('roles', 'roles.id', 'implied_roles.implied_role_id')
      .select(['roles.id', 'roles.name']).where('implied_roles.prior_role_id', '=', prior.id).orderBy('roles.name').execute();
    return {
      role_inference: { prior_role: roleRefView(request, prior), implies: implied.map((r) => roleRefView(request, r)) },
      links: { self: `${baseUrl(request)}/v3/roles/${prior.id}/implies` },
    };
  });

  app.get('/v3/role_inferences', async (request) => {
    enforce(identityPolicy.listRoles, caller(request));
    const rules = await db.selectFrom('implied_roles').select(['prior_role_id', 'implied_role_id']).execute();
    const roles = new Map((await db.selectFrom('roles').select(['id', 'name']).execute()).map((r) => [r.id, r]));
    const byPrior = new Map<string, Record<string, unknown>[]>();
    for (const rule of rules) {
      const implied = roles.get(rule.implied_role_id);
      if (!implied || !roles.has(rule.prior_role_id)) continue;
      byPrior.set(rule.prior_role_id, [...(byPrior.get(rule.prior_role_id) ?? []), roleRefView(request, implied)]);
    }
    const inferences = [...byPrior].map(([priorId, implies]) => ({
      prior_role: roleRefView(request, roles.get(priorId) as { id: string; name: string }),
      implies,
    }));
    return { role_inferences: inferences, links: { self: `${baseUrl(request)}/v3/role_inferences`, previous: null, next: null } };
  });
}
