/**
 * Small per-server resources: /ips (addresses by network), os-server-password (the encrypted
 * password a guest agent would post; Kumo's guests post none, so it is empty), and the
 * nova-network era os-virtual-interfaces, which Nova with Neutron refuses (400, gone at 2.44).
 */
import { clearPassword, readPassword } from '../../metadata/password.js';
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { loadServer, requireMember, requireReader } from '../servers/access.js';
import { loadExtras } from '../servers/details.js';
import type { InstanceRow } from '../../store/schema-servers.js';

type IdParams = { Params: { id: string } };
type NetParams = { Params: { id: string; network: string } };

async function addressesOf(service: ComputeService, row: InstanceRow): Promise<Record<string, { version: number; addr: string }[]>> {
  const out: Record<string, { version: number; addr: string }[]> = {};
  if (row.vm_state === 'building') return out;
  const extras = (await loadExtras(service.db, [row])).get(row.uuid);
  for (const a of extras?.addresses ?? []) (out[a.network] ??= []).push({ version: a.version, addr: a.addr });
  return out;
}

export async function serverExtraRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get<IdParams>('/servers/:id/ips', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:ips:index');
    const row = await loadServer(service.db, ctx, request.params.id);
    return { addresses: await addressesOf(service, row) };
  });

  app.get<NetParams>('/servers/:id/ips/:network', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:ips:show');
    const row = await loadServer(service.db, ctx, request.params.id);
    const addresses = await addressesOf(service, row);
    const list = addresses[request.params.network];
    if (!list) throw notFound('Instance is not a member of specified network');
    return { [request.params.network]: list };
  });

  app.get<IdParams>('/servers/:id/os-server-password', async (request) => {
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-server-password:show');
    const server = await loadServer(service.db, ctx, request.params.id);
    // What the guest posted to the metadata service (encrypted with its key pair by the guest).
    return { password: await readPassword(service.db, server.uuid) };
  });

  app.delete<IdParams>('/servers/:id/os-server-password', async (request, reply) => {
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-server-password:clear');
    const server = await loadServer(service.db, ctx, request.params.id);
    await clearPassword(service.db, server.uuid);
    return reply.code(204).send();
  });

  app.get<IdParams>('/servers/:id/os-virtual-interfaces', async (request) => {
    if (atLeast(request, '2.44')) throw notFound('The resource could not be found.');
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-virtual-interfaces');
    await loadServer(service.db, ctx, request.params.id);
    throw badRequest('Listing virtual interfaces is not supported by this cloud.');
  });
}
