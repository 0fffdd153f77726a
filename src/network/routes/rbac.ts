/**
 * /v2.0/rbac-policies: create (bulk too), list, show, update (target_tenant only), delete.
 * Object types network (access_as_shared, access_as_external) and security_group
 * (access_as_shared). Only the object's owner or an admin may write policies, only an admin may
 * target '*', and a policy a project still depends on cannot be withdrawn (rbac.ts).
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { RbacPolicyRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { uuid } from '../../util/ids.js';
import { invalidInput, policyForbidden } from '../errors.js';
import { listResponse, type View } from '../listing.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { applyWildcard, ensurePolicyNotInUse, RBAC_ACTIONS, rbacView } from '../rbac.js';
import { visibleSecurityGroup } from '../security-groups/access.js';
import type { NetworkService } from '../service.js';
import { bad, createBodies, isUuid, notUpdatable, onlyKnown, updateBody, type Body } from '../validate.js';
import { listResponseOne, visibleNetwork } from './networks.js';

const CREATE_ATTRS = ['object_type', 'object_id', 'target_tenant', 'action', 'tenant_id', 'project_id'];
const KNOWN = ['id', 'project_id', 'tenant_id', 'object_type', 'object_id', 'action', 'target_tenant'];

const notFound = (id: string, objectType = 'unknown') =>
  new ApiError('notFound', `RBAC policy of type ${objectType} with ID ${id} not found`, { type: 'RbacPolicyNotFound' });
const duplicate = () => new ApiError('conflict', 'An RBAC policy already exists with those values.', { type: 'DuplicateRbacPolicy' });

function pyRepr(value: unknown): string {
  return value === null || value === undefined ? 'None' : typeof value === 'string' ? value : JSON.stringify(value);
}

function targetTenant(value: unknown): string {
  if (value === '*' || isUuid(value)) return value as string;
  throw invalidInput(`'${pyRepr(value)}' is not a valid target project ID; expected a UUID or '*'`);
}

function requireWildcardAdmin(ctx: AuthContext, target: string, action: string): void {
  if (target === '*' && !isAdmin(ctx)) throw policyForbidden(`${action}:target_tenant`);
}

/** The project owning the object, after checking the caller may write policies on it. */
async function objectOwner(service: NetworkService, ctx: AuthContext, tx: Tx, objectType: string, objectId: string): Promise<string> {
  const owner = objectType === 'network'
    ? (await visibleNetwork(service, ctx, objectId, tx)).project_id
    : (await visibleSecurityGroup(tx, ctx, objectId)).project_id;
  if (!isAdmin(ctx) && owner !== ctx.projectId) {
    throw invalidInput(`Only admins can manipulate policies on ${objectType === 'network' ? 'networks' : 'security groups'} they do not own`);
  }
  return owner;
}

/** Bumps the revision of the object a policy changed (Neutron's policies revise their network). */
async function bumpObject(tx: Tx, r: Pick<RbacPolicyRow, 'object_type' | 'object_id'>): Promise<void> {
  const table = r.object_type === 'network' ? 'networks' : 'security_groups';
  await tx.updateTable(table).set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: new Date().toISOString() })).where('id', '=', r.object_id).execute();
}

async function isDuplicate(tx: Tx, r: Omit<RbacPolicyRow, 'id' | 'project_id'>): Promise<boolean> {
  return (await tx.selectFrom('rbac_policies').select('id').where('object_type', '=', r.object_type).where('object_id', '=', r.object_id)
    .where('action', '=', r.action).where('target_tenant', '=', r.target_tenant).executeTakeFirst()) !== undefined;
}

