/**
 * /v2.0/subnetpools: create (single and bulk), list, show, update, delete, and the prefix
 * operations add_prefixes / remove_prefixes / onboard_network_subnets. Shared and default pools are set by admins only;
 * one default pool per IP version; a pool with subnets cannot be deleted.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { SubnetPoolRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { invalidInput, neutronNotFound, policyForbidden } from '../errors.js';
import { cidrRange, normalize, setsIntersect, subtract, toCidrs } from '../subnets/ranges.js';
import { listResponse, type View } from '../listing.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import { checkQuota } from '../quotas.js';
import type { NetworkService } from '../service.js';
import { loadSubnetPoolViews, subnetPoolVisible, visibleSubnetPool } from '../subnets/access.js';
import { lockRow } from '../subnets/create.js';
import { parseStoredCidrs } from '../subnets/prefixes.js';
import { illegalPrefixUpdate, nonNegative, parsePrefixList, prefixesJson, readPoolSpec } from '../subnets/subnetpool-spec.js';
import { bad, createBodies, notUpdatable, onlyKnown, optBool, optString, updateBody, type Body } from '../validate.js';
import { isPlainObject } from '../../util/json.js';
import { listResponseOne, visibleNetwork } from './networks.js';
import type { IpVersion } from '../ipam/ip.js';

const CREATE_ATTRS = ['name', 'description', 'prefixes', 'default_quota', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'is_default', 'shared',
  'tenant_id', 'project_id', 'address_scope_id'];
const UPDATE_ATTRS = ['name', 'description', 'prefixes', 'default_quota', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'is_default', 'address_scope_id'];
const READ_ONLY = ['id', 'shared', 'ip_version', 'tenant_id', 'project_id', 'created_at', 'updated_at', 'revision_number', 'tags'];
const KNOWN = ['id', 'name', 'ip_version', 'prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'shared', 'is_default', 'default_quota',
  'address_scope_id', 'tenant_id', 'project_id', 'description', 'tags', 'created_at', 'updated_at', 'revision_number'];

function addressScope(item: Body): void {
  const scope = item.address_scope_id;
  if (scope !== undefined && scope !== null) {
    // Address scopes are not implemented, so no id can name one.
    throw new ApiError('notFound', `Address scope ${String(scope)} could not be found.`, { type: 'AddressScopeNotFound' });
  }
}

function poolName(item: Body, required: boolean): string | undefined {
  if (item.name === undefined && required) throw bad("Failed to parse request. Required attribute 'name' not specified");
  return optString(item, 'name');
}

async function checkSingleDefault(tx: Tx, ipVersion: number, exceptId?: string): Promise<void> {
  const existing = await tx.selectFrom('subnetpools').select('id').where('is_default', '=', 1).where('ip_version', '=', ipVersion).execute();
  if (existing.some((p) => p.id !== exceptId)) {
    throw invalidInput('A default subnetpool for this IP family has already been set. Only one default may exist per IP family');
  }
}

async function createPool(ctx: AuthContext, tx: Tx, item: Body): Promise<SubnetPoolRow> {
  onlyKnown(item, CREATE_ATTRS);
  const name = poolName(item, true) ?? '';
  if (item.prefixes === undefined) throw bad("Failed to parse request. Required attribute 'prefixes' not specified");
  const prefixes = parsePrefixList(item.prefixes);
  const quota = item.default_quota === null ? undefined : nonNegative(item.default_quota, 'default_quota');
  const spec = readPoolSpec(prefixes, nonNegative(item.min_prefixlen, 'min_prefixlen'), nonNegative(item.max_prefixlen, 'max_prefixlen'),
    nonNegative(item.default_prefixlen, 'default_prefixlen'));
  const shared = optBool(item, 'shared') ?? false;
  const isDefault = optBool(item, 'is_default') ?? false;
  const description = optString(item, 'description') ?? '';
  requireMember(ctx, 'create_subnetpool');
  const projectId = owningProject(ctx, item, 'create_subnetpool');
  if (shared && !isAdmin(ctx)) throw policyForbidden('create_subnetpool:shared');
  if (isDefault && !isAdmin(ctx)) throw policyForbidden('create_subnetpool:is_default');
  addressScope(item);
  await checkQuota(tx, projectId, 'subnetpool');
  if (isDefault) await checkSingleDefault(tx, spec.ipVersion);
  const now = nowIso();
  const row: SubnetPoolRow = {
    id: uuid(), project_id: projectId, name, description, ip_version: spec.ipVersion, prefixes: prefixesJson(spec.prefixes),
    default_prefixlen: spec.defaultPrefixlen, min_prefixlen: spec.minPrefixlen, max_prefixlen: spec.maxPrefixlen,
    shared: shared ? 1 : 0, is_default: isDefault ? 1 : 0, default_quota: quota ?? null, address_scope_id: null,
    created_at: now, updated_at: now, revision_number: 0,
  };
  await tx.insertInto('subnetpools').values(row).execute();
  return row;
}

async function allocatedRanges(tx: Tx, poolId: string) {
  const cidrs = parseStoredCidrs((await tx.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', poolId).execute()).map((s) => s.cidr));
  return normalize(cidrs.map(cidrRange));
}

async function writePool(tx: Tx, current: SubnetPoolRow, changes: Partial<SubnetPoolRow>): Promise<SubnetPoolRow> {
  const updated = { ...current, ...changes, updated_at: nowIso(), revision_number: current.revision_number + 1 };
  await tx.updateTable('subnetpools').set({ ...changes, updated_at: updated.updated_at, revision_number: updated.revision_number }).where('id', '=', current.id).execute();
  return updated;
}

async function updatePool(service: NetworkService, ctx: AuthContext, tx: Tx, id: string, item: Body): Promise<SubnetPoolRow> {
  notUpdatable(item, READ_ONLY);
  onlyKnown(item, UPDATE_ATTRS);
  const name = poolName(item, false);
  const description = optString(item, 'description');
  const newPrefixes = item.prefixes === undefined ? undefined : parsePrefixList(item.prefixes);
  const isDefault = optBool(item, 'is_default');
  const current = await visibleSubnetPool(ctx, id, tx);
  requireWrite(ctx, current.project_id, 'update_subnetpool');
  if (isDefault !== undefined && !isAdmin(ctx)) throw policyForbidden('update_subnetpool:is_default');
  addressScope(item);
  await lockRow(service, tx, 'subnetpools', id);
  const existing = parseStoredCidrs(JSON.parse(current.prefixes) as string[]);
  if (newPrefixes && subtract(existing.map(cidrRange), newPrefixes.map(cidrRange)).length > 0) {
    throw illegalPrefixUpdate('Existing prefixes must be a subset of the new prefixes');
  }
  const spec = readPoolSpec(newPrefixes ?? existing, nonNegative(item.min_prefixlen, 'min_prefixlen') ?? current.min_prefixlen,
    nonNegative(item.max_prefixlen, 'max_prefixlen') ?? current.max_prefixlen, nonNegative(item.default_prefixlen, 'default_prefixlen') ?? current.default_prefixlen);
  if (spec.ipVersion !== current.ip_version) throw new ApiError('badRequest', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', { type: 'PrefixVersionMismatch' });
  if (isDefault && current.is_default === 0) await checkSingleDefault(tx, spec.ipVersion, id);
  const changes: Partial<SubnetPoolRow> = {
    prefixes: prefixesJson(spec.prefixes), min_prefixlen: spec.minPrefixlen, max_prefixlen: spec.maxPrefixlen, default_prefixlen: spec.defaultPrefixlen,
  };
  if (name !== undefined) changes.name = name;
  if (description !== undefined) changes.description = description;
  if (isDefault !== undefined) changes.is_default = isDefault ? 1 : 0;
  if (item.default_quota !== undefined) changes.default_quota = item.default_quota === null ? null : nonNegative(item.default_quota, 'default_quota') ?? null;
  return writePool(tx, current, changes);
}

/** Moves a network's subnets of the pool's IP version into the pool, adding their CIDRs to its prefixes (subnet_onboard). */
async function onboardSubnets(service: NetworkService, ctx: AuthContext, tx: Tx, id: string, body: unknown): Promise<{ id: string; cidr: string }[]> {
  const networkId = isPlainObject(body) ? body.network_id : undefined;
  if (networkId === undefined || networkId === null) throw invalidInput('network_id must be specified.');
  const current = await visibleSubnetPool(ctx, id, tx);
  requireWrite(ctx, current.project_id, 'onboard_network_subnets');
  if (typeof networkId !== 'string') throw neutronNotFound('Network', String(networkId));
  const network = await visibleNetwork(service, ctx, networkId, tx);
  // Only the network's owner may move its subnets into a pool (or an admin).
  if (!isAdmin(ctx) && network.project_id !== ctx.projectId) throw new ApiError('forbidden', 'Not authorized.', { type: 'NotAuthorized' });
  await lockRow(service, tx, 'subnetpools', id);
  const subnets = await tx.selectFrom('subnets').select(['id', 'cidr']).where('network_id', '=', network.id).where('ip_version', '=', current.ip_version).execute();
  const allocated = await allocatedRanges(tx, id);
  for (const s of subnets) {
    const range = parseStoredCidrs([s.cidr]).map(cidrRange);
    if (setsIntersect(range, allocated)) {
      throw new ApiError('badRequest', `Illegal subnetpool update : Onboarding subnet ${s.id}: ${s.cidr} conflicts with allocated prefixes in subnet pool ${id}.`,
        { type: 'IllegalSubnetPoolUpdate' });
    }
  }
  const existing = parseStoredCidrs(JSON.parse(current.prefixes) as string[]);
  const spec = readPoolSpec([...existing, ...parseStoredCidrs(subnets.map((s) => s.cidr))], current.min_prefixlen, current.max_prefixlen, current.default_prefixlen);
  await writePool(tx, current, { prefixes: prefixesJson(spec.prefixes) });
  if (subnets.length) {
    await tx.updateTable('subnets').set((eb) => ({ subnetpool_id: id, revision_number: eb('revision_number', '+', 1), updated_at: nowIso() }))
      .where('id', 'in', subnets.map((s) => s.id)).execute();
  }
  return subnets.map((s) => ({ id: s.id, cidr: s.cidr }));
}

