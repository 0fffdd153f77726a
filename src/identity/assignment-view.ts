/**
 * Role assignments as Keystone's /v3/role_assignments shows them: actor, role, scope and a
 * link to the grant that produced the assignment (plus the group membership or implication
 * it went through). With include_names, every id also gets its name and owning domain.
 */
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/store.js';
import type { AssignmentRef } from './assignment-list.js';
import { baseUrl } from './views.js';

interface Named {
  readonly name: string;
  readonly domainId: string;
}

/** Names of everything the assignments mention, fetched in a few queries. */
export interface NameBook {
  readonly users: Map<string, Named>;
  readonly groups: Map<string, Named>;
  readonly projects: Map<string, Named>;
  readonly roles: Map<string, Named>;
  readonly domains: Map<string, string>;
}

const ids = (values: (string | undefined)[]) => [...new Set(values.filter((v): v is string => v !== undefined))];

export async function loadNames(db: Db, refs: readonly AssignmentRef[]): Promise<NameBook> {
  const pick = async (table: 'users' | 'groups' | 'projects' | 'roles', wanted: string[]) => {
    if (!wanted.length) return new Map<string, Named>();
    const rows = await db.selectFrom(table).select(['id', 'name', 'domain_id']).where('id', 'in', wanted).execute();
    return new Map(rows.map((r) => [r.id, { name: r.name, domainId: r.domain_id }]));
  };
  const users = await pick('users', ids(refs.map((r) => r.userId)));
  const groups = await pick('groups', ids(refs.map((r) => r.groupId)));
  const projects = await pick('projects', ids(refs.map((r) => r.projectId)));
  const roles = await pick('roles', ids(refs.map((r) => r.roleId)));
  const domainIds = ids([...refs.map((r) => r.domainId), ...[...users.values(), ...groups.values(), ...projects.values(), ...roles.values()].map((n) => n.domainId || undefined)]);
  const domainRows = domainIds.length ? await db.selectFrom('domains').select(['id', 'name']).where('id', 'in', domainIds).execute() : [];
  return { users, groups, projects, roles, domains: new Map(domainRows.map((d) => [d.id, d.name])) };
}

/** An actor or project with its name and domain; a vanished one shows empty names, as in Keystone. */
function named(id: string, entry: Named | undefined, book: NameBook): Record<string, unknown> {
  const domainId = entry?.domainId ?? '';
  return { id, name: entry?.name ?? '', domain: { id: domainId, name: book.domains.get(domainId) ?? '' } };
}

export function assignmentView(request: FastifyRequest, ref: AssignmentRef, book: NameBook | null): Record<string, unknown> {
  const v3 = `${baseUrl(request)}/v3`;
  const links: Record<string, string> = {};
  const view: Record<string, unknown> = { links };
  let scope: Record<string, unknown> = {};
  let link = '';
  let inherited = ref.inheritedToProjects;

  if (ref.projectId !== undefined) {
    scope = { project: book ? named(ref.projectId, book.projects.get(ref.projectId), book) : { id: ref.projectId } };
    // An assignment that came down from an inherited grant links to that grant.
    if (ref.indirect.domainId !== undefined) {
      inherited = true;
      link = `/domains/${ref.indirect.domainId}`;
    } else if (ref.indirect.projectId !== undefined) {
      inherited = true;
      link = `/projects/${ref.indirect.projectId}`;
    } else {
      link = `/projects/${ref.projectId}`;
    }
  } else if (ref.domainId !== undefined) {
    scope = { domain: book ? { id: ref.domainId, name: book.domains.get(ref.domainId) ?? '' } : { id: ref.domainId } };
    link = `/domains/${ref.domainId}`;
  } else if (ref.system) {
    scope = { system: { all: true } };
    link = '/system';
  }
  view.scope = scope;

  if (ref.userId !== undefined) {
    view.user = book ? named(ref.userId, book.users.get(ref.userId), book) : { id: ref.userId };
    if (ref.indirect.groupId !== undefined) {
      links.membership = `${v3}/groups/${ref.indirect.groupId}/users/${ref.userId}`;
      link += `/groups/${ref.indirect.groupId}`;
    } else {
      link += `/users/${ref.userId}`;
    }
  } else if (ref.groupId !== undefined) {
    view.group = book ? named(ref.groupId, book.groups.get(ref.groupId), book) : { id: ref.groupId };
    link += `/groups/${ref.groupId}`;
  }

  const role: Record<string, unknown> = { id: ref.roleId };
  if (book) {
    const entry = book.roles.get(ref.roleId);
    role.name = entry?.name ?? '';
    if (entry?.domainId) role.domain = { id: entry.domainId, name: book.domains.get(entry.domainId) ?? '' };
  }
  view.role = role;

  // An implied assignment links to the grant of the role that implied it.
  link += `/roles/${ref.indirect.roleId ?? ref.roleId}`;
  if (inherited) {
    scope['OS-INHERIT:inherited_to'] = 'projects';
    link = `/OS-INHERIT${link}/inherited_to_projects`;
  }
  links.assignment = `${v3}${link}`;
  if (ref.indirect.roleId !== undefined) {
    // Keystone's own (odd) shape for this link: implied role first, then the prior role.
    links.prior_role = `${v3}/prior_role/${ref.roleId}/implies/${ref.indirect.roleId}`;
  }
  return view;
}
