/** /v3/auth/*: issue, validate, revoke tokens; what the caller may scope to; the catalog. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { forbidden, notFound } from '../../api/errors.js';
import { isAdmin } from '../../policy/context.js';
import { authenticate, type AuthBody } from '../auth/authenticate.js';
import { tokenView } from '../auth/token-view.js';
import { filterCatalogForProject, type CatalogEntry } from '../catalog.js';
import type { IdentityService } from '../service.js';
import type { ValidatedToken } from '../tokens/provider.js';
import { collectionLinks, domainView, projectView, selfLink } from '../views.js';
import { grantedRoleIds } from '../roles.js';

const nameOrId = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    domain: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
  },
};

const authSchema = {
  type: 'object',
  required: ['auth'],
  properties: {
    auth: {
      type: 'object',
      required: ['identity'],
      properties: {
        identity: {
          type: 'object',
          required: ['methods'],
          properties: {
            methods: { type: 'array', items: { type: 'string' } },
            password: { type: 'object', properties: { user: { ...nameOrId, properties: { ...nameOrId.properties, password: { type: 'string' } } } } },
            token: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
            application_credential: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, secret: { type: 'string' }, user: nameOrId } },
          },
        },
        scope: { type: ['object', 'string'] },
      },
    },
  },
};

function wantsCatalog(request: FastifyRequest): boolean {
  const query = request.query as Record<string, string | undefined>;
  return query.nocatalog === undefined;
}

async function catalogFor(identity: IdentityService, v: ValidatedToken): Promise<readonly CatalogEntry[]> {
  const catalog = await identity.catalog.get();
  return v.project ? filterCatalogForProject(identity.store.db, catalog, v.project.id) : catalog;
}

function subjectToken(request: FastifyRequest): string {
  const header = request.headers['x-subject-token'];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token) throw notFound('Could not find token, X-Subject-Token header is missing.');
  return token.trim();
}

export async function authRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.post('/v3/auth/tokens', { config: { public: true }, schema: { body: authSchema } }, async (request, reply) => {
    const issue = await authenticate(db, identity.tokens, request.body as AuthBody);
    const token = await identity.tokens.issue(issue);
    reply.code(201).header('x-subject-token', token.token);
    return { token: tokenView(request, token, wantsCatalog(request) ? await catalogFor(identity, token) : null) };
  });

  app.get('/v3/auth/tokens', async (request) => {
    const ctx = caller(request);
    const subject = await identity.tokens.inspect(subjectToken(request));
    if (subject.user.id !== ctx.userId && !isAdmin(ctx) && !ctx.roles.has('service')) throw forbidden();
    return { token: tokenView(request, subject, wantsCatalog(request) ? await catalogFor(identity, subject) : null) };
  });

  app.delete('/v3/auth/tokens', async (request, reply) => {
    const ctx = caller(request);
    const subject = await identity.tokens.inspect(subjectToken(request));
    if (subject.user.id !== ctx.userId && !isAdmin(ctx) && !ctx.roles.has('service')) throw forbidden();
    await identity.tokens.revoke(subject);
    reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (request) => {
    const v = request.validatedToken as ValidatedToken;
    if (!v.project && !v.domain && !v.system) throw forbidden('An unscoped token has no catalog.');
    return { catalog: await catalogFor(identity, v), links: collectionLinks(request) };
  });

  app.get('/v3/auth/projects', async (request) => {
    const ctx = caller(request);
    const projects = await db.selectFrom('projects').selectAll().where('enabled', '=', 1).orderBy('name').execute();
    const visible = [];
    for (const p of projects) {
      if ((await grantedRoleIds(db, ctx.userId, { type: 'project', id: p.id })).size > 0) visible.push(projectView(request, p, []));
    }
    return { projects: visible, links: collectionLinks(request) };
  });

  app.get('/v3/auth/domains', async (request) => {
    const ctx = caller(request);
    const domains = await db.selectFrom('domains').selectAll().where('enabled', '=', 1).orderBy('name').execute();
    const visible = [];
    for (const d of domains) {
      if ((await grantedRoleIds(db, ctx.userId, { type: 'domain', id: d.id })).size > 0) visible.push(domainView(request, d));
    }
    return { domains: visible, links: collectionLinks(request) };
  });

  app.get('/v3/auth/system', async (request) => {
    const ctx = caller(request);
    const roles = await grantedRoleIds(db, ctx.userId, { type: 'system' });
    return { system: roles.size > 0 ? [{ all: true }] : [], links: { ...selfLink(request, 'auth/system'), previous: null, next: null } };
  });
}
