/** OS-TRUST: create, read, list, delete trusts; trust-scoped tokens; redelegation. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { createProject, createRole, createUser, grant, revoke, roleId, tokenFor, type Person } from './helpers/delegation-fixtures.js';

describe('identity: trusts', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud.destroy();
  });

  /** A trustor holding two roles on a fresh project, a trustee, and the trustor's token. */
  async function setup() {
    const project = await createProject(cloud);
    const trustor = await createUser(cloud);
    const trustee = await createUser(cloud);
    const delegated = await createRole(cloud);
    const kept = await createRole(cloud);
    await grant(cloud, trustor.id, project.id, delegated.id);
    await grant(cloud, trustor.id, project.id, kept.id);
    return { project, trustor, trustee, delegated, kept, token: await tokenFor(cloud, trustor, project) };
  }

  const createTrust = (token: string, trust: Record<string, unknown>) => cloud.request('POST', '/v3/OS-TRUST/trusts', { token, body: { trust } });
  const trustToken = async (user: Person, trustId: string) => cloud.request('POST', '/v3/auth/tokens', {
    body: { auth: { identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } }, scope: { 'OS-TRUST:trust': { id: trustId } } } },
  });
  const validate = async (subject: string) =>
    cloud.request('GET', '/v3/auth/tokens', { token: await cloud.token('admin'), headers: { 'x-subject-token': subject } });

  it('creates a trust with roles by name and shows it to the trustor, the trustee and admins only', async () => {
    const s = await setup();
    const res = await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ name: s.delegated.name }], impersonation: true });
    assert.equal(res.status, 201);
    const trust = res.body.trust;
    assert.equal(trust.impersonation, true);
    assert.equal(trust.expires_at, null);
    assert.equal(trust.remaining_uses, null);
    assert.equal(trust.redelegation_count, 0);
    assert.equal(trust.trustor_user_id, s.trustor.id);
    assert.equal(trust.trustee_user_id, s.trustee.id);
    assert.equal(trust.project_id, s.project.id);
    assert.match(trust.links.self, /\/v3\/OS-TRUST\/trusts\/[0-9a-f]{32}$/);
    assert.deepEqual(trust.roles.map((r: { name: string }) => r.name), [s.delegated.name]);
    assert.match(trust.roles[0].links.self, new RegExp(`/v3/roles/${s.delegated.id}$`));

    const byTrustor = await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: s.token });
    assert.equal(byTrustor.status, 200);
    assert.deepEqual(byTrustor.body.trust.roles.map((r: { id: string }) => r.id), [s.delegated.id]);
    const trusteeToken = await tokenFor(cloud, s.trustee, null);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trusteeToken })).status, 200);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: await cloud.token('admin') })).status, 200);
    const stranger = await tokenFor(cloud, await createUser(cloud), null);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: stranger })).status, 403);
  });

  it('lists the delegated roles and answers 404 for the others, with GET and HEAD', async () => {
    const s = await setup();
    const trust = (await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false })).body.trust;
    const roles = await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}/roles`, { token: s.token });
    assert.equal(roles.status, 200);
    assert.deepEqual(roles.body.roles.map((r: { id: string }) => r.id), [s.delegated.id]);
    const one = await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}/roles/${s.delegated.id}`, { token: s.token });
    assert.equal(one.status, 200);
    assert.equal(one.body.role.name, s.delegated.name);
    assert.equal((await cloud.request('HEAD', `/v3/OS-TRUST/trusts/${trust.id}/roles/${s.delegated.id}`, { token: s.token })).status, 200);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}/roles/${s.kept.id}`, { token: s.token })).status, 404);
    assert.equal((await cloud.request('HEAD', `/v3/OS-TRUST/trusts/${trust.id}/roles/${s.kept.id}`, { token: s.token })).status, 404);
  });

  it('lists trusts by trustor or trustee for themselves, and all trusts for admins', async () => {
    const s = await setup();
    const trust = (await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: true })).body.trust;
    const mine = await cloud.request('GET', `/v3/OS-TRUST/trusts/?trustor_user_id=${s.trustor.id}`, { token: s.token });
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.trusts.map((t: { id: string }) => t.id), [trust.id]);
    assert.equal(mine.body.trusts[0].roles, undefined);
    const trusteeToken = await tokenFor(cloud, s.trustee, null);
    const theirs = await cloud.request('GET', `/v3/OS-TRUST/trusts?trustee_user_id=${s.trustee.id}`, { token: trusteeToken });
    assert.deepEqual(theirs.body.trusts.map((t: { id: string }) => t.id), [trust.id]);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${s.trustee.id}`, { token: s.token })).status, 403);
    assert.equal((await cloud.request('GET', '/v3/OS-TRUST/trusts', { token: s.token })).status, 403);
    const all = await cloud.request('GET', '/v3/OS-TRUST/trusts', { token: await cloud.token('admin') });
    assert.ok(all.body.trusts.some((t: { id: string }) => t.id === trust.id));
  });

  it('takes an expiry, keeps it to the microsecond with a Z, and refuses bad ones', async () => {
    const s = await setup();
    const base = { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: true };
    const when = new Date(Date.now() + 3600_000).toISOString().slice(0, 19) + 'Z';
    const res = await createTrust(s.token, { ...base, expires_at: when });
    assert.equal(res.status, 201);
    assert.equal(res.body.trust.expires_at, when.replace('Z', '.000000Z'));
    const shown = await cloud.request('GET', `/v3/OS-TRUST/trusts/${res.body.trust.id}`, { token: s.token });
    assert.equal(shown.body.trust.expires_at, when.replace('Z', '.000000Z'));
    assert.equal((await createTrust(s.token, { ...base, expires_at: 'bad.123Z' })).status, 400);
    assert.equal((await createTrust(s.token, { ...base, expires_at: '2000-01-01T00:00:00Z' })).status, 400);
  });

  it('refuses trusts that are not the caller\'s to give', async () => {
    const s = await setup();
    const base = { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: true };
    assert.equal((await createTrust(s.token, { ...base, trustor_user_id: s.trustee.id })).status, 403);
    assert.equal((await createTrust(s.token, { ...base, trustee_user_id: 'nobody' })).status, 404);
    const admin = await roleId(cloud, 'admin');
    assert.equal((await createTrust(s.token, { ...base, roles: [{ id: admin }] })).status, 404);
    assert.equal((await createTrust(s.token, { ...base, roles: [] })).status, 403);
    const { impersonation: _drop, ...noImpersonation } = base;
    const missing = await createTrust(s.token, noImpersonation);
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /impersonation/);
  });

  it('issues trust-scoped tokens with only the delegated roles, as trustor or trustee', async () => {
    const s = await setup();
    const base = { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }] };
    const imp = (await createTrust(s.token, { ...base, impersonation: true })).body.trust;
    const noImp = (await createTrust(s.token, { ...base, impersonation: false })).body.trust;
    const a = await trustToken(s.trustee, imp.id);
    assert.equal(a.status, 201);
    assert.equal(a.body.token.user.id, s.trustor.id);
    assert.deepEqual(a.body.token.roles.map((r: { id: string }) => r.id), [s.delegated.id]);
    assert.equal(a.body.token['OS-TRUST:trust'].id, imp.id);
    const b = await trustToken(s.trustee, noImp.id);
    assert.equal(b.status, 201);
    assert.equal(b.body.token.user.id, s.trustee.id);
    assert.equal(b.body.token.project.id, s.project.id);
    // Only the trustee may use the trust.
    assert.notEqual((await trustToken(s.trustor, noImp.id)).status, 201);
    // When the trustor loses a delegated role, the trust's tokens die with it.
    const issued = b.headers.get('x-subject-token') as string;
    assert.equal((await validate(issued)).status, 200);
    await revoke(cloud, s.trustor.id, s.project.id, s.delegated.id);
    assert.equal((await validate(issued)).status, 404);
  });

  it('counts down remaining uses', async () => {
    const s = await setup();
    const trust = (await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false, remaining_uses: 1 })).body.trust;
    assert.equal(trust.remaining_uses, 1);
    assert.equal((await trustToken(s.trustee, trust.id)).status, 201);
    const again = await trustToken(s.trustee, trust.id);
    assert.ok(again.status >= 400 && again.status < 500, `second use: ${again.status}`);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: s.token })).status, 404);
    assert.equal((await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false, remaining_uses: 0 })).status, 400);
  });

  it('deletes a trust for the trustor only, and its tokens stop validating', async () => {
    const s = await setup();
    const trust = (await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false })).body.trust;
    const issued = (await trustToken(s.trustee, trust.id)).headers.get('x-subject-token') as string;
    const trusteeToken = await tokenFor(cloud, s.trustee, null);
    assert.equal((await cloud.request('DELETE', `/v3/OS-TRUST/trusts/${trust.id}`, { token: trusteeToken })).status, 403);
    assert.equal((await cloud.request('DELETE', `/v3/OS-TRUST/trusts/${trust.id}`, { token: s.token })).status, 204);
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${trust.id}`, { token: s.token })).status, 404);
    assert.equal((await cloud.request('DELETE', `/v3/OS-TRUST/trusts/${trust.id}`, { token: s.token })).status, 404);
    assert.equal((await validate(issued)).status, 404);
    const listed = await cloud.request('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${s.trustor.id}`, { token: s.token });
    assert.equal(listed.body.trusts.length, 0);
  });

  it('lets a trustee redelegate within the bounds of the trust, and deleting the parent ends the chain', async () => {
    const s = await setup();
    const third = await createUser(cloud);
    const parent = (await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false, allow_redelegation: true })).body.trust;
    assert.equal(parent.redelegation_count, 3);
    const viaTrust = (await trustToken(s.trustee, parent.id)).headers.get('x-subject-token') as string;
    const child = await createTrust(viaTrust, { trustor_user_id: s.trustee.id, trustee_user_id: third.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false, allow_redelegation: true });
    assert.equal(child.status, 201);
    assert.equal(child.body.trust.redelegated_trust_id, parent.id);
    assert.equal(child.body.trust.redelegation_count, 2);
    const wider = await createTrust(viaTrust, { trustor_user_id: s.trustee.id, trustee_user_id: third.id, project_id: s.project.id, roles: [{ id: s.kept.id }], impersonation: false });
    assert.equal(wider.status, 403);
    const limited = await createTrust(viaTrust, { trustor_user_id: s.trustee.id, trustee_user_id: third.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false, remaining_uses: 2 });
    assert.equal(limited.status, 403);

    assert.equal((await cloud.request('DELETE', `/v3/OS-TRUST/trusts/${parent.id}`, { token: s.token })).status, 204);
    const admin = await cloud.token('admin');
    assert.equal((await cloud.request('GET', `/v3/OS-TRUST/trusts/${child.body.trust.id}`, { token: admin })).status, 404);
  });

  it('refuses redelegation of a trust that does not allow it', async () => {
    const s = await setup();
    const third = await createUser(cloud);
    const parent = (await createTrust(s.token, { trustor_user_id: s.trustor.id, trustee_user_id: s.trustee.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false })).body.trust;
    const viaTrust = (await trustToken(s.trustee, parent.id)).headers.get('x-subject-token') as string;
    const child = await createTrust(viaTrust, { trustor_user_id: s.trustee.id, trustee_user_id: third.id, project_id: s.project.id, roles: [{ id: s.delegated.id }], impersonation: false });
    assert.equal(child.status, 403);
  });
});
