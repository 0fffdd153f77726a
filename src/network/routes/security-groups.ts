/**
 * /v2.0/security-groups: create (bulk too), list, show, update, delete. Listing ensures the
 * project's `default` group first, as Neutron does; that group keeps its name and only an admin
 * may delete it; a group used by a port cannot be deleted. Rules live in security-group-rules.ts.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { SecurityGroupRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { inUse } from '../errors.js';
import { listResponse, type View } from '../listing.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { sharedGroupIds, visibleSecurityGroup } from '../security-groups/access.js';
import { ensureDefaultSecurityGroup, insertGroupWithEgressRules } from '../security-groups/defaults.js';
import { ensureDefaultForListing } from '../security-groups/ensure.js';
import { GROUP_ATTRIBUTES, loadGroupViews } from '../security-groups/views.js';
import type { NetworkService } from '../service.js';
import { createBodies, notUpdatable, onlyKnown, optBool, optString, updateBody, type Body } from '../validate.js';
import { listResponseOne } from './networks.js';
import { securityGroupRuleRoutes } from './security-group-rules.js';

const CREATE_ATTRS = ['name', 'description', 'stateful', 'tenant_id', 'project_id'];
const UPDATE_ATTRS = ['name', 'description', 'stateful'];
const READ_ONLY = ['id', 'tenant_id', 'project_id', 'security_group_rules', 'created_at', 'updated_at', 'revision_number', 'tags'];

const defaultExists = () => new ApiError('conflict', 'Default security group already exists.', { type: 'SecurityGroupDefaultAlreadyExists' });
export const securityGroupInUse = (id: string) => inUse('SecurityGroupInUse', `Security Group ${id} in use.`);

/** The name validator of the API: 'default' (any case) is reserved for the project's own group. */
function groupName(item: Body): string | undefined {
  const name = optString(item, 'name');
  if (name !== undefined && name.toLowerCase() === 'default') throw defaultExists();
  return name;
}

async function createGroup(ctx: AuthContext, tx: Tx, item: Body): Promise<SecurityGroupRow> {
  onlyKnown(item, CREATE_ATTRS);
  const name = groupName(item) ?? '';
  const description = optString(item, 'description') ?? '';
  const stateful = optBool(item, 'stateful') ?? true;
  requireMember(ctx, 'create_security_group');
  const projectId = owningProject(ctx, item, 'create_security_group');
  await ensureDefaultSecurityGroup(tx, projectId);
  await checkQuota(tx, projectId, 'security_group');
  // A new group comes with egress-anywhere rules for IPv4 and IPv6.
  await checkQuota(tx, projectId, 'security_group_rule', 2);
  return insertGroupWithEgressRules(tx, projectId, name, description, stateful);
}

async function portsUsing(tx: Tx, id: string): Promise<boolean> {
  return (await tx.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', id).limit(1).executeTakeFirst()) !== undefined;
}

/** Deletes a group and what dies with it: its rules, other groups' rules that point at it, its tags and RBAC entries. */
export async function deleteGroupRows(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('security_group_rules').where((eb) => eb.or([eb('security_group_id', '=', id), eb('remote_group_id', '=', id)])).execute();
  await tx.deleteFrom('default_security_groups').where('security_group_id', '=', id).execute();
  await tx.deleteFrom('rbac_policies').where('object_type', '=', 'security_group').where('object_id', '=', id).execute();
  await tx.deleteFrom('resource_tags').where('resource_id', '=', id).execute();
  await tx.deleteFrom('security_groups').where('id', '=', id).execute();
}

export async function securityGroupRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  app.get('/v2.0/security-groups', async (request) => {
    const ctx = caller(request);
    await ensureDefaultForListing(service, request, ctx);
    let query = db.selectFrom('security_groups').selectAll();
    if (!isAdmin(ctx)) {
      const shared = [...await sharedGroupIds(db, ctx)];
      query = query.where((eb) => eb.or([eb('project_id', '=', ctx.projectId ?? ''), eb('shared', '=', 1), ...(shared.length ? [eb('id', 'in', shared)] : [])]));
    }
    const views = await loadGroupViews(service, await query.execute());
    return listResponse(request, 'security_groups', views, { knownAttributes: GROUP_ATTRIBUTES });
  });

  app.get('/v2.0/security-groups/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await visibleSecurityGroup(db, ctx, id);
    const [view] = await loadGroupViews(service, [row]);
    return listResponseOne(request, 'security_group', view as View);
  });

  app.post('/v2.0/security-groups', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'security_group', 'security_groups');
    const rows = await service.store.transaction(async (tx) => {
      const created = [];
      for (const item of items) created.push(await createGroup(ctx, tx, item));
      return created;
    });
    const views = await loadGroupViews(service, rows);
    reply.code(201);
    return bulk ? { security_groups: views } : { security_group: views[0] };
  });

  app.put('/v2.0/security-groups/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const item = updateBody(request.body, 'security_group');
    notUpdatable(item, READ_ONLY);
    onlyKnown(item, UPDATE_ATTRS);
    const name = groupName(item);
    const description = optString(item, 'description');
    const stateful = optBool(item, 'stateful');
    const row = await service.store.transaction(async (tx) => {
      const current = await visibleSecurityGroup(tx, ctx, id);
      requireWrite(ctx, current.project_id, 'update_security_group');
      if (stateful !== undefined && (stateful ? 1 : 0) !== current.stateful && (await portsUsing(tx, id))) throw securityGroupInUse(id);
      if (current.name === 'default' && 'name' in item) {
        throw new ApiError('conflict', 'Updating default security group not allowed.', { type: 'SecurityGroupCannotUpdateDefault' });
      }
      const changes: Partial<SecurityGroupRow> = {};
      if (name !== undefined) changes.name = name;
      if (description !== undefined) changes.description = description;
      if (stateful !== undefined) changes.stateful = stateful ? 1 : 0;
      const updated = { ...current, ...changes, updated_at: nowIso(), revision_number: current.revision_number + 1 };
      await tx.updateTable('security_groups').set({ ...changes, updated_at: updated.updated_at, revision_number: updated.revision_number }).where('id', '=', id).execute();
      return updated;
    });
    const [view] = await loadGroupViews(service, [row]);
    return { security_group: view };
  });

  app.delete('/v2.0/security-groups/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const current = await visibleSecurityGroup(tx, ctx, id);
      requireWrite(ctx, current.project_id, 'delete_security_group');
      if (await portsUsing(tx, id)) throw securityGroupInUse(id);
      if (current.name === 'default' && !isAdmin(ctx)) {
        throw new ApiError('conflict', 'Insufficient rights for removing default security group.', { type: 'SecurityGroupCannotRemoveDefault' });
      }
      await deleteGroupRows(tx, id);
    });
    reply.code(204).send();
  });

  await securityGroupRuleRoutes(app, service);
}
