/** What an external network's deletion takes with it: its unassociated floating IPs (associated ones keep it in use). */
import type { Tx } from '../../store/store.js';
import { deletePortRows } from '../ports/delete.js';

export async function deleteDisassociatedFloatingIps(tx: Tx, networkId: string): Promise<void> {
  const fips = await tx.selectFrom('floatingips').select(['id', 'floating_port_id'])
    .where('floating_network_id', '=', networkId).where('fixed_port_id', 'is', null).execute();
  if (fips.length === 0) return;
  const ids = fips.map((f) => f.id);
  await tx.deleteFrom('resource_tags').where('resource_id', 'in', ids).execute();
  await tx.deleteFrom('floatingips').where('id', 'in', ids).execute();
  await deletePortRows(tx, fips.map((f) => f.floating_port_id));
}
