/**
 * Nova's floating IP proxy (os-floating-ips, os-floating-ip-pools, gone at 2.36; addFloatingIp
 * and removeFloatingIp, gone at 2.44): Neutron floating IPs in Nova's shape {id, ip, pool,
 * fixed_ip, instance_id}, allocated from an external network named (or given by id) as the
 * pool, associated with a server's port through Neutron's own association rules.
 */
import { ApiError, badRequest, conflict, forbidden, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import { FLOATINGIP_OWNER } from '../../network/l3/access.js';
import { associationFor, NO_ASSOCIATION, type Association } from '../../network/l3/floating.js';
import { createPort, networkSubnets } from '../../network/ports/create.js';
import { deletePortRows } from '../../network/ports/delete.js';
import { quotaLimits } from '../../network/quotas.js';
import type { FloatingIpRow } from '../../store/schema-l3.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';

export const floatingIpNotFound = (id: string) => notFound(`Floating IP not found for ID ${id}`);

/** The Nova view: the pool is the external network's name, the instance the port's device. */
export async function floatingIpViews(db: Db | Tx, rows: readonly FloatingIpRow[]): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const nets = await db.selectFrom('networks').select(['id', 'name']).where('id', 'in', [...new Set(rows.map((r) => r.floating_network_id))]).execute();
  const portIds = rows.map((r) => r.fixed_port_id).filter((p): p is string => p !== null);
  const ports = portIds.length ? await db.selectFrom('ports').select(['id', 'device_id']).where('id', 'in', portIds).execute() : [];
  const netName = new Map(nets.map((n) => [n.id, n.name]));
  const device = new Map(ports.map((p) => [p.id, p.device_id]));
  return rows.map((r) => ({
    id: r.id, ip: r.floating_ip_address, pool: netName.get(r.floating_network_id) ?? null, fixed_ip: r.fixed_ip_address,
    instance_id: r.fixed_port_id ? device.get(r.fixed_port_id) || null : null,
  }));
}

export async function ownFloatingIp(db: Db | Tx, ctx: AuthContext, id: string): Promise<FloatingIpRow> {
  const row = await db.selectFrom('floatingips').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || (!isAdmin(ctx) && row.project_id !== ctx.projectId)) throw floatingIpNotFound(id);
  return row;
}

/** Allocates from the pool: an external network with an IPv4 subnet, named or given by id. */
export async function allocate(tx: Tx, ctx: AuthContext, pool: string): Promise<FloatingIpRow> {
  const projectId = ctx.projectId ?? '';
  const network = await tx.selectFrom('networks').selectAll().where('external', '=', 1)
    .where((eb) => eb.or([eb('name', '=', pool), eb('id', '=', pool)])).orderBy('created_at').executeTakeFirst();
  if (!network) throw notFound('Floating IP pool not found.');
  if (!(await networkSubnets(tx, network.id)).some((s) => s.ip_version === 4)) throw notFound('Floating IP pool not found.');
  const limit = (await quotaLimits(tx, projectId)).floatingip ?? -1;
  if (limit >= 0) {
    const used = await tx.selectFrom('floatingips').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirst();
    if (Number(used?.n ?? 0) + 1 > limit) throw forbidden('Maximum number of floating IPs exceeded');
  }
  const id = uuid();
  let port;
  try {
    port = await createPort(tx, { networkId: network.id, projectId: '', name: '', deviceId: id, deviceOwner: FLOATINGIP_OWNER, status: 'N/A', securityGroups: [] });
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) throw notFound(`No more floating IPs in pool ${pool}.`);
    throw err;
  }
  const v4 = (await tx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', port.id).execute()).find((a) => !a.ip_address.includes(':'));
  if (!v4) throw notFound(`No more floating IPs in pool ${pool}.`);
  const now = nowIso();
  const row: FloatingIpRow = {
    id, project_id: projectId, description: '', floating_network_id: network.id, floating_ip_address: v4.ip_address, floating_port_id: port.id,
    fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', created_at: now, updated_at: now, revision_number: 1,
  };
  await tx.insertInto('floatingips').values(row).execute();
  return row;
}

async function save(tx: Tx, fip: FloatingIpRow, assoc: Association): Promise<void> {
  await tx.updateTable('floatingips').set({
    fixed_port_id: assoc.portId, fixed_ip_address: assoc.fixedIp, router_id: assoc.routerId, updated_at: nowIso(), revision_number: fip.revision_number + 1,
  }).where('id', '=', fip.id).execute();
}

export async function release(tx: Tx, fip: FloatingIpRow): Promise<void> {
  await tx.deleteFrom('floatingips').where('id', '=', fip.id).execute();
  await deletePortRows(tx, [fip.floating_port_id]);
}

/** The caller's floating IP with this address. */
async function byAddress(tx: Tx, ctx: AuthContext, address: string): Promise<FloatingIpRow> {
  let q = tx.selectFrom('floatingips').selectAll().where('floating_ip_address', '=', address);
  if (!isAdmin(ctx)) q = q.where('project_id', '=', ctx.projectId ?? '');
  const row = await q.executeTakeFirst();
  if (!row) throw notFound(`floating IP not found for address ${address}`);
  return row;
}

/** addFloatingIp: onto the server's port holding fixed_address, or its first port with an IPv4 address. */
export async function associate(tx: Tx, ctx: AuthContext, serverId: string, address: string, fixedAddress: string | null): Promise<void> {
  const fip = await byAddress(tx, ctx, address);
  const ports = await tx.selectFrom('instance_interfaces').innerJoin('ip_allocations', 'ip_allocations.port_id', 'instance_interfaces.port_id')
    .select(['instance_interfaces.port_id', 'ip_allocations.ip_address']).where('instance_interfaces.instance_uuid', '=', serverId)
    .orderBy('instance_interfaces.position').execute();
  const target = fixedAddress !== null ? ports.find((p) => p.ip_address === fixedAddress) : ports.find((p) => !p.ip_address.includes(':'));
  if (!target) throw badRequest(fixedAddress !== null ? `Specified fixed address not assigned to instance` : 'No nw_info cache associated with instance');
  try {
    await save(tx, fip, await associationFor(ctx, tx, fip, target.port_id, target.ip_address));
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) throw badRequest(err.message);
    throw err;
  }
}

/** removeFloatingIp: only from the server it is on. */
export async function disassociate(tx: Tx, ctx: AuthContext, serverId: string, address: string): Promise<void> {
  const fip = await byAddress(tx, ctx, address);
  const port = fip.fixed_port_id ? await tx.selectFrom('ports').select('device_id').where('id', '=', fip.fixed_port_id).executeTakeFirst() : undefined;
  if (!port || port.device_id !== serverId) throw conflict(`Floating IP ${address} is not associated with instance ${serverId}.`);
  await save(tx, fip, NO_ASSOCIATION);
}
