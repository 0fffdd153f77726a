/**
 * Port deletion: the port's addresses go back to the pool, its security group bindings and
 * tags go with it (floating IPs on it are disassociated). Ports that belong to a router
 * (interfaces, gateway) or a floating IP are refused here, as Neutron refuses them: the router
 * and floating IP APIs remove them.
 */
import { ApiError } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin, isMember } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';
import { policyForbidden } from '../errors.js';
import { isRouterInterface, visiblePort } from './access.js';

export const servicePortInUse = (portId: string, owner: string) => new ApiError('conflict',
  `Port ${portId} cannot be deleted directly via the port API: has device owner ${owner}.`, { type: 'ServicePortInUse' });

/**
 * A router's interface or gateway port, or a floating IP's port, while that router or floating
 * IP exists. Neutron lets such a port go once its owner is gone.
 */
async function heldByL3(tx: Tx, owner: string, deviceId: string): Promise<boolean> {
  if (isRouterInterface(owner) || owner === 'network:router_gateway') {
    return (await tx.selectFrom('routers').select('id').where('id', '=', deviceId).executeTakeFirst()) !== undefined;
  }
  if (owner === 'network:floatingip') {
    return (await tx.selectFrom('floatingips').select('id').where('id', '=', deviceId).executeTakeFirst()) !== undefined;
  }
  return false;
}

/** Deletes ports and everything that hangs off them (no policy: callers decide). */
export async function deletePortRows(tx: Tx, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const list = [...ids];
  // Floating IPs on a deleted port are disassociated, not deleted (Neutron's disassociate_floatingips).
  await tx.updateTable('floatingips').set({ fixed_port_id: null, fixed_ip_address: null, router_id: null })
    .where('fixed_port_id', 'in', list).execute();
  await tx.deleteFrom('ip_allocations').where('port_id', 'in', list).execute();
  await tx.deleteFrom('port_security_groups').where('port_id', 'in', list).execute();
  await tx.deleteFrom('resource_tags').where('resource_id', 'in', list).execute();
  await tx.deleteFrom('ports').where('id', 'in', list).execute();
}

/** DELETE /v2.0/ports/{id}: the port's project or its network's owner (members), or an admin. */
export async function deletePortRequest(ctx: AuthContext, tx: Tx, id: string): Promise<void> {
  const { port, network } = await visiblePort(ctx, id, tx);
  const mayDelete = isAdmin(ctx) || (isMember(ctx) && (port.project_id === ctx.projectId || network.project_id === ctx.projectId));
  if (!mayDelete) throw policyForbidden('delete_port');
  if (await heldByL3(tx, port.device_owner, port.device_id)) throw servicePortInUse(id, port.device_owner);
  await deletePortRows(tx, [id]);
}
