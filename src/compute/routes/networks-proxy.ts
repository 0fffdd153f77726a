/**
 * /os-networks and /os-tenant-networks: Nova's read-only view of Neutron networks from its
 * nova-network days, for clients below microversion 2.36 (404 from it, as in Nova). With
 * Neutron behind it Nova fills only the id, label and cidr (the first subnet's); the other
 * nova-network fields are null, and only admins see them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { NetworkRow } from '../../store/schema-network.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { requireReader } from '../servers/access.js';

type IdParams = { Params: { id: string } };

const NOVA_NETWORK_FIELDS = ['bridge', 'bridge_interface', 'broadcast', 'cidr_v6', 'created_at', 'deleted', 'deleted_at', 'dhcp_server',
  'dhcp_start', 'dns1', 'dns2', 'enable_dhcp', 'gateway', 'gateway_v6', 'host', 'injected', 'multi_host', 'netmask', 'netmask_v6',
  'priority', 'project_id', 'rxtx_base', 'share_address', 'updated_at', 'vlan', 'vpn_private_address', 'vpn_public_address', 'vpn_public_port'];

function deprecated(request: FastifyRequest): void {
  if (atLeast(request, '2.36')) throw notFound('The resource could not be found.');
}

async function visibleNetworks(service: ComputeService, ctx: AuthContext): Promise<{ row: NetworkRow; cidr: string | null }[]> {
  const rows = await service.db.selectFrom('networks').selectAll().orderBy('created_at').orderBy('id').execute();
  const grants = await service.network.rbacGrants(ctx);
  const visible = rows.filter((r) => service.network.networkVisible(ctx, r, grants));
  const subnets = visible.length
    ? await service.db.selectFrom('subnets').select(['network_id', 'cidr', 'created_at']).where('network_id', 'in', visible.map((r) => r.id)).orderBy('created_at').execute()
    : [];
  return visible.map((row) => ({ row, cidr: subnets.find((s) => s.network_id === row.id)?.cidr ?? null }));
}

function networkView(admin: boolean, n: { row: NetworkRow; cidr: string | null }): Record<string, unknown> {
  const view: Record<string, unknown> = { id: n.row.id, label: n.row.name, cidr: n.cidr };
  if (admin) {
    for (const field of NOVA_NETWORK_FIELDS) view[field] = null;
    view.mtu = n.row.mtu;
  }
  return view;
}

export async function networkProxyRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  for (const [path, full] of [['/os-networks', true], ['/os-tenant-networks', false]] as const) {
    app.get(path, async (request) => {
      deprecated(request);
      const ctx = caller(request);
      requireReader(ctx, `os_compute_api:${path.slice(1)}:list`);
      const admin = full && isAdmin(ctx);
      return { networks: (await visibleNetworks(service, ctx)).map((n) => networkView(admin, n)) };
    });
    app.get<IdParams>(`${path}/:id`, async (request) => {
      deprecated(request);
      const ctx = caller(request);
      requireReader(ctx, `os_compute_api:${path.slice(1)}:show`);
      const found = (await visibleNetworks(service, ctx)).find((n) => n.row.id === request.params.id);
      if (!found) throw notFound('Network not found');
      return { network: networkView(full && isAdmin(ctx), found) };
    });
  }
}
