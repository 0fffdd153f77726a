/**
 * /v2.0/floatingips: create (from an external network, optionally a subnet or, for admins, a
 * given address; associated at once if port_id is given), list, show, update (associate,
 * re-associate, disassociate with port_id null, description), delete; and
 * /v2.0/floatingip_pools, the IPv4 subnets of external networks. A floating IP stays DOWN:
 * nothing applies it to a data plane yet.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { FloatingIpRow } from '../../store/schema-l3.js';
import type { Tx } from '../../store/store.js';
import { isUniqueViolation } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { policyForbidden } from '../errors.js';
import { formatIp, parseIp } from '../ipam/ip.js';
import { visibleFloatingIp, FLOATINGIP_OWNER } from '../l3/access.js';
import { badL3Request, portAlreadyAssociated } from '../l3/errors.js';
import { associationFor, NO_ASSOCIATION, type Association } from '../l3/floating.js';
import { FLOATINGIP_ATTRIBUTES, loadFloatingIpViews } from '../l3/views.js';
import { listResponse, type View } from '../listing.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import { createPort, networkSubnets } from '../ports/create.js';
import { deletePortRows } from '../ports/delete.js';
import { checkQuotaLocked, portTransaction } from '../ports/tx.js';
import type { NetworkService } from '../service.js';
import { bad, createBodies, isUuid, notUpdatable, onlyKnown, optString, updateBody, type Body } from '../validate.js';
import { listResponseOne, visibleNetwork } from './networks.js';

const CREATE_ATTRS = ['floating_network_id', 'floating_ip_address', 'subnet_id', 'port_id', 'fixed_ip_address', 'description', 'tenant_id', 'project_id'];
const READ_ONLY = ['id', 'floating_network_id', 'floating_ip_address', 'subnet_id', 'router_id', 'status', 'tenant_id', 'project_id', 'port_details',
  'created_at', 'updated_at', 'revision_number', 'tags'];

const invalid = (attribute: string, reason: string) => bad(`Invalid input for ${attribute}. Reason: ${reason}.`);

function optUuidAttr(item: Body, attribute: string): string | null | undefined {
  const value = item[attribute];
  if (value === undefined || value === null) return value as undefined | null;
  if (!isUuid(value)) throw invalid(attribute, `'${String(value)}' is not a valid UUID`);
  return value.toLowerCase();
}

function optIpAttr(item: Body, attribute: string): string | null | undefined {
  const value = item[attribute];
  if (value === undefined || value === null) return value as undefined | null;
  const ip = typeof value === 'string' ? parseIp(value) : null;
  if (!ip) throw invalid(attribute, `'${String(value)}' is not a valid IP address`);
  return formatIp(ip.version, ip.value);
}

/** Writes the association; the unique (network, port, fixed IP) constraint settles a race with a 409. */
async function saveAssociation(tx: Tx, fip: FloatingIpRow, assoc: Association, extra: Partial<FloatingIpRow>): Promise<FloatingIpRow> {
  const changes = { fixed_port_id: assoc.portId, fixed_ip_address: assoc.fixedIp, router_id: assoc.routerId, ...extra };
  try {
    await tx.updateTable('floatingips').set(changes).where('id', '=', fip.id).execute();
  } catch (err) {
    if (isUniqueViolation(err) && assoc.portId && assoc.fixedIp) {
      throw portAlreadyAssociated({ fipId: fip.id, address: fip.floating_ip_address, portId: assoc.portId, fixedIp: assoc.fixedIp, networkId: fip.floating_network_id });
    }
    throw err;
  }
  return { ...fip, ...changes };
}

