/** /v2.0/networks: create (with provider segments), list, show, update, delete. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { NetworkRow, NetworkSegmentRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { inUse, neutronNotFound, policyForbidden } from '../errors.js';
import { listResponse, type View } from '../listing.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { allocateSegment, type SegmentRequest } from '../segments.js';
import { ensureDefaultSecurityGroup } from '../security-groups/defaults.js';
import type { NetworkService } from '../service.js';
import { mtuFor } from '../settings.js';
import { bad, createBodies, onlyKnown, optBool, optInt, optString, optStringList, updateBody, type Body } from '../validate.js';
import { networkView } from '../views.js';
import { deleteDisassociatedFloatingIps } from '../l3/network-delete.js';
import { ensurePolicyNotInUse, syncNetworkWildcards } from '../rbac.js';

const PROVIDER = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const;
const CREATE_ATTRS = ['name', 'description', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'availability_zone_hints',
  'tenant_id', 'project_id', 'segments', 'dns_domain', 'is_default', 'qos_policy_id', ...PROVIDER];
const UPDATE_ATTRS = ['name', 'description', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'dns_domain', 'is_default', 'qos_policy_id', ...PROVIDER, 'segments'];
const KNOWN = [...CREATE_ATTRS, 'id', 'status', 'subnets', 'tags', 'created_at', 'updated_at', 'revision_number', 'availability_zones', 'ipv4_address_scope', 'ipv6_address_scope', 'l2_adjacency'];

/** Owned ports that die with their network rather than keeping it in use. */
export const NETWORK_OWNED_DEVICE_OWNERS = ['network:dhcp'];

export async function loadNetworkViews(service: NetworkService, ctx: AuthContext, rows: readonly NetworkRow[], db: Db | Tx = service.db): Promise<View[]> {
  const ids = rows.map((r) => r.id);
  const segments = new Map<string, NetworkSegmentRow[]>();
  const subnets = new Map<string, string[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    for (const s of await db.selectFrom('network_segments').selectAll().where('network_id', 'in', chunk).execute()) {
      segments.set(s.network_id, [...(segments.get(s.network_id) ?? []), s]);
    }
    for (const s of await db.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', chunk).orderBy('created_at').execute()) {
      subnets.set(s.network_id, [...(subnets.get(s.network_id) ?? []), s.id]);
    }
  }
  const tags = await service.tagsOf(ids, db);
  const grants = await service.rbacGrants(ctx, db);
  // Neutron answers `shared` and `router:external` per caller: true also when an RBAC policy
  // shares the network with (or offers it as external to) the caller's project.
  return rows.map((r) => networkView(ctx, { ...r, shared: r.shared || (grants.shared.has(r.id) ? 1 : 0), external: r.external || (grants.external.has(r.id) ? 1 : 0) },
    { subnets: subnets.get(r.id) ?? [], segments: segments.get(r.id) ?? [], tags: tags.get(r.id) ?? [] }));
}

/** The network if the caller may see it, else NetworkNotFound (another project's is a 404). */
export async function visibleNetwork(service: NetworkService, ctx: AuthContext, id: string, db: Db | Tx = service.db): Promise<NetworkRow> {
  const row = await db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !service.networkVisible(ctx, row, await service.rbacGrants(ctx, db))) throw neutronNotFound('Network', id);
  return row;
}

function segmentRequests(item: Body): SegmentRequest[] | null {
  const provider = PROVIDER.some((k) => item[k] !== undefined);
  if (item.segments !== undefined) {
    if (provider) throw bad('Segments and provider values cannot both be set.', 'InvalidInput');
    if (!Array.isArray(item.segments) || item.segments.length === 0) throw bad("Invalid input for segments. Reason: segments must be a non-empty list.", 'InvalidInput');
    return item.segments.map((s: Body) => ({
      network_type: optString(s, 'provider:network_type'),
      physical_network: s['provider:physical_network'] as string | null | undefined,
      segmentation_id: optInt(s, 'provider:segmentation_id'),
    }));
  }
  if (!provider) return null;
  return [{
    network_type: optString(item, 'provider:network_type'),
    physical_network: item['provider:physical_network'] as string | null | undefined,
    segmentation_id: optInt(item, 'provider:segmentation_id'),
  }];
}

