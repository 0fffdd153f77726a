/**
 * POST /v3/auth/tokens: who is the caller (password, token, application credential) and what
 * scope do they get (project, domain, system, trust, or none). Every failure to prove
 * identity or to claim a scope is the same 401, as in Keystone, so nothing is revealed.
 */
import type { Db } from '../../store/store.js';
import { ApiError, badRequest, forbidden, unauthorized } from '../../api/errors.js';
import { verifyPassword } from '../password.js';
import { effectiveRoles } from '../roles.js';
import type { TokenScope } from '../tokens/format.js';
import type { IssueRequest, TokenProvider } from '../tokens/provider.js';
import { isPlainObject, parseJsonArray } from '../../util/json.js';
import { hashSecretMatches } from '../secrets.js';

interface NameOrId {
  id?: string;
  name?: string;
  domain?: { id?: string; name?: string };
}

export interface AuthBody {
  auth: {
    identity: {
      methods: string[];
      password?: { user: NameOrId & { password: string } };
      token?: { id: string };
      application_credential?: { id?: string; name?: string; secret: string; user?: NameOrId };
    };
    scope?: unknown;
  };
}

const denied = () => unauthorized('The request you have made requires authentication.');

async function findDomainId(db: Db, ref: { id?: string; name?: string } | undefined): Promise<string> {
  if (!ref || (ref.id === undefined && ref.name === undefined)) throw badRequest('Expecting to find domain in user or project - the server could not comply with the request since it is either malformed or otherwise incorrect.');
  const row = ref.id !== undefined
    ? await db.selectFrom('domains').select(['id', 'enabled']).where('id', '=', ref.id).executeTakeFirst()
    : await db.selectFrom('domains').select(['id', 'enabled']).where('name', '=', String(ref.name)).executeTakeFirst();
  if (!row || !row.enabled) throw denied();
  return row.id;
}

async function findUser(db: Db, ref: NameOrId) {
  if (ref.id !== undefined) return db.selectFrom('users').selectAll().where('id', '=', ref.id).executeTakeFirst();
  if (ref.name === undefined) throw badRequest("Invalid input for field 'user': either 'id' or 'name' is required.");
  const domainId = await findDomainId(db, ref.domain);
  return db.selectFrom('users').selectAll().where('name', '=', ref.name).where('domain_id', '=', domainId).executeTakeFirst();
}

async function assertUserActive(db: Db, user: { enabled: number; domain_id: string } | undefined): Promise<void> {
  if (!user || !user.enabled) throw denied();
  const domain = await db.selectFrom('domains').select('enabled').where('id', '=', user.domain_id).executeTakeFirst();
  if (!domain?.enabled) throw denied();
}

interface Identified {
  userId: string;
  methods: string[];
  /** Set when the token method was used: the token's expiry and audit chain carry over. */
  fromToken?: { expiresAt: number; auditId: string; scoped: boolean; trustId?: string | undefined; appCredId?: string | undefined };
  appCred?: { id: string; projectId: string };
}

