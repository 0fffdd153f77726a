/**
 * /v3/OS-TRUST/trusts: a trustor delegates roles on a project to a trustee, who then gets
 * trust-scoped tokens (issued by auth/authenticate.ts). Trusts are never updated; deleting
 * one is a soft delete that also ends every trust redelegated from it and its tokens.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { forbidden, notFound } from '../../api/errors.js';
import { allowed, enforce } from '../../policy/enforce.js';
import type { AuthContext } from '../../policy/context.js';
import type { TrustRow } from '../../store/schema.js';
import type { Db } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { trustTime } from '../expiration.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { buildTrust, liveTrust, trustRoleIds, type TrustInput } from '../trust-create.js';
import { baseUrl, collectionLinks, roleView, selfLink } from '../views.js';
import { assertNotRestrictedAppCred } from './application-credentials.js';
import { query, schemaParts } from './common.js';

const createSchema = {
  type: 'object',
  required: ['trust'],
  properties: {
    trust: {
      type: 'object',
      required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
      properties: {
        trustor_user_id: { type: 'string' },
        trustee_user_id: { type: 'string' },
        impersonation: { type: 'boolean' },
        project_id: { type: ['string', 'null'] },
        remaining_uses: { type: ['integer', 'null'], minimum: 1 },
        expires_at: { type: ['string', 'null'] },
        allow_redelegation: { type: ['boolean', 'null'] },
        redelegation_count: { type: ['integer', 'null'], minimum: 0 },
        roles: { type: 'array', items: schemaParts.roleRef },
      },
    },
  },
} as const;

function trustLink(request: FastifyRequest, id: string): string {
  return `${baseUrl(request)}/v3/OS-TRUST/trusts/${id}`;
}

/** The trust as lists show it: no roles. */
function summaryView(request: FastifyRequest, row: TrustRow): Record<string, unknown> {
  return {
    id: row.id,
    trustor_user_id: row.trustor_user_id,
    trustee_user_id: row.trustee_user_id,
    project_id: row.project_id,
    impersonation: row.impersonation === 1,
    expires_at: trustTime(row.expires_at),
    remaining_uses: row.remaining_uses,
    allow_redelegation: row.allow_redelegation === 1,
    redelegation_count: row.redelegation_count,
    redelegated_trust_id: row.redelegated_trust_id,
    links: { self: trustLink(request, row.id) },
  };
}

async function delegatedRoles(request: FastifyRequest, db: Db, row: TrustRow): Promise<Record<string, unknown>[]> {
  const ids = trustRoleIds(row);
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('roles').selectAll().where('id', 'in', ids).execute();
  // A role deleted since the trust was made is no longer listed (the trust's tokens then fail).
  return ids.flatMap((id) => {
    const r = rows.find((x) => x.id === id);
    return r ? [roleView(request, r)] : [];
  });
}

async function fullView(request: FastifyRequest, db: Db, row: TrustRow): Promise<Record<string, unknown>> {
  return {
    ...summaryView(request, row),
    roles: await delegatedRoles(request, db, row),
    roles_links: { self: `${trustLink(request, row.id)}/roles`, previous: null, next: null },
  };
}

/** Trustor, trustee and admins may look at a trust. */
function assertParty(ctx: AuthContext, row: TrustRow): void {
  const party = allowed(identityPolicy.ownCredential, ctx, { userId: row.trustor_user_id })
    || allowed(identityPolicy.ownCredential, ctx, { userId: row.trustee_user_id });
  if (!party) throw forbidden('You are not authorized to perform the requested action: Requested user has no relation to this trust.');
}

/** Soft-deletes the trust and, first, every trust redelegated from it. */
async function deleteTrust(identity: IdentityService, id: string, depth = 0): Promise<void> {
  const db = identity.store.db;
  const children = await db.selectFrom('trusts').select('id').where('redelegated_trust_id', '=', id).where('deleted_at', 'is', null).execute();
  if (depth < 10) for (const child of children) await deleteTrust(identity, child.id, depth + 1);
  await db.updateTable('trusts').set({ deleted_at: nowIso() }).where('id', '=', id).where('deleted_at', 'is', null).execute();
  await identity.revocations.revoke({ trustId: id });
}

export async function trustRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.post('/v3/OS-TRUST/trusts', { schema: { body: createSchema } }, async (request, reply) => {
    const ctx = caller(request);
    assertNotRestrictedAppCred(request, 'trusts');
    const row = await buildTrust(db, ctx.userId, ctx.trustId, (request.body as { trust: TrustInput }).trust);
    await db.insertInto('trusts').values(row).execute();
    reply.code(201);
    return { trust: await fullView(request, db, row) };
  });

  app.get('/v3/OS-TRUST/trusts', async (request) => {
    const ctx = caller(request);
    const filters = query(request);
    const trustor = filters.trustor_user_id;
    const trustee = filters.trustee_user_id;
    let q = db.selectFrom('trusts').selectAll().where('deleted_at', 'is', null);
    if (trustor) {
      enforce(identityPolicy.ownCredential, ctx, { userId: trustor });
      q = q.where('trustor_user_id', '=', trustor);
    } else if (trustee) {
      enforce(identityPolicy.ownCredential, ctx, { userId: trustee });
      q = q.where('trustee_user_id', '=', trustee);
    } else {
      enforce(identityPolicy.listTrusts, ctx);
      // Any other query parameter selects nothing, as in Keystone.
      if (Object.keys(filters).length > 0) return { trusts: [], links: collectionLinks(request) };
    }
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return { trusts: rows.map((r) => summaryView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/OS-TRUST/trusts/:trust_id', async (request) => {
    const { trust_id: id } = request.params as { trust_id: string };
    const row = await liveTrust(db, id);
    assertParty(caller(request), row);
    return { trust: await fullView(request, db, row) };
  });

  app.get('/v3/OS-TRUST/trusts/:trust_id/roles', async (request) => {
    const { trust_id: id } = request.params as { trust_id: string };
    const row = await liveTrust(db, id);
    assertParty(caller(request), row);
    return { roles: await delegatedRoles(request, db, row), links: { ...selfLink(request, `OS-TRUST/trusts/${id}/roles`), previous: null, next: null } };
  });

  app.get('/v3/OS-TRUST/trusts/:trust_id/roles/:role_id', async (request) => {
    const { trust_id: id, role_id: roleId } = request.params as { trust_id: string; role_id: string };
    const row = await liveTrust(db, id);
    assertParty(caller(request), row);
    const role = trustRoleIds(row).includes(roleId)
      ? await db.selectFrom('roles').selectAll().where('id', '=', roleId).executeTakeFirst()
      : undefined;
    if (!role) throw notFound(`Could not find role: ${roleId}.`);
    return { role: roleView(request, role) };
  });

  app.delete('/v3/OS-TRUST/trusts/:trust_id', async (request, reply) => {
    const ctx = caller(request);
    const { trust_id: id } = request.params as { trust_id: string };
    const row = await liveTrust(db, id);
    enforce(identityPolicy.deleteTrust, ctx, { userId: row.trustor_user_id });
    assertNotRestrictedAppCred(request, 'trusts');
    await deleteTrust(identity, id);
    reply.code(204).send();
  });
}
