/** /v2.0/subnets: create (single and bulk), list, show, update, delete. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { policyForbidden } from '../errors.js';
import { listResponse, type View } from '../listing.js';
import type { NetworkService } from '../service.js';
import { canWriteSubnet, loadSubnetViews, subnetAccess, visibleSubnet } from '../subnets/access.js';
import { createSubnet, lockRow } from '../subnets/create.js';
import { deleteSubnetRows, subnetInUse, updateSubnet } from '../subnets/update.js';
import { createBodies, updateBody } from '../validate.js';
import { listResponseOne } from './networks.js';

/** Attributes a subnet always has, so filtering on them works even on an empty list. */
const KNOWN = ['id', 'name', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'allocation_pools', 'host_routes', 'dns_nameservers', 'enable_dhcp',
  'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id', 'service_types', 'segment_id', 'tenant_id', 'project_id', 'description', 'tags',
  'created_at', 'updated_at', 'revision_number'];

function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

export async function subnetRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/subnets', async (request) => {
    const ctx = caller(request);
    const access = await subnetAccess(service, ctx);
    const networks = new Map((await db.selectFrom('networks').select(['id', 'project_id', 'shared']).execute()).map((n) => [n.id, n]));
    const rows = [];
    const shared = new Map<string, boolean>();
    for (const s of await db.selectFrom('subnets').selectAll().execute()) {
      const network = networks.get(s.network_id);
      if (!network || !access.visible(s, network)) continue;
      rows.push(s);
      shared.set(s.id, access.shared(network));
    }
    return listResponse(request, 'subnets', await loadSubnetViews(service, rows), {
      knownAttributes: KNOWN,
      // `shared` is not shown on a subnet but filters by its network's sharing, as in Neutron.
      custom: { shared: (view, values) => values.some((v) => (/^(true|1)$/i.test(v)) === shared.get(String(view.id))) },
    });
  });

  app.get('/v2.0/subnets/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const { subnet } = await visibleSubnet(service, ctx, id);
    const [view] = await loadSubnetViews(service, [subnet]);
    return listResponseOne(request, 'subnet', view as View);
  });

  app.post('/v2.0/subnets', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'subnet', 'subnets');
    const rows = await service.store.transaction(async (tx) => {
      const created = [];
      for (const item of items) created.push(await createSubnet(service, ctx, tx, item));
      return created;
    });
    const views = await loadSubnetViews(service, rows);
    reply.code(201);
    return bulk ? { subnets: views } : { subnet: views[0] };
  });

  app.put('/v2.0/subnets/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'subnet');
    const row = await service.store.transaction((tx) => updateSubnet(service, ctx, tx, id, item));
    const [view] = await loadSubnetViews(service, [row]);
    return { subnet: view };
  });

  app.delete('/v2.0/subnets/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    try {
      await service.store.transaction(async (tx) => {
        const { subnet, network } = await visibleSubnet(service, ctx, id, tx);
        if (!canWriteSubnet(ctx, subnet, network)) throw policyForbidden('delete_subnet');
        await lockRow(service, tx, 'networks', network.id);
        await deleteSubnetRows(tx, subnet);
      });
    } catch (err) {
      // A port that took an address on the subnet while it was being deleted (PostgreSQL).
      if (isForeignKeyViolation(err)) throw subnetInUse(id);
      throw err;
    }
    reply.code(204).send();
  });
}
