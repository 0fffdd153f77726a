/**
 * Who may see and change a port, as Neutron's default policy says: a port is visible to its
 * project, to the owner of its network, and to admins (anyone else gets PortNotFound); some
 * attributes need admin or the network's owner.
 */
import { ApiError } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { NetworkRow, PortRow } from '../../store/schema-network.js';
import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { selectPortsWithExtras, type PortWithExtras } from './rows.js';
import { policyForbidden } from '../errors.js';

export const portNotFound = (id: string) => new ApiError('notFound', `Port ${id} could not be found.`, { type: 'PortNotFound' });

/** Neutron's 404 for a network the caller sees but may not attach to (hides whether it exists). */
export const networkNotUsable = () => new ApiError('notFound', 'The resource could not be found.', { type: 'HTTPNotFound' });

export function portReadable(ctx: AuthContext, port: Pick<PortRow, 'project_id'>, networkOwner: string | undefined): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && (port.project_id === ctx.projectId || networkOwner === ctx.projectId));
}

/** The port if the caller may see it, else PortNotFound; with its network's owner. */
export async function visiblePort(ctx: AuthContext, id: string, db: Db | Tx): Promise<{ port: PortRow; network: NetworkRow }> {
  const port = await db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!port) throw portNotFound(id);
  const network = await db.selectFrom('networks').selectAll().where('id', '=', port.network_id).executeTakeFirst();
  if (!network || !portReadable(ctx, port, network.project_id)) throw portNotFound(id);
  return { port, network };
}

export interface PortPrefilter {
  readonly network_id?: readonly string[];
  readonly device_id?: readonly string[];
  readonly id?: readonly string[];
  /** One page in id order: the ports after `after` (when given), at most `limit` of them. */
  readonly page?: { readonly after?: string; readonly limit: number };
}

/** The WHERE of a port list: the caller's visibility and the simple filters SQL can apply. */
function portWhere<O>(query: SelectQueryBuilder<Database, 'ports', O>, ctx: AuthContext, prefilter: PortPrefilter): SelectQueryBuilder<Database, 'ports', O> {
  let q = query;
  if (prefilter.network_id) q = q.where('ports.network_id', 'in', [...prefilter.network_id]);
  if (prefilter.device_id) q = q.where('ports.device_id', 'in', [...prefilter.device_id]);
  if (prefilter.id) q = q.where('ports.id', 'in', [...prefilter.id]);
  if (prefilter.page) {
    if (prefilter.page.after !== undefined) q = q.where('ports.id', '>', prefilter.page.after);
    q = q.orderBy('ports.id').limit(prefilter.page.limit);
  }
  if (!isAdmin(ctx)) {
    const project = ctx.projectId ?? '';
    q = q.where((eb) => eb.or([
      eb('ports.project_id', '=', project),
      eb('ports.network_id', 'in', eb.selectFrom('networks').select('networks.id').where('networks.project_id', '=', project)),
    ]));
  }
  return q;
}

/** Every port the caller may see (the SQL side of a list; attribute filters come after), with its addresses, groups and tags. */
export async function readablePorts(ctx: AuthContext, db: Db | Tx, prefilter: PortPrefilter): Promise<PortWithExtras[]> {
  return selectPortsWithExtras(db, portWhere(db.selectFrom('ports'), ctx, prefilter), prefilter.page !== undefined);
}

/** Admin or the owner of the port's network (Neutron's admin_or_network_owner rule). */
export function adminOrNetworkOwner(ctx: AuthContext, network: Pick<NetworkRow, 'project_id'>): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && ctx.projectId === network.project_id);
}

export function requireAdminOrNetworkOwner(ctx: AuthContext, network: Pick<NetworkRow, 'project_id'>, action: string): void {
  if (!adminOrNetworkOwner(ctx, network)) throw policyForbidden(action);
}

/** device_owner values starting with "network:" belong to Neutron's own ports. */
export function isNetworkDevice(owner: string | undefined): boolean {
  return owner !== undefined && owner.startsWith('network:');
}

export function isRouterInterface(owner: string): boolean {
  return owner.startsWith('network:router_interface') || owner === 'network:ha_router_replicated_interface';
}

