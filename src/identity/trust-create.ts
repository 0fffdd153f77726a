/**
 * The rules a new trust must satisfy (OS-TRUST): the trustor delegates only roles it holds on
 * the project, a trust used to create another (redelegation) bounds the new one in roles,
 * expiry and depth, and limited-use trusts cannot be redelegated.
 */
import { badRequest, forbidden, notFound } from '../api/errors.js';
import type { TrustRow } from '../store/schema.js';
import type { Db } from '../store/store.js';
import { hexId, nowIso } from '../util/ids.js';
import { parseJsonArray } from '../util/json.js';
import { parseExpiration } from './expiration.js';
import { expandImplied, grantedRoleIds } from './roles.js';

/** Keystone's [trust] max_redelegation_count default. */
export const MAX_REDELEGATION_COUNT = 3;

export interface TrustInput {
  trustor_user_id: string;
  trustee_user_id: string;
  impersonation: boolean;
  project_id?: string | null;
  roles?: { id?: string; name?: string }[];
  expires_at?: string | null;
  remaining_uses?: number | null;
  allow_redelegation?: boolean | null;
  redelegation_count?: number | null;
}

/** A trust that may still be used: not deleted, not expired, uses left. Else Keystone's 404. */
export async function liveTrust(db: Db, id: string): Promise<TrustRow> {
  const row = await db.selectFrom('trusts').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  const dead = !row || (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) || (row.remaining_uses !== null && row.remaining_uses <= 0);
  if (dead) throw notFound(`Could not find trust: ${id}.`);
  return row;
}

export function trustRoleIds(row: TrustRow): string[] {
  return parseJsonArray<{ id: string }>(row.roles).map((r) => r.id);
}

async function roleIdsOf(db: Db, refs: readonly { id?: string; name?: string }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    let id = ref.id;
    if (id === undefined) {
      const row = await db.selectFrom('roles').select('id').where('name', '=', String(ref.name)).where('domain_id', '=', '').executeTakeFirst();
      if (!row) throw notFound(`Could not find role: ${ref.name}.`);
      id = row.id;
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The chain from a trust up to the original one (the trust itself first). */
async function pedigree(db: Db, trust: TrustRow): Promise<TrustRow[]> {
  const chain = [trust];
  let current = trust;
  while (current.redelegated_trust_id && chain.length <= MAX_REDELEGATION_COUNT + 1) {
    const parent = await db.selectFrom('trusts').selectAll().where('id', '=', current.redelegated_trust_id).executeTakeFirst();
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

/** Every role the new trust names must be held by the original trustor on the project. */
async function assertTrustorHolds(db: Db, trustorId: string, projectId: string | null, roleIds: readonly string[]): Promise<void> {
  let held = new Set<string>();
  if (projectId) {
    const project = await db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
    if (!project) throw notFound(`Could not find project: ${projectId}.`);
    // Domain-specific roles count here (Keystone does not strip them for this check).
    held = await expandImplied(db, await grantedRoleIds(db, trustorId, { type: 'project', id: projectId }));
  }
  for (const id of roleIds) if (!held.has(id)) throw notFound(`Could not find role: ${id}.`);
}

function checkAgainstParent(parent: TrustRow, next: { expiresMs: number | null; remainingUses: number | null; roleIds: readonly string[] }): void {
  if (!(parent.redelegation_count > 0 && parent.redelegation_count <= MAX_REDELEGATION_COUNT)) {
    throw forbidden(`Remaining redelegation depth of ${parent.redelegation_count} out of allowed range of [0..${MAX_REDELEGATION_COUNT}].`);
  }
  if (next.remainingUses !== null) throw forbidden(`Field "remaining_uses" is set to ${next.remainingUses} while it must not be set in order to redelegate a trust.`);
  if (next.expiresMs !== null && parent.expires_at !== null && Date.parse(parent.expires_at) < next.expiresMs) {
    throw forbidden('Requested expiration time is more than redelegated trust can provide.');
  }
  const parentRoles = new Set(trustRoleIds(parent));
  if (!next.roleIds.every((id) => parentRoles.has(id))) throw forbidden('Some of requested roles are not in redelegated trust.');
}

/**
 * Validates a create request made by `callerId` (with `viaTrustId` when the caller's token is
 * itself trust-scoped) and returns the row to store.
 */
export async function buildTrust(db: Db, callerId: string, viaTrustId: string | null, input: TrustInput): Promise<TrustRow> {
  const projectId = input.project_id ? input.project_id : null;
  if (projectId && (!input.roles || input.roles.length === 0)) {
    throw forbidden('You are not authorized to perform the requested action: At least one role should be specified.');
  }
  if (callerId !== input.trustor_user_id) {
    throw forbidden('You are not authorized to perform the requested action: The authenticated user should match the trustor.');
  }
  const trustee = await db.selectFrom('users').select('id').where('id', '=', input.trustee_user_id).executeTakeFirst();
  if (!trustee) throw notFound(`Could not find user: ${input.trustee_user_id}.`);

  const roleIds = await roleIdsOf(db, input.roles ?? []);
  const parent = viaTrustId ? await liveTrust(db, viaTrustId) : null;
  const chain = parent ? await pedigree(db, parent) : [];
  const original = chain[chain.length - 1];
  await assertTrustorHolds(db, original ? original.trustor_user_id : input.trustor_user_id, projectId, roleIds);
  const expiry = parseExpiration(input.expires_at);
  const remainingUses = input.remaining_uses ?? null;

  const requested = input.redelegation_count ?? null;
  const redelegatable = input.allow_redelegation === true && requested !== 0;
  let count: number;
  if (!redelegatable) {
    count = 0;
  } else {
    if (requested !== null && requested > MAX_REDELEGATION_COUNT) {
      throw forbidden(`Requested redelegation depth of ${requested} is greater than allowed ${MAX_REDELEGATION_COUNT}.`);
    }
    if (remainingUses !== null) throw badRequest('remaining_uses must not be set if redelegation is allowed.');
    count = requested ?? MAX_REDELEGATION_COUNT;
  }

  let expiresAt = expiry?.stored ?? null;
  if (parent) {
    const remaining = parent.redelegation_count - 1;
    if (redelegatable && requested && requested !== remaining) {
      throw forbidden('Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.');
    }
    if (redelegatable && requested === null) count = remaining;
    for (const link of chain) checkAgainstParent(link, { expiresMs: expiry?.ms ?? null, remainingUses, roleIds });
    // Without an expiry of its own, a redelegated trust ends when the one it comes from does.
    if (expiresAt === null) expiresAt = parent.expires_at;
  }

  return {
    id: hexId(),
    trustor_user_id: input.trustor_user_id,
    trustee_user_id: input.trustee_user_id,
    project_id: projectId,
    impersonation: input.impersonation ? 1 : 0,
    expires_at: expiresAt,
    remaining_uses: remainingUses,
    allow_redelegation: count > 0 ? 1 : 0,
    redelegation_count: count,
    redelegated_trust_id: parent?.id ?? null,
    roles: JSON.stringify(roleIds.map((id) => ({ id }))),
    deleted_at: null,
    created_at: nowIso(),
  };
}
