/**
 * Which projects a user has a role on, as Keystone's effective role assignments see it:
 * grants to the user or to one of its groups, directly on the project, inherited from an
 * ancestor project (to the whole subtree below it) or inherited from the project's domain.
 */
import type { Db } from '../store/store.js';
import { subtreeOf } from './hierarchy.js';

export async function projectIdsOfUser(db: Db, userId: string): Promise<Set<string>> {
  const groups = await db.selectFrom('memberships').select('group_id').where('user_id', '=', userId).execute();
  const actors = [userId, ...groups.map((g) => g.group_id)];
  const grants = await db.selectFrom('assignments').select(['type', 'target_id', 'inherited'])
    .where('actor_id', 'in', actors).where('type', 'in', ['UserProject', 'GroupProject', 'UserDomain', 'GroupDomain']).execute();
  const ids = new Set<string>();
  for (const grant of grants) {
    const onProject = grant.type === 'UserProject' || grant.type === 'GroupProject';
    if (onProject && !grant.inherited) {
      ids.add(grant.target_id);
    } else if (grant.inherited) {
      // An inherited grant reaches everything below its target, not the target itself.
      for (const p of await subtreeOf(db, grant.target_id, !onProject)) ids.add(p.id);
    }
  }
  return ids;
}
