/**
 * Neutron JSON documents for address groups: the api-ref's attributes plus the standard ones
 * (description, created_at, updated_at, revision_number). No tags: Neutron's address groups
 * are not taggable.
 */
import type { AddressGroupRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import type { View } from '../listing.js';
import { neutronTime } from '../time.js';

/** Attributes a list may be filtered or sorted on even when no group in the answer has them. */
export const ADDRESS_GROUP_ATTRIBUTES = ['id', 'name', 'description', 'tenant_id', 'project_id', 'created_at', 'updated_at', 'revision_number'];

export function addressGroupView(g: AddressGroupRow, addresses: readonly string[]): View {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    tenant_id: g.project_id,
    project_id: g.project_id,
    addresses: [...addresses],
    created_at: neutronTime(g.created_at),
    updated_at: neutronTime(g.updated_at),
    revision_number: g.revision_number,
  };
}

/** Group id → its addresses (in address order), one query per 500 groups. */
export async function addressesOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('address_group_addresses').select(['address_group_id', 'address'])
      .where('address_group_id', 'in', ids.slice(i, i + 500)).orderBy('address_group_id').orderBy('address').execute();
    for (const r of rows) out.get(r.address_group_id)?.push(r.address);
  }
  return out;
}

export async function loadAddressGroupViews(db: Db | Tx, groups: readonly AddressGroupRow[]): Promise<View[]> {
  const addresses = await addressesOf(db, groups.map((g) => g.id));
  return groups.map((g) => addressGroupView(g, addresses.get(g.id) ?? []));
}