async function createPolicy(service: NetworkService, ctx: AuthContext, tx: Tx, item: Body): Promise<RbacPolicyRow> {
  onlyKnown(item, CREATE_ATTRS);
  for (const required of ['object_id', 'target_tenant', 'action']) {
    if (item[required] === undefined) throw bad(`Failed to parse request. Required attribute '${required}' not specified`);
  }
  const objectType = typeof item.object_type === 'string' ? item.object_type.trim().toLowerCase() : null;
  if (objectType === null || !(objectType in RBAC_ACTIONS)) throw invalidInput(`'${pyRepr(item.object_type)}' is not a valid RBAC object type`);
  if (!isUuid(item.object_id)) throw bad(`Invalid input for object_id. Reason: '${pyRepr(item.object_id)}' is not a valid UUID.`);
  const objectId = item.object_id;
  const target = targetTenant(item.target_tenant);
  if (typeof item.action !== 'string') throw bad(`Invalid input for action. Reason: '${pyRepr(item.action)}' is not a valid string.`);
  const action = item.action;
  requireMember(ctx, 'create_rbac_policy');
  requireWildcardAdmin(ctx, target, 'create_rbac_policy');
  const projectId = owningProject(ctx, item, 'create_rbac_policy');
  const valid = RBAC_ACTIONS[objectType] as readonly string[];
  if (!valid.includes(action)) {
    throw new ApiError('badRequest', `Invalid action '${action}' for object type '${objectType}'. Valid actions: (${valid.map((a) => `'${a}'`).join(', ')})`, { type: 'InvalidActionForType' });
  }
  await objectOwner(service, ctx, tx, objectType, objectId);
  const row: RbacPolicyRow = { id: uuid(), project_id: projectId, object_type: objectType, object_id: objectId, action, target_tenant: target };
  if (await isDuplicate(tx, row)) throw duplicate();
  await checkQuota(tx, projectId, 'rbac_policy');
  await tx.insertInto('rbac_policies').values(row).execute();
  await applyWildcard(tx, row, true);
  await bumpObject(tx, row);
  return row;
}

export async function rbacRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  async function visiblePolicy(ctx: AuthContext, id: string, dbOrTx: Db | Tx = db): Promise<RbacPolicyRow> {
    const row = await dbOrTx.selectFrom('rbac_policies').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId)) throw notFound(id);
    return row;
  }

  async function owner(tx: Tx, r: RbacPolicyRow): Promise<string> {
    const table = r.object_type === 'network' ? 'networks' : 'security_groups';
    return (await tx.selectFrom(table).select('project_id').where('id', '=', r.object_id).executeTakeFirst())?.project_id ?? r.project_id;
  }

  app.get('/v2.0/rbac-policies', async (request) => {
    const ctx = caller(request);
    let query = db.selectFrom('rbac_policies').selectAll();
    if (!isAdmin(ctx)) query = query.where('project_id', '=', ctx.projectId ?? '');
    return listResponse(request, 'rbac_policies', (await query.execute()).map(rbacView), { knownAttributes: KNOWN });
  });

  app.get('/v2.0/rbac-policies/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    return listResponseOne(request, 'rbac_policy', rbacView(await visiblePolicy(ctx, id)) as View);
  });

  app.post('/v2.0/rbac-policies', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'rbac_policy', 'rbac_policies');
    const rows = await service.store.transaction(async (tx) => {
      const created = [];
      for (const item of items) created.push(await createPolicy(service, ctx, tx, item));
      return created;
    });
    reply.code(201);
    return bulk ? { rbac_policies: rows.map(rbacView) } : { rbac_policy: rbacView(rows[0] as RbacPolicyRow) };
  });

  app.put('/v2.0/rbac-policies/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'rbac_policy');
    notUpdatable(item, ['id', 'object_type', 'object_id', 'action', 'tenant_id', 'project_id']);
    onlyKnown(item, ['target_tenant']);
    const target = item.target_tenant === undefined ? undefined : targetTenant(item.target_tenant);
    const row = await service.store.transaction(async (tx) => {
      const current = await visiblePolicy(ctx, id, tx);
      requireWrite(ctx, current.project_id, 'update_rbac_policy');
      if (target === undefined || target === current.target_tenant) return current;
      requireWildcardAdmin(ctx, target, 'update_rbac_policy');
      const updated = { ...current, target_tenant: target };
      if (await isDuplicate(tx, updated)) throw duplicate();
      await ensurePolicyNotInUse(tx, current, await owner(tx, current));
      await tx.updateTable('rbac_policies').set({ target_tenant: target }).where('id', '=', id).execute();
      await applyWildcard(tx, current, false);
      await applyWildcard(tx, updated, true);
      await bumpObject(tx, current);
      return updated;
    });
    return { rbac_policy: rbacView(row) };
  });

  app.delete('/v2.0/rbac-policies/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const current = await visiblePolicy(ctx, id, tx);
      requireWrite(ctx, current.project_id, 'delete_rbac_policy');
      await ensurePolicyNotInUse(tx, current, await owner(tx, current));
      await tx.deleteFrom('rbac_policies').where('id', '=', id).execute();
      await applyWildcard(tx, current, false);
      await bumpObject(tx, current);
    });
    reply.code(204).send();
  });
}
