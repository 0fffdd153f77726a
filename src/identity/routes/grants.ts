/**
 * Grants: a role for a user or group on a project, a domain or the system, and the
 * OS-INHERIT forms (a grant on a domain or project that applies to the projects below it).
 * PUT grants, GET/HEAD checks (204 or 404), DELETE revokes, GET .../roles lists.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, forbidden, notFound } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { AssignmentRow, AssignmentType, Bool, RoleRow } from '../../store/schema.js';
import { revokeForAssignments } from '../grant-revocation.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, roleView } from '../views.js';
import { getDomain, getGroup, getProject, getRole, getUser } from './lookups.js';

type TargetKind = 'project' | 'domain' | 'system';
type ActorKind = 'user' | 'group';

interface GrantKind {
  readonly target: TargetKind;
  readonly actor: ActorKind;
  readonly inherited: boolean;
}

interface GrantParams {
  readonly targetId?: string;
  readonly actorId: string;
  readonly roleId?: string;
}

/** The target as resolved: its id in the assignments table and the domain that owns it. */
interface ResolvedTarget {
  readonly id: string;
  readonly domainId: string | null;
}

const capital = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;

function typeOf(kind: GrantKind): AssignmentType {
  return `${capital(kind.actor)}${capital(kind.target)}` as AssignmentType;
}

/** The URL of one grant and of the grant list, with :targetId, :actorId, :roleId parameters. */
function pathsOf(kind: GrantKind): { one: string; list: string } {
  const actor = `${kind.actor}s/:actorId/roles`;
  if (kind.target === 'system') return { one: `/v3/system/${actor}/:roleId`, list: `/v3/system/${actor}` };
  const target = `${kind.target}s/:targetId/${actor}`;
  if (kind.inherited) {
    return { one: `/v3/OS-INHERIT/${target}/:roleId/inherited_to_projects`, list: `/v3/OS-INHERIT/${target}/inherited_to_projects` };
  }
  return { one: `/v3/${target}/:roleId`, list: `/v3/${target}` };
}

const KINDS: readonly GrantKind[] = (['project', 'domain', 'system'] as const).flatMap((target) =>
  (['user', 'group'] as const).flatMap((actor) =>
    (target === 'system' ? [false] : [false, true]).map((inherited) => ({ target, actor, inherited }))));

export async function grantRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  async function resolveActor(kind: GrantKind, actorId: string, allowMissing: boolean): Promise<void> {
    try {
      if (kind.actor === 'user') await getUser(db, actorId);
      else await getGroup(db, actorId);
    } catch (err) {
      // Keystone lets an admin clean up grants left behind by a deleted user or group.
      if (!allowMissing) throw err;
    }
  }

  async function resolveTarget(kind: GrantKind, targetId: string | undefined): Promise<ResolvedTarget> {
    if (kind.target === 'system') return { id: 'system', domainId: null };
    if (kind.target === 'domain') return { id: (await getDomain(db, targetId as string)).id, domainId: targetId as string };
    const project = await getProject(db, targetId as string);
    return { id: project.id, domainId: project.domain_id };
  }

  /** Resolves everything a single-grant request names, in Keystone's order: role, actor, target. */
  async function resolve(request: FastifyRequest, kind: GrantKind, allowMissingActor = false): Promise<{ role: RoleRow; target: ResolvedTarget; row: AssignmentRow }> {
    const params = request.params as GrantParams;
    const role = await getRole(db, params.roleId as string);
    await resolveActor(kind, params.actorId, allowMissingActor);
    const target = await resolveTarget(kind, params.targetId);
    const row: AssignmentRow = { type: typeOf(kind), actor_id: params.actorId, target_id: target.id, role_id: role.id, inherited: (kind.inherited ? 1 : 0) as Bool };
    return { role, target, row };
  }

  function existing(row: AssignmentRow) {
    return db.selectFrom('assignments').selectAll().where('type', '=', row.type).where('actor_id', '=', row.actor_id)
      .where('target_id', '=', row.target_id).where('role_id', '=', row.role_id).where('inherited', '=', row.inherited).executeTakeFirst();
  }

  function assignmentNotFound(row: AssignmentRow) {
    return notFound(`Could not find role assignment with role: ${row.role_id}, user or group: ${row.actor_id}, project, domain, or system: ${row.target_id}.`);
  }

  /** A domain-specific role only makes sense on its own domain's targets, and never on the system. */
  function checkRoleFits(kind: GrantKind, role: RoleRow, target: ResolvedTarget): void {
    if (role.domain_id === '') return;
    if (kind.target === 'system') {
      throw badRequest(`Role ${role.id} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`);
    }
    if (target.domainId !== role.domain_id) {
      const what = kind.target === 'project' ? 'Project' : 'Domain';
      throw forbidden(`${what} ${target.id} must be in the same domain as the role ${role.id} being assigned.`);
    }
  }

  for (const kind of KINDS) {
    const { one, list } = pathsOf(kind);

    app.put(one, async (request, reply) => {
      const { role, target, row } = await resolve(request, kind);
      enforce(identityPolicy.manageGrant, caller(request), { domainId: target.domainId });
      checkRoleFits(kind, role, target);
      // Granting what is already granted is not an error in Keystone.
      await db.insertInto('assignments').values(row).onConflict((oc) => oc.doNothing()).execute();
      reply.code(204).send();
    });

    // A check answers 204 whether asked with GET or HEAD.
    app.route({
      method: ['GET', 'HEAD'],
      url: one,
      handler: async (request, reply) => {
        const { target, row } = await resolve(request, kind);
        enforce(identityPolicy.listAssignments, caller(request), { domainId: target.domainId });
        if (!(await existing(row))) throw assignmentNotFound(row);
        reply.code(204).send();
      },
    });

    app.delete(one, async (request, reply) => {
      const { target, row } = await resolve(request, kind, true);
      enforce(identityPolicy.manageGrant, caller(request), { domainId: target.domainId });
      const stored = await existing(row);
      if (!stored) throw assignmentNotFound(row);
      await db.deleteFrom('assignments').where('type', '=', row.type).where('actor_id', '=', row.actor_id)
        .where('target_id', '=', row.target_id).where('role_id', '=', row.role_id).where('inherited', '=', row.inherited).execute();
      await revokeForAssignments(identity, [stored]);
      reply.code(204).send();
    });

    app.get(list, async (request) => {
      const params = request.params as GrantParams;
      await resolveActor(kind, params.actorId, false);
      const target = await resolveTarget(kind, params.targetId);
      enforce(identityPolicy.listAssignments, caller(request), { domainId: target.domainId });
      const roles = await db.selectFrom('assignments').innerJoin('roles', 'roles.id', 'assignments.role_id').selectAll('roles')
        .where('assignments.type', '=', typeOf(kind)).where('assignments.actor_id', '=', params.actorId)
        .where('assignments.target_id', '=', target.id).where('assignments.inherited', '=', kind.inherited ? 1 : 0)
        .orderBy('roles.name').execute();
      return { roles: roles.map((r) => roleView(request, r)), links: collectionLinks(request) };
    });
  }
}
