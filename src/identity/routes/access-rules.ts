/**
 * /v3/users/{user_id}/access_rules: the (service, method, path) rules a user's application
 * credentials are limited to. Rules are created through application credentials, shared
 * between the user's credentials when identical, and can only be deleted once unused.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, forbidden, notFound } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { AccessRuleRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { hexId } from '../../util/ids.js';
import { parseJsonArray } from '../../util/json.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, selfLink } from '../views.js';
import { query } from './common.js';

export interface AccessRuleInput {
  id?: string;
  service?: string;
  path?: string;
  method?: string;
}

const notFoundRule = (id: string) => notFound(`Could not find Access Rule: ${id}.`);

/** As an application credential shows its rules. */
export function accessRuleView(row: AccessRuleRow): Record<string, unknown> {
  return { id: row.id, service: row.service, path: row.path, method: row.method };
}

function linkedView(request: FastifyRequest, row: AccessRuleRow): Record<string, unknown> {
  return { ...accessRuleView(row), links: selfLink(request, `users/${row.user_id}/access_rules/${row.id}`) };
}

/**
 * Turns the rules of a new application credential into rule ids: a rule given by id must be
 * the user's own; an identical rule the user already has is reused; anything else is new.
 */
export async function resolveAccessRules(tx: Tx, userId: string, rules: readonly AccessRuleInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const rule of rules) {
    let row: AccessRuleRow | undefined;
    if (rule.id !== undefined) {
      row = await tx.selectFrom('access_rules').selectAll().where('id', '=', rule.id).executeTakeFirst();
      if (row && row.user_id !== userId) throw notFoundRule(rule.id);
    }
    if (!row) {
      if (rule.service === undefined || rule.path === undefined || rule.method === undefined) {
        if (rule.id !== undefined) throw notFoundRule(rule.id);
        throw badRequest("Invalid input for field 'access_rules': each rule needs 'service', 'path' and 'method'.");
      }
      row = await tx.selectFrom('access_rules').selectAll().where('user_id', '=', userId)
        .where('service', '=', rule.service).where('path', '=', rule.path).where('method', '=', rule.method).executeTakeFirst();
      if (!row) {
        row = { id: rule.id ?? hexId(), user_id: userId, service: rule.service, path: rule.path, method: rule.method };
        await tx.insertInto('access_rules').values(row).execute();
      }
    }
    if (!ids.includes(row.id)) ids.push(row.id);
  }
  return ids;
}

async function inUse(db: Db, userId: string, ruleId: string): Promise<boolean> {
  const creds = await db.selectFrom('application_credentials').select('access_rules').where('user_id', '=', userId).execute();
  return creds.some((c) => parseJsonArray<string>(c.access_rules).includes(ruleId));
}

export async function accessRuleRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/users/:user_id/access_rules', async (request) => {
    const { user_id: userId } = request.params as { user_id: string };
    enforce(identityPolicy.ownCredential, caller(request), { userId });
    const filters = query(request);
    let q = db.selectFrom('access_rules').selectAll().where('user_id', '=', userId);
    if (filters.service !== undefined) q = q.where('service', '=', filters.service);
    if (filters.path !== undefined) q = q.where('path', '=', filters.path);
    if (filters.method !== undefined) q = q.where('method', '=', filters.method);
    const rows = await q.orderBy('id').execute();
    return { access_rules: rows.map((r) => linkedView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/users/:user_id/access_rules/:id', async (request) => {
    const { user_id: userId, id } = request.params as { user_id: string; id: string };
    enforce(identityPolicy.ownCredential, caller(request), { userId });
    const row = await db.selectFrom('access_rules').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw notFoundRule(id);
    return { access_rule: linkedView(request, row) };
  });

  app.delete('/v3/users/:user_id/access_rules/:id', async (request, reply) => {
    const { user_id: userId, id } = request.params as { user_id: string; id: string };
    enforce(identityPolicy.ownCredential, caller(request), { userId });
    const row = await db.selectFrom('access_rules').select('id').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw notFoundRule(id);
    if (await inUse(db, userId, id)) throw forbidden('May not delete access rule in use.');
    await db.deleteFrom('access_rules').where('id', '=', id).execute();
    reply.code(204).send();
  });
}
