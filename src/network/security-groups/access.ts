/**
 * Who sees which security group and rule: admins everything, others their own project's groups,
 * and the rules they own or that sit in their groups. Anything else is a 404, as Neutron hides
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

export function groupVisible(ctx: AuthContext, g: Pick<SecurityGroupRow, 'project_id'>): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && g.project_id === ctx.projectId);
}

/** The group if the caller may see it, else SecurityGroupNotFound. */
export async function visibleSecurityGroup(db: Db | Tx, ctx: AuthContext, id: string): Promise<SecurityGroupRow> {
  const row = await db.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !groupVisible(ctx, row)) throw securityGroupNotFound(id);
  return row;
}

/** A rule is readable by an admin, its owner, and the owner of its group. */
export function ruleVisible(ctx: AuthContext, r: Pick<SecurityGroupRuleRow, 'project_id'>, groupProject: string | undefined): boolean {
  return isAdmin(ctx) || (ctx.projectId !== null && (r.project_id === ctx.projectId || groupProject === ctx.projectId));
}
