/**
 * Creating, updating and deleting users and changing passwords, as Keystone's identity
 * manager does: names unique per domain, a domain may not be a default project, and a new
 * password or a disabled user revokes the user's tokens.
 */
import { badRequest, conflict, notFound, unauthorized } from '../api/errors.js';
import type { AuthContext } from '../policy/context.js';
import { enforce } from '../policy/enforce.js';
import { isUniqueViolation } from '../store/store.js';
import type { UserRow } from '../store/schema.js';
import { hexId, nowIso } from '../util/ids.js';
import { isPlainObject, parseJsonObject } from '../util/json.js';
import { applyRevocations, deleteUserRows, noRevocations } from './cascade.js';
import { hashPassword, verifyPassword } from './password.js';
import { identityPolicy as policy } from './policy.js';
import { defaultDomainFor } from './project-ops.js';
import type { IdentityService } from './service.js';
import { extraOf, mergeExtra } from './routes/common.js';

const USER_FIELDS = ['id', 'name', 'domain_id', 'enabled', 'default_project_id', 'password', 'description', 'email', 'options',
  'links', 'password_expires_at', 'federated'] as const;

function nameConflict(name: string, domainId: string) {
  return conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID ${domainId}.`);
}

/** Keystone resolves federated users against identity providers; Kumo has none. */
function refuseFederated(body: Record<string, unknown>): void {
  const list = body.federated;
  if (Array.isArray(list) && list.length) {
    const first = list[0] as { idp_id?: unknown };
    throw badRequest(`Could not find Identity Provider: ${String(first?.idp_id)}`);
  }
}

async function assertNotDomain(identity: IdentityService, defaultProjectId: unknown): Promise<void> {
  if (typeof defaultProjectId !== 'string' || !defaultProjectId) return;
  const domain = await identity.store.db.selectFrom('domains').select('id').where('id', '=', defaultProjectId).executeTakeFirst();
  if (domain) throw badRequest(`User's default project ID cannot be a domain ID: ${defaultProjectId}`);
}

/** Options merge key by key; null removes one (Keystone's resource options). */
function mergeOptions(stored: string, update: unknown): string {
  const options = parseJsonObject(stored);
  if (isPlainObject(update)) {
    for (const [key, value] of Object.entries(update)) {
      if (value === null) delete options[key];
      else options[key] = value;
    }
  }
  return JSON.stringify(options);
}

function optionalString(value: unknown, fallback: string | null): string | null {
  if (value === undefined) return fallback;
  return typeof value === 'string' ? value : null;
}

export async function createUser(identity: IdentityService, ctx: AuthContext, body: Record<string, unknown>): Promise<UserRow> {
  const db = identity.store.db;
  const domainId = typeof body.domain_id === 'string' && body.domain_id ? body.domain_id : defaultDomainFor(ctx);
  enforce(policy.manageUser, ctx, { domainId });
  if (!(await db.selectFrom('domains').select('id').where('id', '=', domainId).executeTakeFirst())) {
    throw notFound(`Could not find domain: ${domainId}.`);
  }
  refuseFederated(body);
  await assertNotDomain(identity, body.default_project_id);
  const password = typeof body.password === 'string' ? body.password : null;
  const now = nowIso();
  const row: UserRow = {
    id: hexId(),
    name: String(body.name).trim(),
    domain_id: domainId,
    enabled: body.enabled === false ? 0 : 1,
    default_project_id: typeof body.default_project_id === 'string' && body.default_project_id ? body.default_project_id : null,
    password_hash: password === null ? null : await hashPassword(password, identity.config.passwordHashCost),
    password_created_at: password === null ? null : now,
    password_expires_at: null,
    description: typeof body.description === 'string' ? body.description : '',
    email: typeof body.email === 'string' ? body.email : null,
    options: mergeOptions('{}', body.options),
    extra: extraOf(body, USER_FIELDS),
    created_at: now,
  };
  try {
    await db.insertInto('users').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw nameConflict(row.name, domainId);
    throw err;
  }
  return row;
}

export async function updateUser(identity: IdentityService, current: UserRow, body: Record<string, unknown>): Promise<UserRow> {
  if (body.id !== undefined && body.id !== null && body.id !== current.id) throw badRequest('Cannot change user ID');
  if ('domain_id' in body && body.domain_id !== current.domain_id) throw badRequest('Cannot change Domain ID');
  refuseFederated(body);
  await assertNotDomain(identity, body.default_project_id);
  const password = body.password;
  const passwordChange = password === undefined ? {} : {
    password_hash: typeof password === 'string' ? await hashPassword(password, identity.config.passwordHashCost) : null,
    password_created_at: typeof password === 'string' ? nowIso() : null,
  };
  const next: UserRow = {
    ...current,
    ...passwordChange,
    name: typeof body.name === 'string' ? body.name.trim() : current.name,
    enabled: body.enabled === undefined ? current.enabled : body.enabled ? 1 : 0,
    default_project_id: body.default_project_id === undefined ? current.default_project_id : (body.default_project_id as string | null) || null,
    description: body.description === undefined ? current.description : typeof body.description === 'string' ? body.description : '',
    email: optionalString(body.email, current.email),
    options: mergeOptions(current.options, body.options),
    extra: mergeExtra(current.extra, body, USER_FIELDS),
  };
  try {
    await identity.store.db.updateTable('users').set({
      name: next.name, enabled: next.enabled, default_project_id: next.default_project_id, password_hash: next.password_hash,
      password_created_at: next.password_created_at, description: next.description, email: next.email, options: next.options, extra: next.extra,
    }).where('id', '=', current.id).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw nameConflict(next.name, current.domain_id);
    throw err;
  }
  if ((current.enabled && !next.enabled) || typeof password === 'string') await identity.revocations.revoke({ userId: current.id });
  return next;
}

export async function deleteUser(identity: IdentityService, current: UserRow): Promise<void> {
  const out = noRevocations();
  await identity.store.transaction((tx) => deleteUserRows(tx, current.id, out));
  await applyRevocations((m) => identity.revocations.revoke(m), out);
}

/**
 * Self-service password change. The original password is the proof of identity (no token
 * is needed: a user whose password expired has none); every older token is revoked.
 */
export async function changePassword(identity: IdentityService, userId: string, original: string, replacement: string): Promise<void> {
  const db = identity.store.db;
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user || !(await verifyPassword(original, user.password_hash))) throw unauthorized();
  if (parseJsonObject(user.options).lock_password === true) {
    throw badRequest('You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.');
  }
  const hash = await hashPassword(replacement, identity.config.passwordHashCost);
  await db.updateTable('users').set({ password_hash: hash, password_created_at: nowIso() }).where('id', '=', userId).execute();
  await identity.revocations.revoke({ userId });
}
