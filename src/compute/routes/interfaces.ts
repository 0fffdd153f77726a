/**
 * /servers/{id}/os-interface[/{port_id}]: the server's ports (port_state, port_id, net_id,
 * mac_addr, fixed_ips; the tag from 2.70), attach by port_id or net_id (+ fixed_ips; a tag
 * from 2.49), detach. `nova interface-attach/-list/-detach` (seed 000) run on these.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { Db } from '../../store/store.js';
import { invalid, isObject, isUuidLike, onlyKeys, pyRepr } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { loadServer, requireMember, requireReader } from '../servers/access.js';
import { tagString } from '../servers/input-types.js';
import { attachInterface, detachInterface, type AttachRequest } from '../servers/interfaces.js';
import { isIP } from 'node:net';

type IdParams = { Params: { id: string } };
type PortParams = { Params: { id: string; portId: string } };

async function attachments(db: Db, request: FastifyRequest, uuid: string, portId?: string): Promise<Record<string, unknown>[]> {
  let q = db.selectFrom('instance_interfaces').innerJoin('ports', 'ports.id', 'instance_interfaces.port_id')
    .select(['ports.id', 'ports.network_id', 'ports.mac_address', 'ports.status', 'instance_interfaces.tag', 'instance_interfaces.position'])
    .where('instance_interfaces.instance_uuid', '=', uuid);
  if (portId) q = q.where('ports.id', '=', portId);
  const ports = await q.orderBy('instance_interfaces.position').execute();
  if (ports.length === 0) return [];
  const ips = await db.selectFrom('ip_allocations').innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
    .select(['ip_allocations.port_id', 'ip_allocations.subnet_id', 'ip_allocations.ip_address', 'subnets.created_at'])
    .where('ip_allocations.port_id', 'in', ports.map((p) => p.id)).execute();
  return ports.map((p) => {
    const view: Record<string, unknown> = {
      net_id: p.network_id, port_id: p.id, mac_addr: p.mac_address, port_state: p.status,
      fixed_ips: ips.filter((i) => i.port_id === p.id).sort((a, b) => a.created_at.localeCompare(b.created_at))
        .map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address })),
    };
    if (atLeast(request, '2.70')) view.tag = p.tag;
    return view;
  });
}

function parseAttach(request: FastifyRequest, body: unknown): AttachRequest {
  // No body (or {}) attaches a new port on the project's one network, as Nova does; null is malformed.
  if (body === undefined) return { netId: null, portId: null, fixedIp: null, tag: null };
  if (!isObject(body)) throw invalid('body', body, `${pyRepr(body)} is not of type 'object'`);
  onlyKeys(body, ['interfaceAttachment'], 'body');
  const a = body.interfaceAttachment;
  if (a === undefined) return { netId: null, portId: null, fixedIp: null, tag: null };
  if (!isObject(a)) throw invalid('interfaceAttachment', a, `${pyRepr(a)} is not of type 'object'`);
  onlyKeys(a, atLeast(request, '2.49') ? ['net_id', 'port_id', 'fixed_ips', 'tag'] : ['net_id', 'port_id', 'fixed_ips'], 'interfaceAttachment');
  for (const field of ['net_id', 'port_id'] as const) {
    const v = a[field];
    if (v !== undefined && (typeof v !== 'string' || !isUuidLike(v))) throw invalid(field, v, `${pyRepr(v)} is not a 'uuid'`);
  }
  let fixedIp: string | null = null;
  if (a.fixed_ips !== undefined) {
    const list = a.fixed_ips;
    if (!Array.isArray(list) || list.length > 1) throw invalid('fixed_ips', list, `${pyRepr(list)} is not valid under any of the given schemas`);
    const first = list[0];
    if (first !== undefined) {
      if (!isObject(first) || typeof first.ip_address !== 'string' || isIP(first.ip_address) === 0) throw invalid('fixed_ips', list, `${pyRepr(list)} is not valid under any of the given schemas`);
      fixedIp = first.ip_address;
    }
  }
  const netId = typeof a.net_id === 'string' ? a.net_id : null;
  const portId = typeof a.port_id === 'string' ? a.port_id : null;
  if (netId && portId) throw badRequest('Must not input both network_id and port_id');
  if (fixedIp && !netId) throw badRequest('Must input network_id when request IP address');
  return { netId, portId, fixedIp, tag: a.tag === undefined ? null : tagString(a.tag, 'tag') };
}

export async function interfaceRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get<IdParams>('/servers/:id/os-interface', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-attach-interfaces:list');
    const row = await loadServer(service.db, ctx, request.params.id);
    return { interfaceAttachments: await attachments(service.db, request, row.uuid) };
  });

  app.get<PortParams>('/servers/:id/os-interface/:portId', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-attach-interfaces:show');
    const row = await loadServer(service.db, ctx, request.params.id);
    const [view] = await attachments(service.db, request, row.uuid, request.params.portId);
    if (!view) throw notFound(`Instance ${row.uuid} does not have a port with id ${request.params.portId}`);
    return { interfaceAttachment: view };
  });

  app.post<IdParams>('/servers/:id/os-interface', async (request) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-attach-interfaces:create');
    const req = parseAttach(request, request.body);
    const portId = await attachInterface(service, request, ctx, request.params.id, req);
    const [view] = await attachments(service.db, request, request.params.id, portId);
    return { interfaceAttachment: view };
  });

  app.delete<PortParams>('/servers/:id/os-interface/:portId', async (request, reply) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-attach-interfaces:delete');
    await detachInterface(service, request, ctx, request.params.id, request.params.portId);
    return reply.code(202).send();
  });
}
