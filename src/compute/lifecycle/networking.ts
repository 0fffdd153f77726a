/**
 * The instance's side of Neutron: ports made for the networks a create asked for (device_owner
 * compute:<az>, device_id the server, binding:host_id its host), users' ports bound the same
 * way, and on the way out Kumo's own ports deleted and users' ports unbound and kept.
 */
import { ApiError } from '../../api/errors.js';
import { createPort } from '../../network/ports/create.js';
import { deletePortRows } from '../../network/ports/delete.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import type { Vif } from '../driver/driver.js';
import { requestedGroups, requestedNetworks } from '../servers/requested.js';

export const portInUse = (portId: string) => new ApiError('conflict', `Port ${portId} is still in use.`);

/** Nova's device_owner for an instance's ports. */
export function deviceOwner(az: string | null): string {
  return `compute:${az || 'nova'}`;
}

export async function nextPosition(tx: Tx, uuid: string): Promise<number> {
  const row = await tx.selectFrom('instance_interfaces').select((eb) => eb.fn.max<number>('position').as('p')).where('instance_uuid', '=', uuid).executeTakeFirst();
  return row?.p === null || row?.p === undefined ? 0 : Number(row.p) + 1;
}

/** Binds an existing port to the instance on its host; a port bound to another device is refused. */
export async function bindPort(tx: Tx, portId: string, row: Pick<InstanceRow, 'uuid' | 'host' | 'availability_zone'>): Promise<void> {
  const port = await tx.selectFrom('ports').select(['id', 'device_id', 'revision_number']).where('id', '=', portId).executeTakeFirst();
  if (!port) throw new ApiError('notFound', `Port id ${portId} could not be found.`);
  if (port.device_id !== '' && port.device_id !== row.uuid) throw portInUse(portId);
  await tx.updateTable('ports').set({
    device_id: row.uuid, device_owner: deviceOwner(row.availability_zone), binding_host_id: row.host ?? '',
    updated_at: nowIso(), revision_number: port.revision_number + 1,
  }).where('id', '=', portId).execute();
}

/** Adds a port to the instance's interfaces (after any it has). */
export async function addInterface(tx: Tx, uuid: string, portId: string, networkId: string, preserve: boolean, tag: string | null): Promise<void> {
  await tx.insertInto('instance_interfaces').values({
    port_id: portId, instance_uuid: uuid, network_id: networkId, preserve_on_delete: preserve ? 1 : 0, tag,
    position: await nextPosition(tx, uuid), created_at: nowIso(),
  }).execute();
}

/** Creates or binds a port for each requested network, in the order they were asked for. */
export async function allocateNetworks(tx: Tx, row: InstanceRow): Promise<void> {
  const groups = requestedGroups(row);
  for (const req of requestedNetworks(row)) {
    if (req.kind === 'port') {
      const port = await tx.selectFrom('ports').select(['network_id']).where('id', '=', req.portId).executeTakeFirst();
      if (!port) throw new ApiError('notFound', `Port id ${req.portId} could not be found.`);
      await bindPort(tx, req.portId, row);
      await addInterface(tx, row.uuid, req.portId, port.network_id, true, req.tag);
      continue;
    }
    const network = await tx.selectFrom('networks').select(['id', 'port_security_enabled']).where('id', '=', req.networkId).executeTakeFirst();
    if (!network) throw new ApiError('notFound', `Network ${req.networkId} could not be found.`);
    let securityGroups: string[] | undefined;
    if (network.port_security_enabled === 1) {
      securityGroups = groups.length ? [...new Set(groups.map((g) => g.id))] : undefined;
    } else if (groups.length) {
      throw new ApiError('badRequest', 'Network requires port_security_enabled and subnet associated in order to apply security groups.');
    } else {
      securityGroups = [];
    }
    const port = await createPort(tx, {
      networkId: req.networkId, projectId: row.project_id, deviceId: row.uuid, deviceOwner: deviceOwner(row.availability_zone),
      bindingHostId: row.host ?? '', fixedIps: req.fixedIp ? [{ ip_address: req.fixedIp }] : undefined, securityGroups,
    });
    await addInterface(tx, row.uuid, port.id, req.networkId, false, req.tag);
  }
}

/** Users' ports go back to unbound and DOWN, keeping their addresses. */
export async function unbindPorts(tx: Tx, portIds: readonly string[]): Promise<void> {
  if (portIds.length === 0) return;
  const ports = await tx.selectFrom('ports').select(['id', 'revision_number']).where('id', 'in', [...portIds]).execute();
  for (const p of ports) {
    await tx.updateTable('ports').set({
      device_id: '', device_owner: '', binding_host_id: '', binding_vif_type: 'unbound', binding_vif_details: '{}', status: 'DOWN',
      updated_at: nowIso(), revision_number: p.revision_number + 1,
    }).where('id', '=', p.id).execute();
  }
}

/** Removes interfaces from the instance: Kumo's ports are deleted, users' ports unbound. */
export async function releaseInterfaces(tx: Tx, uuid: string, portIds?: readonly string[]): Promise<void> {
  let q = tx.selectFrom('instance_interfaces').select(['port_id', 'preserve_on_delete']).where('instance_uuid', '=', uuid);
  if (portIds) q = q.where('port_id', 'in', portIds.length ? [...portIds] : ['']);
  const rows = await q.execute();
  const ids = rows.map((r) => r.port_id);
  if (ids.length === 0) return;
  await tx.deleteFrom('instance_interfaces').where('port_id', 'in', ids).execute();
  await deletePortRows(tx, rows.filter((r) => r.preserve_on_delete === 0).map((r) => r.port_id));
  await unbindPorts(tx, rows.filter((r) => r.preserve_on_delete === 1).map((r) => r.port_id));
}

/** Ports plugged on a host: bound, ACTIVE, with the VIF type of the host's L2 agent. */
export async function markPortsActive(tx: Tx, portIds: readonly string[], host: string): Promise<void> {
  if (portIds.length === 0) return;
  const ports = await tx.selectFrom('ports').select(['id', 'revision_number', 'status']).where('id', 'in', [...portIds]).execute();
  for (const p of ports) {
    await tx.updateTable('ports').set({
      status: 'ACTIVE', binding_host_id: host, binding_vif_type: 'bridge', binding_vif_details: JSON.stringify({ port_filter: true }),
      updated_at: nowIso(), revision_number: p.revision_number + 1,
    }).where('id', '=', p.id).execute();
  }
}

/** The instance's interfaces as the driver plugs them, in plug order. */
export async function vifsOf(db: Db | Tx, uuid: string, onlyPort?: string): Promise<Vif[]> {
  let q = db.selectFrom('instance_interfaces')
    .innerJoin('ports', 'ports.id', 'instance_interfaces.port_id')
    .innerJoin('networks', 'networks.id', 'ports.network_id')
    .select(['ports.id', 'ports.network_id', 'ports.mac_address', 'networks.mtu', 'instance_interfaces.position'])
    .where('instance_interfaces.instance_uuid', '=', uuid);
  if (onlyPort) q = q.where('ports.id', '=', onlyPort);
  const ports = await q.orderBy('instance_interfaces.position').execute();
  if (ports.length === 0) return [];
  const ips = await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address'])
    .where('port_id', 'in', ports.map((p) => p.id)).execute();
  return ports.map((p) => ({
    portId: p.id, networkId: p.network_id, macAddress: p.mac_address, mtu: p.mtu, devname: `tap${p.id.slice(0, 11)}`,
    fixedIps: ips.filter((i) => i.port_id === p.id).map((i) => ({ subnetId: i.subnet_id, ipAddress: i.ip_address })),
  }));
}
