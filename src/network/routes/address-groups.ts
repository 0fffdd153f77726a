/**
 * /v2.0/address-groups: create (bulk too), list, show, update (name and description), delete
 * (refused while a security-group rule names the group), and the member actions add_addresses
 * and remove_addresses, each atomic: adding an address already there is a 400 and removing one
 * that is not a 404, and then nothing changes (Neutron's AddressesAlreadyExist and
 * AddressesNotFound). Every change of the addresses revises the group, which is what wakes the
 * agents (agent/watch.ts) to rewrite the rule's nft set.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { AddressGroupRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { actionAddresses, createAddresses } from '../address-groups/addresses.js';
import { addressesAlreadyExist, addressesNotFound, addressGroupInUse, visibleAddressGroup } from '../address-groups/access.js';
import { ADDRESS_GROUP_ATTRIBUTES, addressesOf, addressGroupView, loadAddressGroupViews } from '../address-groups/views.js';
import { badRequestType } from '../errors.js';
import { listResponse, parseQuery, type View } from '../listing.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import type { NetworkService } from '../service.js';
import { createBodies, notUpdatable, onlyKnown, optString, updateBody, type Body } from '../validate.js';
import { listResponseOne } from './networks.js';

const CREATE_ATTRS = ['name', 'description', 'addresses', 'tenant_id', 'project_id'];
const UPDATE_ATTRS = ['name', 'description'];
const READ_ONLY = ['id', 'tenant_id', 'project_id', 'addresses', 'created_at', 'updated_at', 'revision_number'];
/** The api-ref's description is a long one (neutron-lib LONG_DESCRIPTION_FIELD_SIZE). */
const DESCRIPTION_MAX = 1024;

async function createGroup(ctx: AuthContext, tx: Tx, item: Body): Promise<AddressGroupRow> {
  onlyKnown(item, CREATE_ATTRS);
  const name = optString(item, 'name') ?? '';
  const description = optString(item, 'description', DESCRIPTION_MAX) ?? '';
  const addresses = createAddresses(item.addresses);
  requireMember(ctx, 'create_address_group');
  const projectId = owningProject(ctx, item, 'create_address_group');
  const now = nowIso();
  const row: AddressGroupRow = { id: uuid(), project_id: projectId, name, description, created_at: now, updated_at: now, revision_number: 1 };
  await tx.insertInto('address_groups').values(row).execute();
  if (addresses.length) await tx.insertInto('address_group_addresses').values(addresses.map((address) => ({ address_group_id: row.id, address }))).execute();
  return row;
}

/** Revises a group whose addresses or attributes changed; returns the new row. */
async function revise(tx: Tx, current: AddressGroupRow, changes: Partial<Pick<AddressGroupRow, 'name' | 'description'>> = {}): Promise<AddressGroupRow> {
  const updated = { ...current, ...changes, updated_at: nowIso(), revision_number: current.revision_number + 1 };
  await tx.updateTable('address_groups').set({ ...changes, updated_at: updated.updated_at, revision_number: updated.revision_number })
    .where('id', '=', current.id).execute();
  return updated;
}

export async function addressGroupRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;
  const one = async (tx: Tx, row: AddressGroupRow): Promise<{ address_group: View }> =>
    ({ address_group: addressGroupView(row, (await addressesOf(tx, [row.id])).get(row.id) ?? []) });

  app.get('/v2.0/address-groups', async (request) => {
    const ctx = caller(request);
    // `addresses` is shown but, as in Neutron, is no filter.
    if ('addresses' in parseQuery(request)) throw badRequestType('[addresses] is invalid attribute for filtering');
    let query = db.selectFrom('address_groups').selectAll();
    if (!isAdmin(ctx)) query = query.where('project_id', '=', ctx.projectId ?? '');
    const views = await loadAddressGroupViews(db, await query.execute());
    return listResponse(request, 'address_groups', views, { knownAttributes: ADDRESS_GROUP_ATTRIBUTES });
  });

  app.get('/v2.0/address-groups/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await visibleAddressGroup(db, ctx, id);
    const [view] = await loadAddressGroupViews(db, [row]);
    return listResponseOne(request, 'address_group', view as View);
  });

  app.post('/v2.0/address-groups', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'address_group', 'address_groups');
    const views = await service.store.transaction(async (tx) => {
      const rows: AddressGroupRow[] = [];
      for (const item of items) rows.push(await createGroup(ctx, tx, item));
      return loadAddressGroupViews(tx, rows);
    });
    reply.code(201);
    return bulk ? { address_groups: views } : { address_group: views[0] };
  });

  app.put('/v2.0/address-groups/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'address_group');
    notUpdatable(item, READ_ONLY);
    onlyKnown(item, UPDATE_ATTRS);
    const name = optString(item, 'name');
    const description = optString(item, 'description', DESCRIPTION_MAX);
    return service.store.transaction(async (tx) => {
      const current = await visibleAddressGroup(tx, ctx, id);
      requireWrite(ctx, current.project_id, 'update_address_group');
      const changes: Partial<Pick<AddressGroupRow, 'name' | 'description'>> = {};
      if (name !== undefined && name !== current.name) changes.name = name;
      if (description !== undefined && description !== current.description) changes.description = description;
      return one(tx, Object.keys(changes).length ? await revise(tx, current, changes) : current);
    });
  });

  app.delete('/v2.0/address-groups/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const current = await visibleAddressGroup(tx, ctx, id);
      requireWrite(ctx, current.project_id, 'delete_address_group');
      // Any project's rule counts: the group may not vanish under someone's rule.
      const user = await tx.selectFrom('security_group_rules').select('id').where('remote_address_group_id', '=', id).limit(1).executeTakeFirst();
      if (user) throw addressGroupInUse(id);
      await tx.deleteFrom('address_groups').where('id', '=', id).execute();
    });
    reply.code(204).send();
  });

  app.put('/v2.0/address-groups/:id/add_addresses', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const addresses = actionAddresses(request.body);
    return service.store.transaction(async (tx) => {
      const current = await visibleAddressGroup(tx, ctx, id);
      requireWrite(ctx, current.project_id, 'add_addresses');
      const have = new Set((await addressesOf(tx, [id])).get(id));
      const present = addresses.filter((a) => have.has(a));
      if (present.length) throw addressesAlreadyExist(id, present);
      if (addresses.length === 0) return one(tx, current);
      await tx.insertInto('address_group_addresses').values(addresses.map((address) => ({ address_group_id: id, address }))).execute();
      return one(tx, await revise(tx, current));
    });
  });

  app.put('/v2.0/address-groups/:id/remove_addresses', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const addresses = actionAddresses(request.body);
    return service.store.transaction(async (tx) => {
      const current = await visibleAddressGroup(tx, ctx, id);
      requireWrite(ctx, current.project_id, 'remove_addresses');
      const have = new Set((await addressesOf(tx, [id])).get(id));
      const absent = addresses.filter((a) => !have.has(a));
      if (absent.length) throw addressesNotFound(id, absent);
      if (addresses.length === 0) return one(tx, current);
      await tx.deleteFrom('address_group_addresses').where('address_group_id', '=', id).where('address', 'in', addresses).execute();
      return one(tx, await revise(tx, current));
    });
  });
}
