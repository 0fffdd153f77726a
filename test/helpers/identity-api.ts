/**
 * Helpers for the domain/project/user/group tests: create resources through the HTTP API as
 * the admin, grant roles through the grants API, and issue tokens for the users made here.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import type { TestCloud } from './cloud.js';

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function create(cloud: TestCloud, path: string, key: string, body: Record<string, unknown>): Promise<Json> {
  const res = await cloud.request('POST', path, { token: await cloud.token('admin'), body: { [key]: body } });
  assert.equal(res.status, 201, `${path}: ${res.text}`);
  return res.body[key];
}

export const newDomain = (cloud: TestCloud, body: Record<string, unknown> = {}) => create(cloud, '/v3/domains', 'domain', { name: unique('dom'), ...body });
export const newProject = (cloud: TestCloud, body: Record<string, unknown> = {}) => create(cloud, '/v3/projects', 'project', { name: unique('proj'), ...body });
export const newGroup = (cloud: TestCloud, body: Record<string, unknown> = {}) => create(cloud, '/v3/groups', 'group', { name: unique('grp'), ...body });

/** A user with a known password (returned alongside the API's view). */
export async function newUser(cloud: TestCloud, body: Record<string, unknown> = {}): Promise<Json> {
  const password = `pw-${randomUUID()}`;
  const user = await create(cloud, '/v3/users', 'user', { name: unique('user'), password, ...body });
  return { ...user, password };
}

export async function roleId(cloud: TestCloud, name: string): Promise<string> {
  const res = await cloud.request('GET', `/v3/roles?name=${name}`, { token: await cloud.token('admin') });
  assert.equal(res.status, 200, res.text);
  return res.body.roles[0].id;
}

/** PUT /v3/{projects|domains}/{target}/{users|groups}/{actor}/roles/{role}[/inherited_to_projects]. */
export async function grant(cloud: TestCloud, target: 'projects' | 'domains', targetId: string, actor: 'users' | 'groups', actorId: string, role = 'member', inherited = false): Promise<void> {
  const path = `${inherited ? '/v3/OS-INHERIT' : '/v3'}/${target}/${targetId}/${actor}/${actorId}/roles/${await roleId(cloud, role)}${inherited ? '/inherited_to_projects' : ''}`;
  const res = await cloud.request('PUT', path, { token: await cloud.token('admin') });
  assert.equal(res.status, 204, `${path}: ${res.text}`);
}

/** A password token for a user by id; project-scoped when a project id is given. Null when refused. */
export async function tokenFor(cloud: TestCloud, user: { id: string; password: string }, projectId?: string): Promise<string | null> {
  const auth: Record<string, unknown> = { identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } } };
  if (projectId) auth.scope = { project: { id: projectId } };
  const res = await cloud.request('POST', '/v3/auth/tokens', { body: { auth } });
  return res.status === 201 ? (res.headers.get('x-subject-token') as string) : null;
}

/** Whether a token still validates (GET /v3/auth/tokens with itself as subject). */
export async function tokenValid(cloud: TestCloud, token: string): Promise<boolean> {
  const res = await cloud.request('GET', '/v3/auth/tokens', { token: await cloud.token('admin'), headers: { 'x-subject-token': token } });
  return res.status === 200;
}