export async function createNetwork(service: NetworkService, ctx: AuthContext, tx: Tx, item: Body): Promise<NetworkRow> {
  onlyKnown(item, CREATE_ATTRS);
  requireMember(ctx, 'create_network');
  const projectId = owningProject(ctx, item, 'create_network');
  const shared = optBool(item, 'shared') ?? false;
  const external = optBool(item, 'router:external') ?? false;
  const isDefault = optBool(item, 'is_default') ?? false;
  const requests = segmentRequests(item);
  if (!isAdmin(ctx)) {
    if (requests) throw policyForbidden('create_network:provider:network_type');
    if (shared) throw policyForbidden('create_network:shared');
    if (external) throw policyForbidden('create_network:router:external');
    if (item.is_default !== undefined) throw policyForbidden('create_network:is_default');
  }
  const name = optString(item, 'name') ?? '';
  const description = optString(item, 'description') ?? '';
  const azHints = optStringList(item, 'availability_zone_hints') ?? [];
  const unknownAz = azHints.filter((az) => az !== 'nova');
  if (unknownAz.length) throw new ApiError('notFound', `AvailabilityZone ${unknownAz[0]} could not be found.`, { type: 'AvailabilityZoneNotFound' });
  await checkQuota(tx, projectId, 'network');
  const id = uuid();
  const segments = [];
  for (const [index, request] of (requests ?? [null]).entries()) {
    const segment = await allocateSegment(tx, service.settings, request, uuid());
    segments.push({ ...segment, index });
  }
  const maxMtu = Math.min(...segments.map((s) => mtuFor(service.settings, s.network_type)));
  const mtuAsked = optInt(item, 'mtu');
  if (mtuAsked !== undefined && mtuAsked !== null && (mtuAsked < 68 || mtuAsked > maxMtu)) {
    throw bad(`Requested MTU is too big, maximum is ${maxMtu}`, 'InvalidInput');
  }
  const now = nowIso();
  const row: NetworkRow = {
    id, project_id: projectId, name, description,
    admin_state_up: (optBool(item, 'admin_state_up') ?? true) ? 1 : 0,
    status: 'ACTIVE', shared: shared ? 1 : 0, external: external ? 1 : 0, is_default: isDefault ? 1 : 0,
    mtu: mtuAsked ?? maxMtu,
    port_security_enabled: (optBool(item, 'port_security_enabled') ?? true) ? 1 : 0,
    availability_zone_hints: JSON.stringify(azHints),
    dns_domain: optString(item, 'dns_domain') ?? '',
    created_at: now, updated_at: now, revision_number: 1,
  };
  await tx.insertInto('networks').values(row).execute();
  await tx.insertInto('network_segments').values(segments.map((s) => ({
    id: s.id, network_id: id, network_type: s.network_type, physical_network: s.physical_network, segmentation_id: s.segmentation_id, segment_index: s.index, name: null,
  }))).execute();
  await syncNetworkWildcards(tx, row);
  await ensureDefaultSecurityGroup(tx, projectId);
  return row;
}

