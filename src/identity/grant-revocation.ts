/**
 * Revokes the tokens a vanished grant may have fed: a user's project grant revokes that
 * user's tokens for the project, any other grant (domain, system, inherited) all of the
 * user's tokens; a group grant does the same for each member of the group.
 */
import type { AssignmentRow } from '../store/schema.js';
import type { Db } from '../store/store.js';
import type { IdentityService } from './service.js';

export async function groupMembers(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('memberships').select('user_id').where('group_id', '=', groupId).execute();
  return rows.map((r) => r.user_id);
}

/**
 * wholeUser: revoke everything of every affected user even for project grants (a deleted
 * role may be carried by tokens of any scope through implications).
 */
export async function revokeForAssignments(
  identity: IdentityService,
  rows: readonly AssignmentRow[],
  options: { readonly wholeUser?: boolean } = {},
): Promise<void> {
  const db = identity.store.db;
  const wholeUsers = new Set<string>();
  const perProject = new Map<string, Set<string>>();
  for (const row of rows) {
    const users = row.type.startsWith('Group') ? await groupMembers(db, row.actor_id) : [row.actor_id];
    const projectOnly = !options.wholeUser && row.type.endsWith('Project') && row.inherited === 0;
    for (const userId of users) {
      if (!projectOnly) {
        wholeUsers.add(userId);
        continue;
      }
      const projects = perProject.get(userId) ?? new Set<string>();
      projects.add(row.target_id);
      perProject.set(userId, projects);
    }
  }
  for (const userId of wholeUsers) await identity.revocations.revoke({ userId });
  for (const [userId, projects] of perProject) {
    if (wholeUsers.has(userId)) continue;
    for (const projectId of projects) await identity.revocations.revoke({ userId, projectId });
  }
}
