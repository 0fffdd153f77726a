/** The network service's shared state and the lookups every Neutron route needs. */
import type { Store, Tx } from '../store/store.js';
import type { NetworkRow } from '../store/schema-network.js';
import type { AuthContext } from '../policy/context.js';
import { isAdmin } from '../policy/context.js';
import type { IdentityService } from '../identity/service.js';
import type { NetworkSettings } from './settings.js';
import type { Db } from '../store/store.js';

export class NetworkService {
  constructor(
    readonly store: Store,
    readonly settings: NetworkSettings,
    readonly identity: IdentityService,
  ) {}

  get db(): Db {
    return this.store.db;
  }

  /** Networks shared with the caller's project (or everyone) through RBAC policies. */
  async rbacGrants(ctx: AuthContext, db: Db | Tx = this.db): Promise<{ shared: Set<string>; external: Set<string> }> {
    const targets = ['*'];
    if (ctx.projectId) targets.push(ctx.projectId);
    const rows = await db.selectFrom('rbac_policies').select(['object_id', 'action'])
      .where('object_type', '=', 'network').where('target_tenant', 'in', targets).execute();
    const shared = new Set<string>();
    const external = new Set<string>();
    for (const r of rows) (r.action === 'access_as_external' ? external : shared).add(r.object_id);
    return { shared, external };
  }

  networkVisible(ctx: AuthContext, row: Pick<NetworkRow, 'id' | 'project_id' | 'shared' | 'external'>, grants: { shared: Set<string>; external: Set<string> }): boolean {
    return isAdmin(ctx) || row.project_id === ctx.projectId || row.shared === 1 || row.external === 1
      || grants.shared.has(row.id) || grants.external.has(row.id);
  }

  /** May the caller attach ports/subnets of its own to this network (owner, shared, admin)? */
  networkUsable(ctx: AuthContext, row: Pick<NetworkRow, 'id' | 'project_id' | 'shared'>, grants: { shared: Set<string> }): boolean {
    return isAdmin(ctx) || row.project_id === ctx.projectId || row.shared === 1 || grants.shared.has(row.id);
  }

  async tagsOf(ids: readonly string[], db: Db | Tx = this.db): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (ids.length === 0) return map;
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db.selectFrom('resource_tags').select(['resource_id', 'tag']).where('resource_id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) {
        const list = map.get(r.resource_id) ?? [];
        list.push(r.tag);
        map.set(r.resource_id, list);
      }
    }
    for (const list of map.values()) list.sort();
    return map;
  }
}
