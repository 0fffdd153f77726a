/**
 * RBAC policies' effects and guards. A policy shares a network (access_as_shared) or offers it
 * as external (access_as_external) to one project or to every project ('*'); security groups
 * can be shared the same way. The wildcard policies are what a network's `shared` and
 * `router:external` flags (and a group's `shared`) mean, so the two are kept in step. A policy
 * cannot be withdrawn while the project it served still has ports that depend on it.
 */
import { ApiError } from '../api/errors.js';
import type { RbacPolicyRow } from '../store/schema-network.js';
import type { Tx } from '../store/store.js';
import { uuid } from '../util/ids.js';
import type { View } from './listing.js';

export const RBAC_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  network: ['access_as_shared', 'access_as_external'],
  security_group: ['access_as_shared'],
};

export function rbacView(r: RbacPolicyRow): View {
  return {
    id: r.id,
    project_id: r.project_id,
    tenant_id: r.project_id,
    object_type: r.object_type,
    object_id: r.object_id,
    action: r.action,
    target_tenant: r.target_tenant,
  };
}

const rbacInUse = (objectId: string, details: string) => new ApiError('conflict',
  `RBAC policy on object ${objectId} cannot be removed because other objects depend on it.\nDetails: ${details}`, { type: 'RbacPolicyInUse' });

/** Sets the flag a wildcard policy stands for (network shared / router:external, group shared). */
export async function applyWildcard(tx: Tx, r: Pick<RbacPolicyRow, 'object_type' | 'object_id' | 'action' | 'target_tenant'>, on: boolean): Promise<void> {
  if (r.target_tenant !== '*') return;
  const flag = on ? 1 : 0;
  if (r.object_type === 'network') {
    const column = r.action === 'access_as_external' ? 'external' : 'shared';
    await tx.updateTable('networks').set({ [column]: flag }).where('id', '=', r.object_id).execute();
  } else if (r.object_type === 'security_group') {
    await tx.updateTable('security_groups').set({ shared: flag }).where('id', '=', r.object_id).execute();
  }
}

/** Projects other than `target` that still reach the object through another shared policy. */
async function otherSharedTargets(tx: Tx, r: RbacPolicyRow): Promise<string[]> {
  const rows = await tx.selectFrom('rbac_policies').select('target_tenant')
    .where('object_type', '=', r.object_type).where('object_id', '=', r.object_id).where('action', '=', 'access_as_shared').where('id', '!=', r.id).execute();
  return rows.map((x) => x.target_tenant);
}

/**
 * Refuses to withdraw `r` from its target while the target has ports that need it: ports on a
 * shared network, or ports using a shared security group. Ports of the owner, of projects
 * served by another policy, and project-less ports (router internals) do not count.
 */
export async function ensurePolicyNotInUse(tx: Tx, r: RbacPolicyRow, ownerProject: string): Promise<void> {
  if (r.action !== 'access_as_shared' || r.target_tenant === ownerProject) return;
  const others = await otherSharedTargets(tx, r);
  if (r.target_tenant !== '*' && others.includes('*')) return;
  const allowed = r.target_tenant === '*' ? [...others, ownerProject, ''] : null;
  let query = r.object_type === 'network'
    ? tx.selectFrom('ports').select('ports.id').where('ports.network_id', '=', r.object_id)
    : tx.selectFrom('ports').innerJoin('port_security_groups', 'port_security_groups.port_id', 'ports.id')
      .select('ports.id').where('port_security_groups.security_group_id', '=', r.object_id);
  query = allowed ? query.where('ports.project_id', 'not in', allowed) : query.where('ports.project_id', '=', r.target_tenant);
  if (await query.limit(1).executeTakeFirst()) {
    throw rbacInUse(r.object_id, r.object_type === 'network'
      ? `Unable to reconfigure sharing settings for network ${r.object_id}. Multiple projects are using it.`
      : `Security Group ${r.object_id} in use.`);
  }
}

/**
 * Keeps a network's wildcard policies in step with its `shared` and `router:external` flags,
 * for the networks API to call after creating or updating a network (Neutron records both
 * flags as '*' policies owned by the network's project).
 */
export async function syncNetworkWildcards(tx: Tx, network: { id: string; project_id: string; shared: number; external: number }): Promise<void> {
  for (const [action, on] of [['access_as_shared', network.shared === 1], ['access_as_external', network.external === 1]] as const) {
    const existing = await tx.selectFrom('rbac_policies').select('id')
      .where('object_type', '=', 'network').where('object_id', '=', network.id).where('action', '=', action).where('target_tenant', '=', '*').executeTakeFirst();
    if (on && !existing) {
      await tx.insertInto('rbac_policies').values({ id: uuid(), project_id: network.project_id, object_type: 'network', object_id: network.id, action, target_tenant: '*' })
        .onConflict((oc) => oc.doNothing()).execute();
    } else if (!on && existing) {
      await tx.deleteFrom('rbac_policies').where('id', '=', existing.id).execute();
    }
  }
}
