/**
 * Interface attach and detach (os-interface, seed 000): a user's port or a new port on a
 * network is bound to the server on its host and hot-plugged by the driver; detach unplugs it,
 * deletes a port Kumo made and unbinds (keeps) a user's port. Both run with no lifecycle step
 * of the server in between, and record attach_interface / detach_interface actions.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest, conflict, forbidden, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { createPort } from '../../network/ports/create.js';
import { addInterface, bindPort, deviceOwner, markPortsActive, releaseInterfaces, vifsOf } from '../lifecycle/networking.js';
import { recordEvent, recordFault, startAction } from '../lifecycle/records.js';
import type { ComputeService } from '../service.js';
import { checkNotLocked, loadServer } from './access.js';
import { ACTION_STATES, checkState } from './states.js';

export interface AttachRequest {
  readonly netId: string | null;
  readonly portId: string | null;
  readonly fixedIp: string | null;
  readonly tag: string | null;
}

/** The port to plug: the user's (checked and bound) or a new one on the network. */
async function preparePort(tx: Tx, service: ComputeService, ctx: AuthContext, row: { uuid: string; project_id: string; host: string | null; availability_zone: string | null }, req: AttachRequest): Promise<string> {
  if (req.portId) {
    const port = await tx.selectFrom('ports').select(['id', 'project_id', 'network_id', 'device_id']).where('id', '=', req.portId).executeTakeFirst();
    if (!port || (!isAdmin(ctx) && port.project_id !== ctx.projectId)) throw notFound(`Port id ${req.portId} could not be found.`);
    if (port.device_id !== '') throw conflict(`Port ${req.portId} is still in use.`);
    await bindPort(tx, port.id, row);
    await addInterface(tx, row.uuid, port.id, port.network_id, true, req.tag);
    return port.id;
  }
  let netId = req.netId;
  if (!netId) {
    const nets = await tx.selectFrom('networks').select('id')
      .where((eb) => eb.or([eb('project_id', '=', row.project_id), eb('shared', '=', 1)])).execute();
    if (nets.length === 0) throw badRequest('No networks are available for the instance.');
    if (nets.length > 1) throw badRequest('Multiple possible networks found, use a Network ID to be more specific.');
    netId = (nets[0] as { id: string }).id;
  }
  const net = await tx.selectFrom('networks').selectAll().where('id', '=', netId).executeTakeFirst();
  const grants = await service.network.rbacGrants(ctx, tx);
  if (!net || !service.network.networkVisible(ctx, net, grants)) throw notFound(`Network ${netId} could not be found.`);
  if (net.external === 1 && net.shared === 0 && !isAdmin(ctx) && net.project_id !== ctx.projectId) {
    throw forbidden(`It is not allowed to create an interface on external network ${netId}`);
  }
  try {
    const port = await createPort(tx, {
      networkId: netId, projectId: row.project_id, deviceId: row.uuid, deviceOwner: deviceOwner(row.availability_zone),
      bindingHostId: row.host ?? '', fixedIps: req.fixedIp ? [{ ip_address: req.fixedIp }] : undefined,
    });
    await addInterface(tx, row.uuid, port.id, netId, false, req.tag);
    return port.id;
  } catch (err) {
    if (err instanceof ApiError && err.type === 'IpAddressAlreadyAllocated') throw conflict(`Fixed IP address ${req.fixedIp} is already in use on instance.`);
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) throw badRequest(err.message);
    throw err;
  }
}

export async function attachInterface(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, req: AttachRequest): Promise<string> {
  const server = await loadServer(service.db, ctx, id);
  return service.conductor.exclusive(server.uuid, async () => {
    const startedAt = nowIso();
    const { row, portId } = await service.store.transaction(async (tx) => {
      const current = await loadServer(tx, ctx, id);
      checkNotLocked(ctx, current);
      checkState(current, ACTION_STATES.attachInterface, 'attach_interface');
      const port = await preparePort(tx, service, ctx, current, req);
      await startAction(tx, { uuid: current.uuid, action: 'attach_interface', requestId: request.id, projectId: current.project_id, userId: ctx.userId });
      return { row: current, portId: port };
    });
    const host = row.host as string;
    try {
      const [vif] = await vifsOf(service.db, row.uuid, portId);
      if (vif) await service.driver.attachInterface(host, row.uuid, vif);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await service.store.transaction(async (tx) => {
        await releaseInterfaces(tx, row.uuid, [portId]);
        await recordFault(tx, row.uuid, 500, `Failed to attach network adapter device to ${row.uuid}`, reason, host);
        await recordEvent(tx, row.uuid, 'compute_attach_interface', host, startedAt, { ok: false, traceback: reason }, true);
      });
      throw new ApiError('internal', `Failed to attach network adapter device to ${row.uuid}`, { cause: err });
    }
    await service.store.transaction(async (tx) => {
      await markPortsActive(tx, [portId], host);
      await recordEvent(tx, row.uuid, 'compute_attach_interface', host, startedAt, { ok: true }, true);
    });
    return portId;
  });
}

export async function detachInterface(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, portId: string): Promise<void> {
  const server = await loadServer(service.db, ctx, id);
  await service.conductor.exclusive(server.uuid, async () => {
    const startedAt = nowIso();
    const row = await service.store.transaction(async (tx) => {
      const current = await loadServer(tx, ctx, id);
      checkNotLocked(ctx, current);
      checkState(current, ACTION_STATES.detachInterface, 'detach_interface');
      const attached = await tx.selectFrom('instance_interfaces').select('port_id').where('instance_uuid', '=', current.uuid).where('port_id', '=', portId).executeTakeFirst();
      if (!attached) throw notFound(`Port id ${portId} could not be found.`);
      await startAction(tx, { uuid: current.uuid, action: 'detach_interface', requestId: request.id, projectId: current.project_id, userId: ctx.userId });
      return current;
    });
    if (row.host) await service.driver.detachInterface(row.host, row.uuid, portId);
    await service.store.transaction(async (tx) => {
      await releaseInterfaces(tx, row.uuid, [portId]);
      await tx.updateTable('instances').set({ updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
      await recordEvent(tx, row.uuid, 'compute_detach_interface', row.host, startedAt, { ok: true }, true);
    });
  });
}