async function identify(db: Db, tokens: TokenProvider, identity: AuthBody['auth']['identity']): Promise<Identified> {
  const methods = identity.methods;
  if (methods.length === 0) throw badRequest("Invalid input for field 'identity/methods': [] is too short.");
  let result = null as Identified | null;
  for (const method of methods) {
    if (method === 'password') {
      const creds = identity.password;
      if (!isPlainObject(creds) || !isPlainObject(creds.user)) throw badRequest("Invalid input for field 'identity/password/user': 'user' is a required property.");
      if (typeof creds.user.password !== 'string') throw badRequest("Invalid input for field 'password': 'password' is a required property.");
      const user = await findUser(db, creds.user);
      await assertUserActive(db, user);
      if (!user || !(await verifyPassword(creds.user.password, user.password_hash))) throw denied();
      if (user.password_expires_at && Date.parse(user.password_expires_at) <= Date.now()) throw denied();
      if (result && result.userId !== user.id) throw denied();
      result = { userId: user.id, methods: [...(result?.methods ?? []), 'password'] };
    } else if (method === 'token') {
      const id = identity.token?.id;
      if (typeof id !== 'string') throw badRequest("Invalid input for field 'identity/token/id': 'id' is a required property.");
      const prior = await tokens.check(id);
      if (!prior) throw denied();
      if (prior.trust || prior.appCred) throw forbidden('Re-scoping a trust or application credential token is not allowed.');
      if (result && result.userId !== prior.user.id) throw denied();
      result = {
        userId: prior.user.id,
        methods: [...(result?.methods ?? []), ...prior.payload.methods, 'token'],
        fromToken: {
          expiresAt: prior.payload.expiresAt,
          auditId: prior.payload.auditIds[prior.payload.auditIds.length - 1] as string,
          scoped: prior.payload.scope.type !== 'unscoped',
        },
      };
    } else if (method === 'application_credential') {
      const creds = identity.application_credential;
      if (!isPlainObject(creds) || typeof creds.secret !== 'string') throw badRequest("Invalid input for field 'application_credential': 'secret' is a required property.");
      let row;
      if (creds.id !== undefined) {
        row = await db.selectFrom('application_credentials').selectAll().where('id', '=', creds.id).executeTakeFirst();
      } else {
        if (creds.name === undefined || !isPlainObject(creds.user)) throw badRequest("Invalid input for field 'application_credential': either 'id' or 'name' and 'user' are required.");
        const user = await findUser(db, creds.user);
        if (!user) throw denied();
        row = await db.selectFrom('application_credentials').selectAll().where('user_id', '=', user.id).where('name', '=', creds.name).executeTakeFirst();
      }
      if (!row || !(await hashSecretMatches(creds.secret, row.secret_hash))) throw denied();
      if (row.expires_at && Date.parse(row.expires_at) <= Date.now()) throw denied();
      const owner = await db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
      await assertUserActive(db, owner);
      result = { userId: row.user_id, methods: ['application_credential'], appCred: { id: row.id, projectId: row.project_id } };
    } else {
      throw unauthorized(`Attempted to authenticate with an unsupported method.`);
    }
  }
  if (!result) throw denied();
  return result;
}

