/**
 * Keeps the catalog honest: every service Kumo serves has public, internal and admin
 * endpoints at the URL Kumo listens on now, and no endpoint Kumo once registered for a
 * service it no longer serves survives. Endpoints users added themselves are left alone.
 */
import type { Store } from '../store/store.js';
import { hexId } from '../util/ids.js';

export interface ServedService {
  readonly type: string;
  readonly name: string;
  readonly description: string;
  /** Path under the public base URL ('' for identity at the root). */
  readonly path: string;
}

const INTERFACES = ['public', 'internal', 'admin'] as const;

export async function reconcileCatalog(store: Store, baseUrl: string, region: string, served: readonly ServedService[]): Promise<void> {
  await store.transaction(async (tx) => {
    const servedTypes = new Set(served.map((s) => s.type));
    const managed = await tx.selectFrom('endpoints').innerJoin('services', 'services.id', 'endpoints.service_id')
      .select(['endpoints.id', 'services.type']).where('endpoints.managed', '=', 1).execute();
    const stale = managed.filter((e) => !servedTypes.has(e.type)).map((e) => e.id);
    if (stale.length) await tx.deleteFrom('endpoints').where('id', 'in', stale).execute();

    for (const service of served) {
      let row = await tx.selectFrom('services').select('id').where('type', '=', service.type).where('name', '=', service.name).executeTakeFirst();
      if (!row) {
        row = { id: hexId() };
        await tx.insertInto('services').values({ id: row.id, type: service.type, name: service.name, description: service.description, enabled: 1, extra: '{}' }).execute();
      }
      const url = `${baseUrl}${service.path}`;
      for (const iface of INTERFACES) {
        const endpoint = await tx.selectFrom('endpoints').select(['id', 'url']).where('service_id', '=', row.id)
          .where('interface', '=', iface).where('managed', '=', 1).executeTakeFirst();
        if (!endpoint) {
          await tx.insertInto('endpoints').values({ id: hexId(), service_id: row.id, interface: iface, url, region_id: region, enabled: 1, extra: '{}', managed: 1 }).execute();
        } else if (endpoint.url !== url) {
          await tx.updateTable('endpoints').set({ url, region_id: region }).where('id', '=', endpoint.id).execute();
        }
      }
    }
  });
}
