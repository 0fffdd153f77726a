/** Security groups a port may use: existing ones of the port's project, shared ones, or any for an admin. */
import { ApiError } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';

export const securityGroupNotFound = (ids: readonly string[]) =>
  new ApiError('notFound', `Security group ${ids.join(', ')} does not exist`, { type: 'SecurityGroupNotFound' });

export async function checkSecurityGroups(tx: Tx, ctx: AuthContext, projectId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.selectFrom('security_groups').select(['id', 'project_id', 'shared']).where('id', 'in', [...ids]).execute();
  const sharedByRbac = new Set((await tx.selectFrom('rbac_policies').select('object_id')
    .where('object_type', '=', 'security_group').where('object_id', 'in', [...ids]).where('target_tenant', 'in', [projectId, '*']).execute())
    .map((r) => r.object_id));
  const valid = new Set(rows.filter((g) => isAdmin(ctx) || g.project_id === projectId || g.shared === 1 || sharedByRbac.has(g.id)).map((g) => g.id));
  const missing = ids.filter((id) => !valid.has(id));
  if (missing.length) throw securityGroupNotFound(missing);
}
