/**
 * Who sees which security group and rule: admins everything, others their own project's groups
 * and groups shared with them by RBAC, and the rules they own or that sit in groups they see. Anything else is a 404, as Neutron hides
 * other projects' groups.
 */
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';

export const securityGroupNotFound = (id: string) =>
  new ApiError('notFound', `Security group ${id} does not exist`, { type: 'SecurityGroupNotFound' });

export const securityGroupRuleNotFound = (id: string) =>
  new ApiError('notFound', `Security group rule ${id} does not exist`, { type: 'SecurityGroupRuleNotFound' });

/** Groups shared with the caller's project (or everyone) by RBAC policies. */
export async function sharedGroupIds(db: Db | Tx, ctx: AuthContext): Promise<Set<string>> {
  const targets = ['*'];
  if (ctx.projectId) targets.push(ctx.projectId);
  const rows = await db.selectFrom('rbac_policies').select('object_id')
    .where('object_type', '=', 'security_group').where('action', '=', 'access_as_shared').where('target_tenant', 'in', targets).execute();
  return new Set(rows.map((r) => r.object_id));
}

export function groupVisible(ctx: AuthContext, g: Pick<SecurityGroupRow, 'id' | 'project_id' | 'shared'>, shared: ReadonlySet<string>): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && g.project_id === ctx.projectId) || g.shared === 1 || shared.has(g.id);
}

/** The group if the caller may see it (own, shared with it, or admin), else SecurityGroupNotFound. */
export async function visibleSecurityGroup(db: Db | Tx, ctx: AuthContext, id: string): Promise<SecurityGroupRow> {
  const row = await db.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !groupVisible(ctx, row, isAdmin(ctx) ? new Set() : await sharedGroupIds(db, ctx))) throw securityGroupNotFound(id);
  return row;
}

/** A rule is readable by an admin, its owner, and the owner of its group. */
export function ruleVisible(ctx: AuthContext, r: Pick<SecurityGroupRuleRow, 'project_id'>, groupProject: string | undefined): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && (r.project_id === ctx.projectId || groupProject === ctx.projectId));
}
