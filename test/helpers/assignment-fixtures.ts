/**
 * Fixtures for the role and assignment tests: domains, projects, users, groups and
 * memberships written straight into the store, so these tests exercise only the role,
 * grant and assignment APIs. Roles and grants themselves always go through HTTP.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/identity/password.js';
import { request, type TestCloud } from './cloud.js';

const newId = () => randomUUID().replaceAll('-', '');
const short = () => newId().slice(0, 8);
const now = () => new Date().toISOString();

export interface Ref {
  readonly id: string;
  readonly name: string;
}

export interface Person extends Ref {
  readonly password: string;
  readonly domainId: string;
}

export async function createDomain(cloud: TestCloud): Promise<Ref> {
  const row = { id: newId(), name: `d-${short()}`, description: '', enabled: 1 as const, extra: '{}', created_at: now() };
  await cloud.store.db.insertInto('domains').values(row).execute();
  return { id: row.id, name: row.name };
}

export async function createProject(cloud: TestCloud, domainId = 'default', parentId: string | null = null): Promise<Ref & { domainId: string }> {
  const row = { id: newId(), name: `p-${short()}`, domain_id: domainId, parent_id: parentId, description: '', enabled: 1 as const, extra: '{}', created_at: now() };
  await cloud.store.db.insertInto('projects').values(row).execute();
  return { id: row.id, name: row.name, domainId };
}

export async function createUser(cloud: TestCloud, domainId = 'default'): Promise<Person> {
  const password = `pw-${newId()}`;
  const row = {
    id: newId(), name: `u-${short()}`, domain_id: domainId, enabled: 1 as const, default_project_id: null,
    password_hash: await hashPassword(password, 1024), password_created_at: now(), password_expires_at: null,
    description: '', email: null, options: '{}', extra: '{}', created_at: now(),
  };
  await cloud.store.db.insertInto('users').values(row).execute();
  return { id: row.id, name: row.name, password, domainId };
}

export async function createGroup(cloud: TestCloud, domainId = 'default'): Promise<Ref> {
  const row = { id: newId(), name: `g-${short()}`, domain_id: domainId, description: '', extra: '{}' };
  await cloud.store.db.insertInto('groups').values(row).execute();
  return { id: row.id, name: row.name };
}

export async function addMember(cloud: TestCloud, groupId: string, userId: string): Promise<void> {
  await cloud.store.db.insertInto('memberships').values({ group_id: groupId, user_id: userId }).execute();
  cloud.identity.changed();
}

/** Creates a role through the API (as admin) and returns it as the API showed it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function apiRole(cloud: TestCloud, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await cloud.request('POST', '/v3/roles', { token: await cloud.token('admin'), body: { role: { name: `r-${short()}`, ...extra } } });
  if (res.status !== 201) throw new Error(`role create failed: ${res.status} ${res.text}`);
  return res.body.role;
}

export async function roleIdByName(cloud: TestCloud, name: string): Promise<string> {
  const row = await cloud.store.db.selectFrom('roles').select('id').where('name', '=', name).where('domain_id', '=', '').executeTakeFirstOrThrow();
  return row.id;
}

export type Scope = { project: string } | { domain: string } | 'system' | null;

/** Issues a token for a fixture user; null when Keystone refuses it (e.g. no role on the scope). */
export async function tokenOf(cloud: TestCloud, user: Person, scope: Scope): Promise<{ token: string; roles: string[] } | null> {
  const auth: Record<string, unknown> = { identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } } };
  if (scope === 'system') auth.scope = { system: { all: true } };
  else if (scope && 'project' in scope) auth.scope = { project: { id: scope.project } };
  else if (scope && 'domain' in scope) auth.scope = { domain: { id: scope.domain } };
  const res = await request(cloud.url, 'POST', '/v3/auth/tokens', { body: { auth } });
  if (res.status !== 201) return null;
  return { token: res.headers.get('x-subject-token') as string, roles: res.body.token.roles.map((r: { name: string }) => r.name).sort() };
}

/** True while the token still validates. */
export async function tokenValid(cloud: TestCloud, token: string): Promise<boolean> {
  const res = await cloud.request('GET', '/v3/auth/tokens', { token: await cloud.token('admin'), headers: { 'x-subject-token': token } });
  return res.status === 200;
}