function prefixBody(body: unknown): ReturnType<typeof parsePrefixList> {
  if (!isPlainObject(body) || !Array.isArray(body.prefixes) || body.prefixes.length === 0) throw bad('Request body contains invalid data');
  return parsePrefixList(body.prefixes);
}

export async function subnetPoolRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/subnetpools', async (request) => {
    const ctx = caller(request);
    const rows = (await db.selectFrom('subnetpools').selectAll().execute()).filter((p) => subnetPoolVisible(ctx, p));
    return listResponse(request, 'subnetpools', await loadSubnetPoolViews(service, rows), { knownAttributes: KNOWN });
  });

  app.get('/v2.0/subnetpools/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const [view] = await loadSubnetPoolViews(service, [await visibleSubnetPool(ctx, id, db)]);
    return listResponseOne(request, 'subnetpool', view as View);
  });

  app.post('/v2.0/subnetpools', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'subnetpool', 'subnetpools');
    const rows = await service.store.transaction(async (tx) => {
      const created = [];
      for (const item of items) created.push(await createPool(ctx, tx, item));
      return created;
    });
    const views = await loadSubnetPoolViews(service, rows);
    reply.code(201);
    return bulk ? { subnetpools: views } : { subnetpool: views[0] };
  });

  app.put('/v2.0/subnetpools/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'subnetpool');
    const row = await service.store.transaction((tx) => updatePool(service, ctx, tx, id, item));
    const [view] = await loadSubnetPoolViews(service, [row]);
    return { subnetpool: view };
  });

  app.delete('/v2.0/subnetpools/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const current = await visibleSubnetPool(ctx, id, tx);
      requireWrite(ctx, current.project_id, 'delete_subnetpool');
      await lockRow(service, tx, 'subnetpools', id);
      const used = await tx.selectFrom('subnets').select('id').where('subnetpool_id', '=', id).executeTakeFirst();
      if (used) throw new ApiError('badRequest', 'Unable to delete subnet pool: Subnet pool has existing allocations.', { type: 'SubnetPoolDeleteError' });
      await tx.deleteFrom('resource_tags').where('resource_id', '=', id).execute();
      await tx.deleteFrom('subnetpools').where('id', '=', id).execute();
    });
    reply.code(204).send();
  });

  app.put('/v2.0/subnetpools/:id/add_prefixes', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await service.store.transaction(async (tx) => {
      const current = await visibleSubnetPool(ctx, id, tx);
      requireWrite(ctx, current.project_id, 'add_prefixes');
      const added = prefixBody(request.body);
      const existing = parseStoredCidrs(JSON.parse(current.prefixes) as string[]);
      const spec = readPoolSpec([...existing, ...added], current.min_prefixlen, current.max_prefixlen, current.default_prefixlen);
      return writePool(tx, current, { prefixes: prefixesJson(spec.prefixes) });
    });
    return { prefixes: JSON.parse(row.prefixes) as string[] };
  });

  app.put('/v2.0/subnetpools/:id/onboard_network_subnets', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    return service.store.transaction((tx) => onboardSubnets(service, ctx, tx, id, request.body));
  });

  app.put('/v2.0/subnetpools/:id/remove_prefixes', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await service.store.transaction(async (tx) => {
      const current = await visibleSubnetPool(ctx, id, tx);
      requireWrite(ctx, current.project_id, 'remove_prefixes');
      const removed = normalize(prefixBody(request.body).map(cidrRange));
      await lockRow(service, tx, 'subnetpools', id);
      const existing = normalize(parseStoredCidrs(JSON.parse(current.prefixes) as string[]).map(cidrRange));
      if (!setsIntersect(existing, removed)) return current;
      if (setsIntersect(await allocatedRanges(tx, id), removed)) throw illegalPrefixUpdate('One or more the prefixes to be removed is in use by a subnet');
      const left = toCidrs(subtract(existing, removed), current.ip_version as IpVersion);
      return writePool(tx, current, { prefixes: prefixesJson(left) });
    });
    return { prefixes: JSON.parse(row.prefixes) as string[] };
  });
}
