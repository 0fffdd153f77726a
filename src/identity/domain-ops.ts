/**
 * Creating, updating and deleting domains. Shared by /v3/domains and by /v3/projects, where a
 * domain is a project acting as a domain (is_domain=true) and answers to the same operations.
 */
import { badRequest, conflict, forbidden } from '../api/errors.js';
import { isUniqueViolation } from '../store/store.js';
import type { DomainRow } from '../store/schema.js';
import { hexId, nowIso } from '../util/ids.js';
import { applyRevocations, deleteDomainRows, noRevocations } from './cascade.js';
import type { IdentityService } from './service.js';
import { extraOf, mergeExtra } from './routes/common.js';

/** Attributes with a column of their own; anything else a client sends is kept as extra. */
const DOMAIN_FIELDS = ['id', 'name', 'description', 'enabled', 'tags', 'options', 'explicit_domain_id', 'links',
  'domain_id', 'parent_id', 'is_domain'] as const;

export const DEFAULT_DOMAIN_ID = 'default';

function nameConflict(name: string) {
  return conflict(`Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: ${name}.`);
}

export async function createDomain(identity: IdentityService, body: Record<string, unknown>): Promise<DomainRow> {
  const explicit = body.explicit_domain_id;
  if (explicit !== undefined && explicit !== null && (typeof explicit !== 'string' || !/^[0-9a-f]{32}$/.test(explicit))) {
    throw badRequest('Domain ID does not conform to required UUID format.');
  }
  const row: DomainRow = {
    id: typeof explicit === 'string' ? explicit : hexId(),
    name: String(body.name).trim(),
    description: typeof body.description === 'string' ? body.description : '',
    enabled: body.enabled === false ? 0 : 1,
    extra: extraOf(body, DOMAIN_FIELDS),
    created_at: nowIso(),
  };
  try {
    await identity.store.db.insertInto('domains').values(row).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const sameId = await identity.store.db.selectFrom('domains').select('id').where('id', '=', row.id).executeTakeFirst();
    if (sameId) throw conflict(`Conflict occurred attempting to store project - Duplicate entry found with ID ${row.id}.`);
    throw nameConflict(row.name);
  }
  return row;
}

/** Applies name/description/enabled/extra changes; disabling revokes every token of the domain. */
export async function updateDomain(identity: IdentityService, current: DomainRow, body: Record<string, unknown>): Promise<DomainRow> {
  if (body.id !== undefined && body.id !== null && body.id !== current.id) throw badRequest('Cannot change ID');
  const next: DomainRow = {
    ...current,
    name: typeof body.name === 'string' ? body.name.trim() : current.name,
    description: body.description === undefined ? current.description : typeof body.description === 'string' ? body.description : '',
    enabled: body.enabled === undefined ? current.enabled : body.enabled ? 1 : 0,
    extra: mergeExtra(current.extra, body, DOMAIN_FIELDS),
  };
  try {
    await identity.store.db.updateTable('domains')
      .set({ name: next.name, description: next.description, enabled: next.enabled, extra: next.extra })
      .where('id', '=', current.id).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw nameConflict(next.name);
    throw err;
  }
  if (current.enabled === 1 && next.enabled === 0) await identity.revocations.revoke({ domainId: current.id });
  return next;
}

/** Deletes a disabled domain and all it contains (Keystone refuses an enabled one with 403). */
export async function deleteDomain(identity: IdentityService, current: DomainRow): Promise<void> {
  if (current.id === DEFAULT_DOMAIN_ID) throw forbidden('The default domain cannot be deleted.');
  if (current.enabled) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
  const out = noRevocations();
  await identity.store.transaction((tx) => deleteDomainRows(tx, current.id, out));
  await applyRevocations((m) => identity.revocations.revoke(m), out);
}