export async function networkRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/networks', async (request) => {
    const ctx = caller(request);
    const rows = await db.selectFrom('networks').selectAll().execute();
    const grants = await service.rbacGrants(ctx);
    const visible = rows.filter((r) => service.networkVisible(ctx, r, grants));
    return listResponse(request, 'networks', await loadNetworkViews(service, ctx, visible), { knownAttributes: KNOWN });
  });

  app.get('/v2.0/networks/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await visibleNetwork(service, ctx, id);
    const [view] = await loadNetworkViews(service, ctx, [row]);
    return listResponseOne(request, 'network', view as View);
  });

  app.post('/v2.0/networks', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'network', 'networks');
    const rows = await service.store.transaction(async (tx) => {
      const created = [];
      for (const item of items) created.push(await createNetwork(service, ctx, tx, item));
      return created;
    });
    const views = await loadNetworkViews(service, ctx, rows);
    reply.code(201);
    return bulk ? { networks: views } : { network: views[0] };
  });

  app.put('/v2.0/networks/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'network');
    onlyKnown(item, UPDATE_ATTRS);
    const row = await service.store.transaction(async (tx) => {
      const current = await visibleNetwork(service, ctx, id, tx);
      requireWrite(ctx, current.project_id, 'update_network');
      if (PROVIDER.some((k) => item[k] !== undefined) || item.segments !== undefined) {
        if (!isAdmin(ctx)) throw policyForbidden('update_network:provider:network_type');
        throw bad('Plugin does not support updating provider attributes', 'InvalidInput');
      }
      const changes: Partial<NetworkRow> = {};
      const name = optString(item, 'name');
      if (name !== undefined) changes.name = name;
      const description = optString(item, 'description');
      if (description !== undefined) changes.description = description;
      const adminUp = optBool(item, 'admin_state_up');
      if (adminUp !== undefined) changes.admin_state_up = adminUp ? 1 : 0;
      const shared = optBool(item, 'shared');
      if (shared !== undefined && (shared ? 1 : 0) !== current.shared) {
        if (!isAdmin(ctx)) throw policyForbidden('update_network:shared');
        if (!shared) {
          const wildcard = await tx.selectFrom('rbac_policies').selectAll().where('object_type', '=', 'network').where('object_id', '=', id)
            .where('action', '=', 'access_as_shared').where('target_tenant', '=', '*').executeTakeFirst();
          if (wildcard) await ensurePolicyNotInUse(tx, wildcard, current.project_id);
        }
        changes.shared = shared ? 1 : 0;
      }
      const external = optBool(item, 'router:external');
      if (external !== undefined && (external ? 1 : 0) !== current.external) {
        if (!isAdmin(ctx)) throw policyForbidden('update_network:router:external');
        changes.external = external ? 1 : 0;
      }
      const isDefault = optBool(item, 'is_default');
      if (isDefault !== undefined) {
        if (!isAdmin(ctx)) throw policyForbidden('update_network:is_default');
        changes.is_default = isDefault ? 1 : 0;
      }
      const pse = optBool(item, 'port_security_enabled');
      if (pse !== undefined) changes.port_security_enabled = pse ? 1 : 0;
      const mtu = optInt(item, 'mtu');
      if (mtu !== undefined && mtu !== null) {
        const segs = await tx.selectFrom('network_segments').select('network_type').where('network_id', '=', id).execute();
        const maxMtu = Math.min(...segs.map((s) => mtuFor(service.settings, s.network_type)));
        if (mtu < 68 || mtu > maxMtu) throw bad(`Requested MTU is too big, maximum is ${maxMtu}`, 'InvalidInput');
        changes.mtu = mtu;
      }
      const dns = optString(item, 'dns_domain');
      if (dns !== undefined) changes.dns_domain = dns;
      const updated = { ...current, ...changes, updated_at: nowIso(), revision_number: current.revision_number + 1 };
      await tx.updateTable('networks').set({ ...changes, updated_at: updated.updated_at, revision_number: updated.revision_number }).where('id', '=', id).execute();
      await syncNetworkWildcards(tx, updated);
      return updated;
    });
    const [view] = await loadNetworkViews(service, ctx, [row]);
    return { network: view };
  });

  app.delete('/v2.0/networks/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const current = await visibleNetwork(service, ctx, id, tx);
      requireWrite(ctx, current.project_id, 'delete_network');
      await deleteNetworkRows(tx, id);
    });
    reply.code(204).send();
  });
}

/** Deletes a network with what dies with it (its DHCP ports, subnets, segments); refuses while other ports use it. */
export async function deleteNetworkRows(tx: Tx, id: string): Promise<void> {
  await deleteDisassociatedFloatingIps(tx, id);
  const ports = await tx.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', id).execute();
  if (ports.some((p) => !NETWORK_OWNED_DEVICE_OWNERS.includes(p.device_owner))) {
    throw inUse('NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`);
  }
  const portIds = ports.map((p) => p.id);
  if (portIds.length) {
    await tx.deleteFrom('ip_allocations').where('port_id', 'in', portIds).execute();
    await tx.deleteFrom('resource_tags').where('resource_id', 'in', portIds).execute();
    await tx.deleteFrom('ports').where('id', 'in', portIds).execute();
  }
  const subnetIds = (await tx.selectFrom('subnets').select('id').where('network_id', '=', id).execute()).map((s) => s.id);
  if (subnetIds.length) {
    await tx.deleteFrom('resource_tags').where('resource_id', 'in', subnetIds).execute();
    await tx.deleteFrom('subnets').where('id', 'in', subnetIds).execute();
  }
  const segmentIds = (await tx.selectFrom('network_segments').select('id').where('network_id', '=', id).execute()).map((s) => s.id);
  if (segmentIds.length) await tx.deleteFrom('segment_allocations').where('segment_id', 'in', segmentIds).execute();
  await tx.deleteFrom('network_segments').where('network_id', '=', id).execute();
  await tx.deleteFrom('rbac_policies').where('object_type', '=', 'network').where('object_id', '=', id).execute();
  await tx.deleteFrom('resource_tags').where('resource_id', '=', id).execute();
  await tx.deleteFrom('networks').where('id', '=', id).execute();
}

/** A single resource, honouring `fields=` like lists do. */
export function listResponseOne(request: Parameters<typeof listResponse>[0], key: string, view: View): Record<string, unknown> {
  const fields = (request.query as Record<string, string | string[] | undefined>).fields;
  if (!fields) return { [key]: view };
  const wanted = (Array.isArray(fields) ? fields : [fields]).flatMap((f) => f.split(','));
  const picked: View = {};
  for (const f of wanted) if (f in view) picked[f] = view[f];
  return { [key]: picked };
}

