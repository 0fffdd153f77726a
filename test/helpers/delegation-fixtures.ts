/**
 * Fixtures for the delegation tests (application credentials, trusts, credentials): users,
 * projects, roles and grants written straight into the store, so these tests do not depend on
 * the users/projects/roles APIs they are not about. Tokens are then issued over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/identity/password.js';
import { passwordToken, startTestCloud, type TestCloud } from './cloud.js';

const id = () => randomUUID().replaceAll('-', '');

export interface Person {
  readonly id: string;
  readonly name: string;
  readonly password: string;
}

export async function createProject(cloud: TestCloud, name = `p-${id().slice(0, 8)}`): Promise<{ id: string; name: string }> {
  const row = { id: id(), name, domain_id: 'default', parent_id: null, description: '', enabled: 1 as const, extra: '{}', created_at: new Date().toISOString() };
  await cloud.store.db.insertInto('projects').values(row).execute();
  return { id: row.id, name };
}

export async function createUser(cloud: TestCloud, name = `u-${id().slice(0, 8)}`): Promise<Person> {
  const password = `pw-${id()}`;
  const userId = id();
  await cloud.store.db.insertInto('users').values({
    id: userId, name, domain_id: 'default', enabled: 1, default_project_id: null, password_hash: await hashPassword(password, 1024),
    password_created_at: new Date().toISOString(), password_expires_at: null, description: '', email: null, options: '{}', extra: '{}',
    created_at: new Date().toISOString(),
  }).execute();
  return { id: userId, name, password };
}

export async function createRole(cloud: TestCloud, name = `r-${id().slice(0, 8)}`): Promise<{ id: string; name: string }> {
  const roleId = id();
  await cloud.store.db.insertInto('roles').values({ id: roleId, name, domain_id: '', description: '', options: '{}', extra: '{}' }).execute();
  return { id: roleId, name };
}

export async function roleId(cloud: TestCloud, name: string): Promise<string> {
  const row = await cloud.store.db.selectFrom('roles').select('id').where('name', '=', name).where('domain_id', '=', '').executeTakeFirstOrThrow();
  return row.id;
}

/** A cloud and the id of its member role, which every delegation suite hands out. */
export async function startCloudWithMemberRole(): Promise<{ cloud: TestCloud; member: string }> {
  const cloud = await startTestCloud();
  return { cloud, member: await roleId(cloud, 'member') };
}

export async function grant(cloud: TestCloud, userId: string, projectId: string, role: string): Promise<void> {
  await cloud.store.db.insertInto('assignments').values({ type: 'UserProject', actor_id: userId, target_id: projectId, role_id: role, inherited: 0 }).execute();
  cloud.identity.changed();
}

export async function revoke(cloud: TestCloud, userId: string, projectId: string, role: string): Promise<void> {
  await cloud.store.db.deleteFrom('assignments').where('actor_id', '=', userId).where('target_id', '=', projectId).where('role_id', '=', role).execute();
  cloud.identity.changed();
}

export function tokenFor(cloud: TestCloud, person: Person, project: { name: string } | null): Promise<string> {
  return passwordToken(cloud.url, person.name, person.password, project?.name ?? null);
}

/** A user holding `roles` (role ids) on a fresh project, with a token scoped to it. */
export async function memberOfNewProject(cloud: TestCloud, roles: readonly string[]) {
  const project = await createProject(cloud);
  const user = await createUser(cloud);
  for (const r of roles) await grant(cloud, user.id, project.id, r);
  return { project, user, token: await tokenFor(cloud, user, project) };
}
