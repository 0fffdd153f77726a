/**
 * Who sees and changes subnets and subnet pools, by Neutron's default policy: a subnet is seen by
 * its owner, its network's owner, admins, and everyone its network is shared with (an external
 * network alone does not show its subnets); it is changed by its owner or its network's owner.
 * A subnet pool is seen by its owner, admins, and everyone when shared. Unseen means 404.
 */
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { NetworkRow, SubnetPoolRow, SubnetRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { neutronNotFound } from '../errors.js';
import type { View } from '../listing.js';
import { canWrite } from '../policy.js';
import type { NetworkService } from '../service.js';
import { subnetPoolView, subnetView } from './views.js';

type NetworkOwner = Pick<NetworkRow, 'id' | 'project_id' | 'shared'>;

export interface SubnetAccess {
  /** Whether the caller sees subnets of this network through sharing (Neutron's hidden `shared` attribute). */
  shared(network: NetworkOwner): boolean;
  visible(subnet: Pick<SubnetRow, 'project_id'>, network: NetworkOwner): boolean;
}

export async function subnetAccess(service: NetworkService, ctx: AuthContext, db: Db | Tx = service.db): Promise<SubnetAccess> {
  const grants = await service.rbacGrants(ctx, db);
  const shared = (n: NetworkOwner) => n.shared === 1 || grants.shared.has(n.id);
  return {
    shared,
    visible: (s, n) => isAdmin(ctx) || s.project_id === ctx.projectId || n.project_id === ctx.projectId || shared(n),
  };
}

export function canWriteSubnet(ctx: AuthContext, subnet: Pick<SubnetRow, 'project_id'>, network: Pick<NetworkRow, 'project_id'>): boolean {
  return canWrite(ctx, subnet.project_id) || canWrite(ctx, network.project_id);
}

/** The subnet and its network if the caller may see the subnet, else SubnetNotFound. */
export async function visibleSubnet(service: NetworkService, ctx: AuthContext, id: string, db: Db | Tx = service.db): Promise<{ subnet: SubnetRow; network: NetworkRow }> {
  const subnet = await db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
  const network = subnet ? await db.selectFrom('networks').selectAll().where('id', '=', subnet.network_id).executeTakeFirst() : undefined;
  if (!subnet || !network || !(await subnetAccess(service, ctx, db)).visible(subnet, network)) throw neutronNotFound('Subnet', id);
  return { subnet, network };
}

export async function loadSubnetViews(service: NetworkService, rows: readonly SubnetRow[], db: Db | Tx = service.db): Promise<View[]> {
  const tags = await service.tagsOf(rows.map((r) => r.id), db);
  return rows.map((r) => subnetView(r, tags.get(r.id) ?? []));
}

export function subnetPoolVisible(ctx: AuthContext, pool: Pick<SubnetPoolRow, 'project_id' | 'shared'>): boolean {
  return isAdmin(ctx) || pool.project_id === ctx.projectId || pool.shared === 1;
}

export async function visibleSubnetPool(ctx: AuthContext, id: string, db: Db | Tx): Promise<SubnetPoolRow> {
  const pool = await db.selectFrom('subnetpools').selectAll().where('id', '=', id).executeTakeFirst();
  if (!pool || !subnetPoolVisible(ctx, pool)) throw neutronNotFound('Subnet pool', id);
  return pool;
}

export async function loadSubnetPoolViews(service: NetworkService, rows: readonly SubnetPoolRow[], db: Db | Tx = service.db): Promise<View[]> {
  const tags = await service.tagsOf(rows.map((r) => r.id), db);
  return rows.map((r) => subnetPoolView(r, tags.get(r.id) ?? []));
}
