/**
 * Who sees and changes routers and floating IPs (Neutron's admin_or_owner rules: another
 * project's router or floating IP is a 404), the device owners of router ports, and the lock
 * that serialises writers of one router under PostgreSQL.
 */
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { FloatingIpRow, RouterRow } from '../../store/schema-l3.js';
import type { Db, Store, Tx } from '../../store/store.js';
import { floatingIpNotFound, routerNotFound } from './errors.js';

export const GATEWAY_OWNER = 'network:router_gateway';
export const FLOATINGIP_OWNER = 'network:floatingip';
export const INTERFACE_OWNER = 'network:router_interface';
export const DVR_INTERFACE_OWNER = 'network:router_interface_distributed';
export const HA_INTERFACE_OWNER = 'network:ha_router_replicated_interface';
export const INTERFACE_OWNERS = [INTERFACE_OWNER, DVR_INTERFACE_OWNER, HA_INTERFACE_OWNER] as const;

/** The device_owner a router gives its interfaces: DVR wins over HA, as in Neutron. */
export function interfaceOwner(router: Pick<RouterRow, 'distributed' | 'ha'>): string {
  if (router.distributed === 1) return DVR_INTERFACE_OWNER;
  if (router.ha === 1) return HA_INTERFACE_OWNER;
  return INTERFACE_OWNER;
}

export function ownedOrAdmin(ctx: AuthContext, row: { project_id: string }): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && row.project_id === ctx.projectId);
}

export async function visibleRouter(ctx: AuthContext, id: string, db: Db | Tx): Promise<RouterRow> {
  const row = await db.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !ownedOrAdmin(ctx, row)) throw routerNotFound(id);
  return row;
}

export async function visibleFloatingIp(ctx: AuthContext, id: string, db: Db | Tx): Promise<FloatingIpRow> {
  const row = await db.selectFrom('floatingips').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !ownedOrAdmin(ctx, row)) throw floatingIpNotFound(id);
  return row;
}

/**
 * Holds the router row until the transaction ends (PostgreSQL; SQLite runs one writer at a
 * time already), so two interface additions cannot both pass the overlap check.
 */
export async function lockRouter(store: Store, tx: Tx, id: string): Promise<void> {
  if (store.dialect === 'postgres') await tx.selectFrom('routers').select('id').where('id', '=', id).forUpdate().execute();
}

export async function bumpRouterRevision(tx: Tx, id: string, now: string): Promise<void> {
  await tx.updateTable('routers').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: now })).where('id', '=', id).execute();
}
