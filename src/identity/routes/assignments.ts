/** GET /v3/role_assignments (direct and effective, with names, over a subtree) and the grant routes. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import { listDirect, listEffective, projectSubtree, type AssignmentFilter } from '../assignment-list.js';
import { assignmentView, loadNames } from '../assignment-view.js';
import { identityPolicy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks } from '../views.js';
import { query } from './common.js';
import { grantRoutes } from './grants.js';
import { getProject } from './lookups.js';

/** Keystone's flag semantics: present means true unless its value is exactly "0". */
function flag(q: Record<string, string>, name: string): boolean {
  return name in q && q[name] !== '0';
}

/** Keystone refuses filter combinations that can only ever list nothing. */
function checkCombinations(q: Record<string, string>, effective: boolean, inherited: boolean | undefined): void {
  const has = (key: string) => Boolean(q[key]);
  if (has('scope.domain.id') && has('scope.project.id')) throw badRequest('Specify a domain or project, not both');
  if (has('scope.domain.id') && has('scope.system')) throw badRequest('Specify system or domain, not both');
  if (has('scope.project.id') && has('scope.system')) throw badRequest('Specify system or project, not both');
  if (has('user.id') && has('group.id')) throw badRequest('Specify a user or group, not both');
  if (effective && has('group.id')) throw badRequest('Combining effective and group filter will always result in an empty list.');
  if (effective && inherited && has('scope.domain.id')) {
    throw badRequest('Combining effective, domain and inherited filters will always result in an empty list.');
  }
}

export async function assignmentRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/role_assignments', async (request) => {
    const ctx = caller(request);
    const q = query(request);
    const effective = flag(q, 'effective');
    const includeSubtree = flag(q, 'include_subtree');
    const inherited = 'scope.OS-INHERIT:inherited_to' in q ? q['scope.OS-INHERIT:inherited_to'] === 'projects' : undefined;
    const projectId = q['scope.project.id'] || undefined;

    let subtreeIds: string[] | undefined;
    if (includeSubtree) {
      const project = projectId ? await getProject(db, projectId) : undefined;
      enforce(identityPolicy.listAssignments, ctx, { domainId: project?.domain_id ?? ctx.domainId });
      if (!project) throw badRequest('scope.project.id must be specified if include_subtree is also specified');
      subtreeIds = await projectSubtree(db, project.id);
    } else {
      // A domain-scoped caller is judged on (and later limited to) its own domain.
      enforce(identityPolicy.listAssignments, ctx, { domainId: ctx.domainId });
    }
    checkCombinations(q, effective, inherited);

    const filter: AssignmentFilter = {
      userId: q['user.id'] || undefined,
      groupId: q['group.id'] || undefined,
      roleId: q['role.id'] || undefined,
      projectId,
      subtreeIds,
      domainId: q['scope.domain.id'] || undefined,
      // Keystone only knows the one system, "all"; any other value is no filter at all.
      system: q['scope.system'] === 'all',
      inherited,
    };
    const refs = effective ? await listEffective(db, filter) : await listDirect(db, filter);
    const book = flag(q, 'include_names') ? await loadNames(db, refs) : null;
    let visible = refs;
    if (ctx.domainId) {
      const inDomain = new Set((await db.selectFrom('projects').select('id').where('domain_id', '=', ctx.domainId).execute()).map((p) => p.id));
      visible = refs.filter((r) => r.domainId === ctx.domainId || (r.projectId !== undefined && inDomain.has(r.projectId)));
    }
    return { role_assignments: visible.map((r) => assignmentView(request, r, book)), links: collectionLinks(request) };
  });

  await grantRoutes(app, identity);
}
