/**
 * First-start network provisioning, as packstack left a fresh cloud: the `default` security
 * group of each bootstrap project (admin, demo, service) exists from the start, so an admin
 * who names "default" sees three of them. Done once (recorded in the meta table): a group an
 * admin deletes later is not brought back by a restart, only by the project's next need.
 */
import type { Store } from '../store/store.js';
import { DEFAULT_DOMAIN_ID } from '../bootstrap/identity.js';
import { ensureDefaultSecurityGroup } from './security-groups/defaults.js';

const DONE_KEY = 'bootstrap.network.default_security_groups';
export const BOOTSTRAP_PROJECTS = ['admin', 'demo', 'service'] as const;

export async function bootstrapNetwork(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    const done = await tx.selectFrom('meta').select('value').where('key', '=', DONE_KEY).executeTakeFirst();
    if (done) return;
    const projects = await tx.selectFrom('projects').select(['id', 'name'])
      .where('domain_id', '=', DEFAULT_DOMAIN_ID).where('name', 'in', [...BOOTSTRAP_PROJECTS]).execute();
    for (const name of BOOTSTRAP_PROJECTS) {
      const project = projects.find((p) => p.name === name);
      if (project) await ensureDefaultSecurityGroup(tx, project.id);
    }
    await tx.insertInto('meta').values({ key: DONE_KEY, value: new Date().toISOString() }).onConflict((oc) => oc.column('key').doNothing()).execute();
  });
}
