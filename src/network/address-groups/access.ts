/**
 * Who sees which address group, and the errors of the resource. Neutron's default policy: an
 * admin sees every group, anyone else (a reader included) the groups of their own project;
 * changes need a member of that project or an admin. Another project's group is a 404, never
 * a 403, so ids do not leak.
 */
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { AddressGroupRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { inUse } from '../errors.js';

export const addressGroupNotFound = (id: string) =>
  new ApiError('notFound', `Address group ${id} could not be found.`, { type: 'AddressGroupNotFound' });

export const addressGroupInUse = (id: string) =>
  inUse('AddressGroupInUse', `Address group ${id} is in use on one or more security group rules.`);

export const addressesNotFound = (id: string, addresses: readonly string[]) =>
  new ApiError('notFound', `Addresses ${pyList(addresses)} not found in the address group ${id}.`, { type: 'AddressesNotFound' });

export const addressesAlreadyExist = (id: string, addresses: readonly string[]) =>
  new ApiError('badRequest', `Addresses ${pyList(addresses)} already exist in the address group ${id}.`, { type: 'AddressesAlreadyExist' });

/** A list as Python prints it in Neutron's messages: ['10.0.0.0/24', '10.0.1.0/24']. */
function pyList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}

export function addressGroupVisible(ctx: AuthContext, g: Pick<AddressGroupRow, 'project_id'>): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && g.project_id === ctx.projectId);
}

/** The group if the caller may see it, else AddressGroupNotFound. */
export async function visibleAddressGroup(db: Db | Tx, ctx: AuthContext, id: string): Promise<AddressGroupRow> {
  const row = await db.selectFrom('address_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !addressGroupVisible(ctx, row)) throw addressGroupNotFound(id);
  return row;
}
