/** Row lookups that 404 in Keystone's words, shared by the role and grant routes. */
import type { DomainRow, GroupRow, ProjectRow, RoleRow, UserRow } from '../../store/schema.js';
import type { Db } from '../../store/store.js';
import { found } from './common.js';

export function getRole(db: Db, id: string): Promise<RoleRow> {
  return found(db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst(), 'role', id);
}

export function getUser(db: Db, id: string): Promise<Pick<UserRow, 'id' | 'name' | 'domain_id'>> {
  return found(db.selectFrom('users').select(['id', 'name', 'domain_id']).where('id', '=', id).executeTakeFirst(), 'user', id);
}

export function getGroup(db: Db, id: string): Promise<Pick<GroupRow, 'id' | 'name' | 'domain_id'>> {
  return found(db.selectFrom('groups').select(['id', 'name', 'domain_id']).where('id', '=', id).executeTakeFirst(), 'group', id);
}

export function getProject(db: Db, id: string): Promise<Pick<ProjectRow, 'id' | 'name' | 'domain_id' | 'parent_id'>> {
  return found(db.selectFrom('projects').select(['id', 'name', 'domain_id', 'parent_id']).where('id', '=', id).executeTakeFirst(), 'project', id);
}

export function getDomain(db: Db, id: string): Promise<Pick<DomainRow, 'id' | 'name'>> {
  return found(db.selectFrom('domains').select(['id', 'name']).where('id', '=', id).executeTakeFirst(), 'domain', id);
}