async function resolveScope(db: Db, rawScope: unknown, userId: string): Promise<{ scope: TokenScope; trustId?: string }> {
  if (rawScope === undefined || rawScope === 'unscoped') {
    // No scope asked for: Keystone scopes to the user's default project when it is usable.
    const user = await db.selectFrom('users').select('default_project_id').where('id', '=', userId).executeTakeFirst();
    const projectId = user?.default_project_id;
    if (rawScope === undefined && projectId) {
      const project = await db.selectFrom('projects').select(['id', 'enabled']).where('id', '=', projectId).executeTakeFirst();
      if (project?.enabled && (await effectiveRoles(db, userId, { type: 'project', id: projectId })).length > 0) {
        return { scope: { type: 'project', id: projectId } };
      }
    }
    return { scope: { type: 'unscoped' } };
  }
  if (!isPlainObject(rawScope)) throw badRequest("Invalid input for field 'scope': must be an object.");
  const keys = Object.keys(rawScope);
  if (keys.length !== 1) throw badRequest('Specify exactly one of project, domain, system or OS-TRUST:trust as scope.');
  const value = rawScope[keys[0] as string];
  if (!isPlainObject(value)) throw badRequest(`Invalid input for field 'scope/${keys[0]}': must be an object.`);
  switch (keys[0]) {
    case 'project': {
      let row;
      if (typeof value.id === 'string') {
        row = await db.selectFrom('projects').select(['id', 'enabled', 'domain_id']).where('id', '=', value.id).executeTakeFirst();
      } else if (typeof value.name === 'string') {
        const domainId = await findDomainId(db, value.domain as { id?: string; name?: string } | undefined);
        row = await db.selectFrom('projects').select(['id', 'enabled', 'domain_id']).where('name', '=', value.name).where('domain_id', '=', domainId).executeTakeFirst();
      } else {
        throw badRequest("Invalid input for field 'scope/project': either 'id' or 'name' is required.");
      }
      if (!row || !row.enabled) throw denied();
      return { scope: { type: 'project', id: row.id } };
    }
    case 'domain': {
      const domainId = await findDomainId(db, value as { id?: string; name?: string });
      return { scope: { type: 'domain', id: domainId } };
    }
    case 'system': {
      if (value.all !== true) throw badRequest("Invalid input for field 'scope/system': only {\"all\": true} is supported.");
      return { scope: { type: 'system' } };
    }
    case 'OS-TRUST:trust': {
      if (typeof value.id !== 'string') throw badRequest("Invalid input for field 'scope/OS-TRUST:trust': 'id' is a required property.");
      const trust = await db.selectFrom('trusts').selectAll().where('id', '=', value.id).executeTakeFirst();
      if (!trust || trust.deleted_at) throw new ApiError('notFound', `Could not find trust: ${value.id}.`);
      if (trust.trustee_user_id !== userId) throw forbidden('The authenticated user is not the trustee of this trust.');
      if (trust.expires_at && Date.parse(trust.expires_at) <= Date.now()) throw new ApiError('notFound', `Could not find trust: ${value.id}.`);
      if (trust.remaining_uses !== null && trust.remaining_uses <= 0) throw forbidden('The trust has no remaining uses.');
      return { scope: trust.project_id ? { type: 'project', id: trust.project_id } : { type: 'unscoped' }, trustId: trust.id };
    }
    default:
      throw badRequest(`Unknown scope: ${keys[0]}.`);
  }
}

/** Checks the request and returns what the token to issue must say. */
export async function authenticate(db: Db, tokens: TokenProvider, body: AuthBody): Promise<IssueRequest> {
  const who = await identify(db, tokens, body.auth.identity);
  if (who.appCred) {
    if (body.auth.scope !== undefined) {
      const scope = body.auth.scope as { project?: { id?: string } };
      if (!isPlainObject(scope) || !scope.project || scope.project.id !== who.appCred.projectId) throw denied();
    }
    return { userId: who.userId, methods: who.methods, scope: { type: 'project', id: who.appCred.projectId }, appCredId: who.appCred.id };
  }
  const { scope, trustId } = await resolveScope(db, body.auth.scope, who.userId);
  if (who.fromToken?.scoped && scope.type === 'unscoped') throw forbidden('Unscoping a scoped token is not allowed.');
  const base = {
    methods: who.methods,
    ...(who.fromToken ? { expiresAt: who.fromToken.expiresAt, parentAuditId: who.fromToken.auditId } : {}),
  };
  if (trustId) {
    const trust = await db.selectFrom('trusts').selectAll().where('id', '=', trustId).executeTakeFirstOrThrow();
    if (trust.remaining_uses !== null) {
      const updated = await db.updateTable('trusts').set({ remaining_uses: trust.remaining_uses - 1 })
        .where('id', '=', trustId).where('remaining_uses', '>', 0).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw forbidden('The trust has no remaining uses.');
    }
    const roles = parseJsonArray(trust.roles);
    if (roles.length === 0 && trust.project_id) throw denied();
    const expiresAt = trust.expires_at ? Math.min(Date.parse(trust.expires_at), base.expiresAt ?? Infinity) : base.expiresAt;
    return {
      ...base,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      userId: trust.impersonation ? trust.trustor_user_id : trust.trustee_user_id,
      scope,
      trustId,
      trusteeId: trust.trustee_user_id,
    };
  }
  if (scope.type !== 'unscoped') {
    const roles = await effectiveRoles(db, who.userId, scope.type === 'system' ? { type: 'system' } : { type: scope.type, id: scope.id });
    if (roles.length === 0) throw denied();
  }
  return { ...base, userId: who.userId, scope };
}
