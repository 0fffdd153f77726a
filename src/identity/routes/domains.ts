/** /v3/domains: create, list (name, enabled), show, update, delete (disabled first, cascading). */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { enforce } from '../../policy/enforce.js';
import type { DomainRow } from '../../store/schema.js';
import { createDomain, deleteDomain, updateDomain } from '../domain-ops.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, domainView } from '../views.js';
import { missing, query } from './common.js';
import { enabledFilter, inexactFilter } from './listing.js';
import { resourceOptionsSchema, resourceNameSchema, tagListSchema } from './project-schemas.js';

const domainProperties = {
  name: resourceNameSchema,
  description: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
  tags: tagListSchema,
  options: resourceOptionsSchema,
};

const createSchema = {
  type: 'object',
  required: ['domain'],
  properties: {
    domain: {
      type: 'object',
      required: ['name'],
      properties: { ...domainProperties, explicit_domain_id: { type: ['string', 'null'] } },
    },
  },
};

const updateSchema = {
  type: 'object',
  required: ['domain'],
  properties: { domain: { type: 'object', minProperties: 1, properties: domainProperties } },
};

interface DomainParams {
  domain_id: string;
}

export async function domainRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  /** The domain, after the policy check (a caller who may not see it gets 403, not 404). */
  async function load(domainId: string, rule: typeof policy.getDomain, ctx: ReturnType<typeof caller>): Promise<DomainRow> {
    enforce(rule, ctx, { domainId });
    const row = await db.selectFrom('domains').selectAll().where('id', '=', domainId).executeTakeFirst();
    if (!row) throw missing('domain', domainId);
    return row;
  }

  app.post('/v3/domains', { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.manageDomain, caller(request));
    const body = (request.body as { domain: Record<string, unknown> }).domain;
    const row = await createDomain(identity, body);
    reply.code(201);
    return { domain: domainView(request, row) };
  });

  app.get('/v3/domains', async (request) => {
    const ctx = caller(request);
    const q = query(request);
    enforce(policy.listDomains, ctx);
    let sql = db.selectFrom('domains').selectAll().orderBy('name');
    if (q.name !== undefined) sql = sql.where('name', '=', q.name);
    const enabled = enabledFilter(q);
    if (enabled !== undefined) sql = sql.where('enabled', '=', enabled);
    // A domain-scoped token only ever sees its own domain.
    if (ctx.domainId) sql = sql.where('id', '=', ctx.domainId);
    const rows = await sql.execute();
    const views = inexactFilter(rows.map((r) => domainView(request, r)), q, ['name', 'description']);
    return { domains: views, links: collectionLinks(request) };
  });

  app.get<{ Params: DomainParams }>('/v3/domains/:domain_id', async (request) => {
    const row = await load(request.params.domain_id, policy.getDomain, caller(request));
    return { domain: domainView(request, row) };
  });

  app.patch<{ Params: DomainParams }>('/v3/domains/:domain_id', { schema: { body: updateSchema } }, async (request) => {
    const row = await load(request.params.domain_id, policy.manageDomain, caller(request));
    const body = (request.body as { domain: Record<string, unknown> }).domain;
    const updated = await updateDomain(identity, row, body);
    return { domain: domainView(request, updated) };
  });

  app.delete<{ Params: DomainParams }>('/v3/domains/:domain_id', async (request, reply) => {
    const row = await load(request.params.domain_id, policy.manageDomain, caller(request));
    await deleteDomain(identity, row);
    reply.code(204).send();
  });
}
