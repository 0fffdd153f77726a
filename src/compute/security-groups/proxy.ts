/**
 * Nova's security group proxy (os-security-groups, os-security-group-rules; gone at 2.36):
 * Neutron's groups and ingress rules in Nova's old shape, checked as Nova checked them
 * (names and descriptions of 1–255 characters, tcp/udp/icmp ports, cidr or a source group)
 * and written to Neutron's tables with Neutron's own rules (default group, egress defaults,
 * quotas, in-use groups).
 */
import { ApiError, badRequest, forbidden, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import { formatCidr, parseCidr } from '../../network/ipam/ip.js';
import { usage, quotaLimits } from '../../network/quotas.js';
import { deleteGroupRows } from '../../network/routes/security-groups.js';
import { ensureDefaultSecurityGroup, insertGroupWithEgressRules } from '../../network/security-groups/defaults.js';
import type { SecurityGroupRow, SecurityGroupRuleRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { isObject, isUuidLike } from '../catalog/validate.js';

export const groupNotFound = (id: string) => notFound(`Security group ${id} not found.`);

/** Nova's validate_property: 1–255 characters once stripped; the value itself is kept as given. */
export function groupProperty(value: unknown, property: 'name' | 'description'): string {
  if (typeof value !== 'string') throw badRequest(`Security group ${property} is not a string or unicode`);
  const v = value.trim();
  if (v.length < 1) throw badRequest(`Security group ${property} has a minimum character requirement of 1.`);
  if (v.length > 255) throw badRequest(`Security group ${property} has more than 255 characters.`);
  return value;
}

/** Nova's validate_id with Neutron groups: ids are UUIDs (anything else is a 400). */
function groupId(id: string): string {
  if (!isUuidLike(id)) throw badRequest('Security group id should be uuid');
  return id;
}

export function groupBody(body: unknown): { name: string; description: string } {
  if (!isObject(body) || !isObject(body.security_group)) throw badRequest('security_group not specified');
  const g = body.security_group;
  return { name: groupProperty(g.name, 'name'), description: groupProperty(g.description, 'description') };
}

/** The caller's group (any project's for an admin), else Nova's 404. */
export async function ownGroup(tx: Tx, ctx: AuthContext, id: string): Promise<SecurityGroupRow> {
  groupId(id);
  const row = await tx.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || (!isAdmin(ctx) && row.project_id !== ctx.projectId)) throw groupNotFound(id);
  return row;
}

async function checkGroupQuota(tx: Tx, projectId: string): Promise<void> {
  const limit = (await quotaLimits(tx, projectId)).security_group ?? -1;
  if (limit >= 0 && (await usage(tx, projectId, 'security_group')) + 1 > limit) throw forbidden('Quota exceeded, too many security groups.');
}

export async function createGroup(tx: Tx, projectId: string, name: string, description: string): Promise<SecurityGroupRow> {
  await ensureDefaultSecurityGroup(tx, projectId);
  if (name.toLowerCase() === 'default') throw badRequest('Default security group already exists.');
  await checkGroupQuota(tx, projectId);
  return insertGroupWithEgressRules(tx, projectId, name, description, true);
}

export async function deleteGroup(tx: Tx, row: SecurityGroupRow): Promise<void> {
  const isDefault = await tx.selectFrom('default_security_groups').select('project_id').where('security_group_id', '=', row.id).executeTakeFirst();
  if (isDefault) throw badRequest('Removing default security group not allowed.');
  const used = await tx.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', row.id).limit(1).executeTakeFirst();
  if (used) throw badRequest(`Security group ${row.id} is in use.`);
  await deleteGroupRows(tx, row.id);
}

function port(value: unknown, name: string): number | null {
  if (value === undefined || value === null) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw badRequest(`Invalid port range: ${name} must be an integer.`);
  return n;
}

/** A rule of the proxy body, as the Neutron rule it becomes. */
export async function createRule(tx: Tx, ctx: AuthContext, body: unknown): Promise<SecurityGroupRuleRow> {
  if (!isObject(body) || !isObject(body.security_group_rule)) throw badRequest('security_group_rule not specified');
  const r = body.security_group_rule;
  const parentId = r.parent_group_id;
  if (typeof parentId !== 'string' && typeof parentId !== 'number') throw badRequest('Bad parent group id');
  const parent = await ownGroup(tx, ctx, String(parentId));
  const protoText = r.ip_protocol === undefined || r.ip_protocol === null ? null : String(r.ip_protocol).toLowerCase();
  if (protoText !== null && !['tcp', 'udp', 'icmp'].includes(protoText)) throw badRequest(`Invalid IP protocol ${protoText}.`);
  let from = port(r.from_port, 'from_port');
  let to = port(r.to_port, 'to_port');
  if (protoText === null && (from !== null || to !== null)) throw badRequest('Invalid port range: ports need an ip_protocol.');
  if (protoText === 'icmp') {
    if ((from !== null && (from < -1 || from > 255)) || (to !== null && (to < -1 || to > 255))) {
      throw badRequest(`Invalid port range ${from}:${to}. For ICMP, the type:code must be valid`);
    }
    if (from === -1) from = null;
    if (to === -1) to = null;
    if (from === null && to !== null) throw badRequest(`Invalid port range ${from}:${to}. For ICMP, the type:code must be valid`);
  } else if (protoText !== null) {
    if (from === null || to === null || from < 1 || to > 65535 || from > to) {
      throw badRequest(`Invalid port range ${from}:${to}. Valid TCP ports should be between 1-65535`);
    }
  }
  const cidrText = r.cidr === undefined || r.cidr === null || r.cidr === '' ? null : String(r.cidr);
  const groupId = r.group_id === undefined || r.group_id === null || r.group_id === '' ? null : String(r.group_id);
  if (cidrText !== null && groupId !== null) throw badRequest('Invalid parameters: a rule takes either a cidr or a group_id.');
  let prefix: string | null = null;
  let ethertype = 'IPv4';
  if (groupId !== null) {
    await ownGroup(tx, ctx, groupId);
  } else {
    const cidr = parseCidr(cidrText ?? '0.0.0.0/0');
    if (!cidr) throw badRequest(`Invalid cidr ${cidrText}.`);
    // Kept as the user wrote it (Nova passes it through): 10.2.3.124/24 stays 10.2.3.124/24.
    prefix = cidrText ?? formatCidr(cidr);
    ethertype = cidr.version === 6 ? 'IPv6' : 'IPv4';
  }
  const existing = await tx.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', parent.id).where('direction', '=', 'ingress').execute();
  const same = existing.find((e) => e.ethertype === ethertype && e.protocol === protoText && e.port_range_min === from && e.port_range_max === to
    && (e.remote_ip_prefix ?? null) === prefix && (e.remote_group_id ?? null) === groupId);
  if (same) throw badRequest(`This rule already exists in group ${parent.id}`);
  const limit = (await quotaLimits(tx, parent.project_id)).security_group_rule ?? -1;
  if (limit >= 0 && (await usage(tx, parent.project_id, 'security_group_rule')) + 1 > limit) throw forbidden('Quota exceeded, too many security group rules.');
  const now = nowIso();
  const row: SecurityGroupRuleRow = {
    id: uuid(), project_id: parent.project_id, security_group_id: parent.id, direction: 'ingress', ethertype, protocol: protoText,
    port_range_min: from, port_range_max: to, remote_ip_prefix: prefix, remote_group_id: groupId, remote_address_group_id: null,
    description: '', created_at: now, updated_at: now, revision_number: 0,
  };
  await tx.insertInto('security_group_rules').values(row).execute();
  await tx.updateTable('security_groups').set({ revision_number: parent.revision_number + 1, updated_at: now }).where('id', '=', parent.id).execute();
  return row;
}

export async function deleteRule(tx: Tx, ctx: AuthContext, id: string): Promise<void> {
  const rule = await tx.selectFrom('security_group_rules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!rule || (!isAdmin(ctx) && rule.project_id !== ctx.projectId)) throw new ApiError('notFound', `Security group rule ${id} not found.`);
  await tx.deleteFrom('security_group_rules').where('id', '=', id).execute();
}

