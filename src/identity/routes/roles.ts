/** /v3/roles: global and domain-specific roles (create, list, show, update, delete). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, forbidden } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { RoleRow } from '../../store/schema.js';
import { hexId } from '../../util/ids.js';
import { parseJsonObject } from '../../util/json.js';
import { revokeForAssignments } from '../grant-revocation.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, roleView } from '../views.js';
import { mergeExtra, query, unique } from './common.js';
import { impliedRoleRoutes } from './implied-roles.js';
import { getDomain, getRole } from './lookups.js';

/** Attributes a role stores in its own columns; anything else a client sends is "extra". */
const KNOWN = ['id', 'name', 'domain_id', 'description', 'options', 'links'] as const;

/** Role options Keystone knows; a null value removes the option. */
const optionsSchema = {
  type: 'object',
  properties: { immutable: { type: ['boolean', 'null'] } },
  additionalProperties: false,
} as const;

const roleProperties = {
  // Keystone wants at least one non-blank character somewhere in the name.
  name: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' },
  description: { type: ['string', 'null'] },
  domain_id: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
  options: optionsSchema,
} as const;

const createSchema = {
  type: 'object',
  required: ['role'],
  additionalProperties: false,
  properties: { role: { type: 'object', required: ['name'], properties: roleProperties } },
} as const;

const updateSchema = {
  type: 'object',
  required: ['role'],
  additionalProperties: false,
  properties: { role: { type: 'object', minProperties: 1, properties: roleProperties } },
} as const;

interface RoleBody {
  readonly name?: string;
  readonly description?: string | null;
  readonly domain_id?: string | null;
  readonly options?: Record<string, boolean | null>;
  readonly id?: string;
  readonly [key: string]: unknown;
}

/** Applies an options update: true/false set the option, null removes it. */
function mergeOptions(stored: string, update: Record<string, boolean | null> | undefined): string {
  const options = parseJsonObject(stored);
  for (const [key, value] of Object.entries(update ?? {})) {
    if (value === null) delete options[key];
    else options[key] = value;
  }
  return JSON.stringify(options);
}

function isImmutable(row: RoleRow): boolean {
  return parseJsonObject(row.options).immutable === true;
}

/** Keystone's inexact filters (name__icontains=...) on top of exact ones. */
function nameMatches(name: string, q: Record<string, string>): boolean {
  const tests: Record<string, (a: string, b: string) => boolean> = {
    contains: (a, b) => a.includes(b),
    startswith: (a, b) => a.startsWith(b),
    endswith: (a, b) => a.endsWith(b),
  };
  for (const [key, value] of Object.entries(q)) {
    const m = /^name__(i?)(contains|startswith|endswith)$/.exec(key);
    if (!m) continue;
    const fold = m[1] === 'i' ? (s: string) => s.toLowerCase() : (s: string) => s;
    if (!tests[m[2] as string]!(fold(name), fold(value))) return false;
  }
  return true;
}

export async function roleRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/roles', async (request: FastifyRequest) => {
    const q = query(request);
    const domainId = q.domain_id || null;
    enforce(identityPolicy.listRoles, caller(request), { domainId });
    // Without a domain_id filter Keystone lists only the global roles.
    let rows = db.selectFrom('roles').selectAll().where('domain_id', '=', domainId ?? '');
    if (q.name !== undefined) rows = rows.where('name', '=', q.name);
    const roles = (await rows.orderBy('name').execute()).filter((r) => nameMatches(r.name, q));
    return { roles: roles.map((r) => roleView(request, r)), links: collectionLinks(request) };
  });

  app.post('/v3/roles', { schema: { body: createSchema } }, async (request, reply) => {
    const body = (request.body as { role: RoleBody }).role;
    const domainId = body.domain_id ?? null;
    enforce(identityPolicy.manageRole, caller(request), { domainId });
    if (domainId) await getDomain(db, domainId);
    const row: RoleRow = {
      id: hexId(),
      name: body.name as string,
      domain_id: domainId ?? '',
      description: body.description ?? '',
      options: mergeOptions('{}', body.options),
      extra: mergeExtra('{}', body, KNOWN),
    };
    await unique(db.insertInto('roles').values(row).execute(), `role - Duplicate entry found with name ${row.name}`);
    reply.code(201);
    return { role: roleView(request, row) };
  });

  app.get('/v3/roles/:roleId', async (request) => {
    const { roleId } = request.params as { roleId: string };
    const row = await getRole(db, roleId);
    enforce(identityPolicy.getRole, caller(request), { domainId: row.domain_id || null });
    return { role: roleView(request, row) };
  });

  app.patch('/v3/roles/:roleId', { schema: { body: updateSchema } }, async (request) => {
    const { roleId } = request.params as { roleId: string };
    const body = (request.body as { role: RoleBody }).role;
    const row = await getRole(db, roleId);
    enforce(identityPolicy.manageRole, caller(request), { domainId: row.domain_id || null });
    if (body.id !== undefined && body.id !== roleId) throw badRequest('Cannot change ID');
    // An immutable role accepts exactly one change: clearing its immutable option.
    if (isImmutable(row)) {
      const keys = Object.keys(body);
      const clearing = keys.length === 1 && body.options !== undefined && 'immutable' in body.options && body.options.immutable !== true;
      if (!clearing) throw forbidden(`Unable to update immutable role resource: \`${roleId}. Set resource option "immutable" to false first.`);
    }
    if ('domain_id' in body && (body.domain_id ?? '') !== row.domain_id) throw badRequest('Update of `domain_id` is not allowed.');
    const updated: RoleRow = {
      ...row,
      name: body.name ?? row.name,
      description: body.description === undefined ? row.description : (body.description ?? ''),
      options: mergeOptions(row.options, body.options),
      extra: mergeExtra(row.extra, body, KNOWN),
    };
    await unique(
      db.updateTable('roles').set({ name: updated.name, description: updated.description, options: updated.options, extra: updated.extra })
        .where('id', '=', roleId).execute(),
      `role - Duplicate entry found with name ${updated.name}`,
    );
    return { role: roleView(request, updated) };
  });

  app.delete('/v3/roles/:roleId', async (request, reply) => {
    const { roleId } = request.params as { roleId: string };
    const row = await getRole(db, roleId);
    enforce(identityPolicy.manageRole, caller(request), { domainId: row.domain_id || null });
    if (isImmutable(row)) throw forbidden(`Unable to delete immutable role resource: \`${roleId}. Set resource option "immutable" to false first.`);
    const removed = await identity.store.transaction(async (tx) => {
      const grants = await tx.selectFrom('assignments').selectAll().where('role_id', '=', roleId).execute();
      await tx.deleteFrom('assignments').where('role_id', '=', roleId).execute();
      await tx.deleteFrom('implied_roles').where((eb) => eb.or([eb('prior_role_id', '=', roleId), eb('implied_role_id', '=', roleId)])).execute();
      await tx.deleteFrom('roles').where('id', '=', roleId).execute();
      return grants;
    });
    // Whoever held the role may hold tokens that carry it.
    await revokeForAssignments(identity, removed, { wholeUser: true });
    reply.code(204).send();
  });

  await impliedRoleRoutes(app, identity);
}
