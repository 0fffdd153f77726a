/**
 * /v2.0/security-group-rules: create (bulk: one group, one project), list, show, delete. Rules
 * are validated as Neutron does (security-groups/rules.ts), duplicates in the group are a 409
 * naming the existing rule, and every change bumps the group's revision number.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, isMember, type AuthContext } from '../../policy/context.js';
import type { SecurityGroupRuleRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { policyForbidden } from '../errors.js';
import { listResponse, type View } from '../listing.js';
import { owningProject, requireMember } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { visibleAddressGroup } from '../address-groups/access.js';
import { ruleVisible, securityGroupRuleNotFound, visibleSecurityGroup } from '../security-groups/access.js';
import { parseRule, ruleKey, specKey, type RuleSpec } from '../security-groups/rules.js';
import { RULE_ATTRIBUTES, ruleView } from '../security-groups/views.js';
import type { NetworkService } from '../service.js';
import { createBodies, type Body } from '../validate.js';
import { listResponseOne } from './networks.js';
import { ensureDefaultForListing } from '../security-groups/ensure.js';

const badRequest = (type: string, message: string) => new ApiError('badRequest', message, { type });

async function bumpGroup(tx: Tx, groupId: string): Promise<void> {
  await tx.updateTable('security_groups').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowIso() })).where('id', '=', groupId).execute();
}

interface Parsed {
  readonly spec: RuleSpec;
  readonly projectId: string;
}

async function createRules(ctx: AuthContext, tx: Tx, items: readonly Body[]): Promise<SecurityGroupRuleRow[]> {
  const parsed: Parsed[] = items.map((item) => {
    const spec = parseRule(item);
    requireMember(ctx, 'create_security_group_rule');
    return { spec, projectId: owningProject(ctx, item, 'create_security_group_rule') };
  });
  if (new Set(parsed.map((p) => p.spec.securityGroupId)).size > 1) {
    throw badRequest('SecurityGroupNotSingleGroupRules', 'Only allowed to update rules for one security profile at a time');
  }
  if (new Set(parsed.map((p) => p.projectId)).size > 1) {
    throw badRequest('SecurityGroupRulesNotSingleProject', 'Multiple project_ids in bulk security group rule create not allowed');
  }
  const first = parsed[0] as Parsed;
  for (const { spec } of parsed) {
    if (spec.remoteGroupId !== null) await visibleSecurityGroup(tx, ctx, spec.remoteGroupId);
    if (spec.remoteAddressGroupId !== null) await visibleAddressGroup(tx, ctx, spec.remoteAddressGroupId);
  }
  const group = await visibleSecurityGroup(tx, ctx, first.spec.securityGroupId);
  if (!isAdmin(ctx) && !(isMember(ctx) && group.project_id === ctx.projectId)) throw policyForbidden('create_security_group_rule');
  await checkQuota(tx, first.projectId, 'security_group_rule', parsed.length);
  const keys = new Set<string>();
  for (const { spec } of parsed) {
    const key = specKey(spec);
    if (keys.has(key)) throw new ApiError('conflict', 'Duplicate Security Group Rule in POST.', { type: 'DuplicateSecurityGroupRuleInPost' });
    keys.add(key);
  }
  const existing = await tx.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', group.id).execute();
  for (const r of existing) {
    if (keys.has(ruleKey(r))) {
      throw new ApiError('conflict', `Security group rule already exists. Rule id is ${r.id}.`, { type: 'SecurityGroupRuleExists' });
    }
  }
  const now = nowIso();
  const rows: SecurityGroupRuleRow[] = parsed.map(({ spec, projectId }) => ({
    id: uuid(), project_id: projectId, security_group_id: group.id, direction: spec.direction, ethertype: spec.ethertype,
    protocol: spec.protocol, port_range_min: spec.portRangeMin, port_range_max: spec.portRangeMax, remote_ip_prefix: spec.remoteIpPrefix,
    remote_group_id: spec.remoteGroupId, remote_address_group_id: spec.remoteAddressGroupId, description: spec.description,
    created_at: now, updated_at: now, revision_number: 0,
  }));
  await tx.insertInto('security_group_rules').values(rows).execute();
  await bumpGroup(tx, group.id);
  return rows;
}

export async function securityGroupRuleRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  /** The rule and its group's project, if the caller may see the rule. */
  async function visibleRule(ctx: AuthContext, id: string, dbOrTx: typeof db | Tx = db): Promise<{ rule: SecurityGroupRuleRow; groupProject: string | undefined }> {
    const rule = await dbOrTx.selectFrom('security_group_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!rule) throw securityGroupRuleNotFound(id);
    const group = await dbOrTx.selectFrom('security_groups').select('project_id').where('id', '=', rule.security_group_id).executeTakeFirst();
    if (!ruleVisible(ctx, rule, group?.project_id)) throw securityGroupRuleNotFound(id);
    return { rule, groupProject: group?.project_id };
  }

  app.get('/v2.0/security-group-rules', async (request) => {
    const ctx = caller(request);
    await ensureDefaultForListing(service, request, ctx);
    let query = db.selectFrom('security_group_rules').selectAll();
    if (!isAdmin(ctx)) {
      const me = ctx.projectId ?? '';
      query = query.where((eb) => eb.or([
        eb('project_id', '=', me),
        eb('security_group_id', 'in', eb.selectFrom('security_groups').select('id').where('project_id', '=', me)),
      ]));
    }
    const rows = await query.execute();
    return listResponse(request, 'security_group_rules', rows.map(ruleView), { knownAttributes: RULE_ATTRIBUTES });
  });

  app.get('/v2.0/security-group-rules/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const { rule } = await visibleRule(ctx, id);
    return listResponseOne(request, 'security_group_rule', ruleView(rule) as View);
  });

  app.post('/v2.0/security-group-rules', async (request, reply) => {
    const ctx = caller(request);
    const { items, bulk } = createBodies(request.body, 'security_group_rule', 'security_group_rules');
    const rows = await service.store.transaction((tx) => createRules(ctx, tx, items));
    reply.code(201);
    return bulk ? { security_group_rules: rows.map(ruleView) } : { security_group_rule: ruleView(rows[0] as SecurityGroupRuleRow) };
  });

  app.delete('/v2.0/security-group-rules/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const { rule, groupProject } = await visibleRule(ctx, id, tx);
      if (!isAdmin(ctx) && !(isMember(ctx) && groupProject === ctx.projectId)) throw policyForbidden('delete_security_group_rule');
      await tx.deleteFrom('security_group_rules').where('id', '=', id).execute();
      await bumpGroup(tx, rule.security_group_id);
    });
    reply.code(204).send();
  });
}