async function createFloatingIp(service: NetworkService, ctx: AuthContext, tx: Tx, item: Body): Promise<FloatingIpRow> {
  onlyKnown(item, CREATE_ATTRS);
  requireMember(ctx, 'create_floatingip');
  if (item.floating_network_id === undefined) throw bad("Failed to parse request. Required attribute 'floating_network_id' not specified");
  const networkId = optUuidAttr(item, 'floating_network_id');
  if (!networkId) throw invalid('floating_network_id', `'${String(item.floating_network_id)}' is not a valid UUID`);
  const address = optIpAttr(item, 'floating_ip_address');
  const subnetId = optUuidAttr(item, 'subnet_id');
  const portId = optUuidAttr(item, 'port_id');
  const fixedIp = optIpAttr(item, 'fixed_ip_address');
  const description = optString(item, 'description') ?? '';
  const projectId = owningProject(ctx, item, 'create_floatingip');
  if (address && !isAdmin(ctx)) throw policyForbidden('create_floatingip:floating_ip_address');
  if (fixedIp && !portId) throw badL3Request('floatingip', 'fixed_ip_address cannot be specified without a port_id');
  const network = await visibleNetwork(service, ctx, networkId, tx);
  if (network.external !== 1) throw badL3Request('floatingip', `Network ${network.id} is not a valid external network`);
  if (!(await networkSubnets(tx, network.id)).some((s) => s.ip_version === 4)) {
    throw badL3Request('floatingip', `Network ${network.id} does not contain any IPv4 subnet`);
  }
  await checkQuotaLocked(service.store, tx, projectId, 'floatingip');
  const id = uuid();
  const fixedIps = subnetId || address ? [{ ...(subnetId ? { subnet_id: subnetId } : {}), ...(address ? { ip_address: address } : {}) }] : undefined;
  const port = await createPort(tx, {
    networkId: network.id, projectId: '', name: '', deviceId: id, deviceOwner: FLOATINGIP_OWNER, adminStateUp: true, status: 'N/A',
    fixedIps, securityGroups: [],
  });
  const v4 = (await tx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', port.id).execute()).find((a) => !a.ip_address.includes(':'));
  if (!v4) throw new ApiError('badRequest', `Unable to find any IP address on external network ${network.id}.`, { type: 'ExternalIpAddressExhausted' });
  const now = nowIso();
  const row: FloatingIpRow = {
    id, project_id: projectId, description, floating_network_id: network.id, floating_ip_address: v4.ip_address, floating_port_id: port.id,
    fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', created_at: now, updated_at: now, revision_number: 1,
  };
  await tx.insertInto('floatingips').values(row).execute();
  if (!portId) return row;
  return saveAssociation(tx, row, await associationFor(ctx, tx, row, portId, fixedIp ?? undefined), {});
}

async function updateFloatingIp(ctx: AuthContext, tx: Tx, id: string, item: Body): Promise<FloatingIpRow> {
  notUpdatable(item, READ_ONLY);
  onlyKnown(item, ['port_id', 'fixed_ip_address', 'description']);
  const portId = optUuidAttr(item, 'port_id');
  const fixedIp = optIpAttr(item, 'fixed_ip_address');
  const description = optString(item, 'description');
  const fip = await visibleFloatingIp(ctx, id, tx);
  requireWrite(ctx, fip.project_id, 'update_floatingip');
  if (fixedIp && !portId) throw badL3Request('floatingip', 'fixed_ip_address cannot be specified without a port_id');
  let assoc: Association;
  if (portId === null) assoc = NO_ASSOCIATION;
  else if (portId !== undefined) assoc = await associationFor(ctx, tx, fip, portId, fixedIp ?? undefined);
  // Without port_id the association stays (and is checked again, as Neutron does).
  else if (fip.fixed_port_id) assoc = await associationFor(ctx, tx, fip, fip.fixed_port_id, fip.fixed_ip_address ?? undefined);
  else assoc = NO_ASSOCIATION;
  const extra: Partial<FloatingIpRow> = { updated_at: nowIso(), revision_number: fip.revision_number + 1 };
  if (description !== undefined) extra.description = description;
  return saveAssociation(tx, fip, assoc, extra);
}

export async function floatingIpRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/floatingips', async (request) => {
    const ctx = caller(request);
    let query = db.selectFrom('floatingips').selectAll();
    if (!isAdmin(ctx)) query = query.where('project_id', '=', ctx.projectId ?? '');
    return listResponse(request, 'floatingips', await loadFloatingIpViews(service, await query.execute()), { knownAttributes: FLOATINGIP_ATTRIBUTES });
  });

  app.get('/v2.0/floatingips/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const [view] = await loadFloatingIpViews(service, [await visibleFloatingIp(ctx, id, db)]);
    return listResponseOne(request, 'floatingip', view as View);
  });

  app.post('/v2.0/floatingips', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'floatingip', 'floatingips');
    if (bulk) throw bad('Bulk operation not supported');
    const row = await portTransaction(service.store, (tx) => createFloatingIp(service, ctx, tx, items[0] as Body));
    const [view] = await loadFloatingIpViews(service, [row]);
    reply.code(201);
    return { floatingip: view };
  });

  app.put('/v2.0/floatingips/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'floatingip');
    const row = await portTransaction(service.store, (tx) => updateFloatingIp(ctx, tx, id, item));
    const [view] = await loadFloatingIpViews(service, [row]);
    return { floatingip: view };
  });

  app.delete('/v2.0/floatingips/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await portTransaction(service.store, async (tx) => {
      const fip = await visibleFloatingIp(ctx, id, tx);
      requireWrite(ctx, fip.project_id, 'delete_floatingip');
      await tx.deleteFrom('resource_tags').where('resource_id', '=', id).execute();
      await tx.deleteFrom('floatingips').where('id', '=', id).execute();
      await deletePortRows(tx, [fip.floating_port_id]);
    });
    reply.code(204).send();
  });

  app.get('/v2.0/floatingip_pools', async (request) => {
    const ctx = caller(request);
    const grants = await service.rbacGrants(ctx);
    const networks = (await db.selectFrom('networks').selectAll().where('external', '=', 1).execute()).filter((n) => service.networkVisible(ctx, n, grants));
    const subnets = networks.length
      ? await db.selectFrom('subnets').selectAll().where('network_id', 'in', networks.map((n) => n.id)).where('ip_version', '=', 4).execute()
      : [];
    const pools = subnets
      .filter((s) => { const types = JSON.parse(s.service_types) as string[]; return types.length === 0 || types.includes(FLOATINGIP_OWNER); })
      .map((s) => ({ subnet_id: s.id, subnet_name: s.name, network_id: s.network_id, project_id: s.project_id, tenant_id: s.project_id }));
    return listResponse(request, 'floatingip_pools', pools, { knownAttributes: ['subnet_id', 'subnet_name', 'network_id', 'project_id', 'tenant_id'] });
  });
}
