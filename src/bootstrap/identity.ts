/**
 * First-start identity, as `keystone-manage bootstrap` plus packstack's demo setup would leave
 * it: domain Default, projects admin/demo/service, roles admin ⊃ member ⊃ reader, users admin
 * (admin on project admin and on the system) and demo (member on demo), region RegionOne.
 * Runs at every start and only fills in what is missing, so it is safe to repeat.
 */
import { createHash } from 'node:crypto';
import type { Db, Store } from '../store/store.js';
import { hashPassword } from '../identity/password.js';
import { hexId, nowIso, randomSecret } from '../util/ids.js';

export const DEFAULT_DOMAIN_ID = 'default';

export interface BootstrapResult {
  readonly adminPassword: string;
  readonly demoPassword: string;
}

interface UserSeed {
  readonly name: 'admin' | 'demo';
  readonly envPassword: string | null;
  readonly project: string;
  readonly role: string;
}

async function ensureRole(db: Db, name: string): Promise<string> {
  const row = await db.selectFrom('roles').select('id').where('name', '=', name).where('domain_id', '=', '').executeTakeFirst();
  if (row) return row.id;
  const id = hexId();
  await db.insertInto('roles').values({ id, name, domain_id: '', description: '', options: '{}', extra: '{}' }).execute();
  return id;
}

async function ensureProject(db: Db, name: string, description: string): Promise<string> {
  const row = await db.selectFrom('projects').select('id').where('name', '=', name).where('domain_id', '=', DEFAULT_DOMAIN_ID).executeTakeFirst();
  if (row) return row.id;
  const id = hexId();
  await db.insertInto('projects').values({ id, name, domain_id: DEFAULT_DOMAIN_ID, parent_id: null, description, enabled: 1, extra: '{}', created_at: nowIso() }).execute();
  return id;
}

async function grant(db: Db, type: 'UserProject' | 'UserSystem', actorId: string, targetId: string, roleId: string): Promise<void> {
  await db.insertInto('assignments').values({ type, actor_id: actorId, target_id: targetId, role_id: roleId, inherited: 0 })
    .onConflict((oc) => oc.doNothing()).execute();
}

function fingerprint(password: string): string {
  return createHash('sha256').update(`kumo-bootstrap:${password}`).digest('hex');
}

async function getMeta(db: Db, key: string): Promise<string | undefined> {
  return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

async function setMeta(db: Db, key: string, value: string): Promise<void> {
  await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
}

/**
 * Makes the user exist with a known password. The password is the environment's if given
 * (re-applied when it changes), else one generated on first start and kept in the store.
 */
async function ensureUser(db: Db, seed: UserSeed, projectId: string, hashCost: number): Promise<{ id: string; password: string }> {
  const existing = await db.selectFrom('users').select('id').where('name', '=', seed.name).where('domain_id', '=', DEFAULT_DOMAIN_ID).executeTakeFirst();
  const storedKey = `bootstrap.${seed.name}.password`;
  const printKey = `bootstrap.${seed.name}.fingerprint`;
  const stored = await getMeta(db, storedKey);
  const password = seed.envPassword ?? stored ?? randomSecret(12);
  const id = existing?.id ?? hexId();
  const needsHash = !existing || (await getMeta(db, printKey)) !== fingerprint(password);
  const hash = needsHash ? await hashPassword(password, hashCost) : null;
  if (!existing) {
    await db.insertInto('users').values({
      id, name: seed.name, domain_id: DEFAULT_DOMAIN_ID, enabled: 1, default_project_id: projectId, password_hash: hash,
      password_created_at: nowIso(), password_expires_at: null, description: '', email: null, options: '{}', extra: '{}', created_at: nowIso(),
    }).execute();
  } else if (hash) {
    await db.updateTable('users').set({ password_hash: hash, password_created_at: nowIso() }).where('id', '=', id).execute();
  }
  await setMeta(db, printKey, fingerprint(password));
  if (!seed.envPassword) await setMeta(db, storedKey, password);
  return { id, password };
}

export async function bootstrapIdentity(store: Store, options: { adminPassword: string | null; demoPassword: string | null; region: string; hashCost: number }): Promise<BootstrapResult> {
  const db = store.db;
  await db.insertInto('domains').values({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain', enabled: 1, extra: '{}', created_at: nowIso() })
    .onConflict((oc) => oc.doNothing()).execute();
  const admin = await ensureRole(db, 'admin');
  const member = await ensureRole(db, 'member');
  const reader = await ensureRole(db, 'reader');
  for (const [prior, implied] of [[admin, member], [member, reader]] as const) {
    await db.insertInto('implied_roles').values({ prior_role_id: prior, implied_role_id: implied }).onConflict((oc) => oc.doNothing()).execute();
  }
  const adminProject = await ensureProject(db, 'admin', 'Bootstrap project for the cloud administrator');
  const demoProject = await ensureProject(db, 'demo', 'Demo project');
  await ensureProject(db, 'service', 'Project for the cloud\'s own services');
  await db.insertInto('regions').values({ id: options.region, description: '', parent_region_id: null, extra: '{}' }).onConflict((oc) => oc.doNothing()).execute();

  // Both password hashes (scrypt, on libuv's thread pool) at once: first start is that much faster.
  const [adminUser, demoUser] = await Promise.all([
    ensureUser(db, { name: 'admin', envPassword: options.adminPassword, project: 'admin', role: 'admin' }, adminProject, options.hashCost),
    ensureUser(db, { name: 'demo', envPassword: options.demoPassword, project: 'demo', role: 'member' }, demoProject, options.hashCost),
  ]);
  await grant(db, 'UserProject', adminUser.id, adminProject, admin);
  await grant(db, 'UserSystem', adminUser.id, 'system', admin);
  await grant(db, 'UserProject', demoUser.id, demoProject, member);
  return { adminPassword: adminUser.password, demoPassword: demoUser.password };
}
