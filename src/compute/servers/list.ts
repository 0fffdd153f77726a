/**
 * GET /servers and /servers/detail: the caller's servers (all projects with all_tenants for an
 * admin), Nova's filters (regex ones match anywhere like Nova's REGEXP, the others exactly),
 * sort keys, and limit/marker paging with a `next` link when a page is full. Filters an admin
 * may use are silently dropped for others, as Nova strips them.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Db } from '../../store/store.js';
import { boolFromString } from '../catalog/validate.js';
import { MAX_LIMIT, nonNegativeParam, param, queryOf, type Query } from '../catalog/query.js';
import { atLeast } from '../microversion.js';
import { policyDenied } from './access.js';
import { statesForStatus } from './states.js';
import { computeRoot } from './views.js';

const REGEX_FILTERS: Readonly<Record<string, keyof InstanceRow>> = {
  name: 'name', display_name: 'name', description: 'description', display_description: 'description', hostname: 'hostname',
  key_name: 'key_name', node: 'node', reservation_id: 'reservation_id', availability_zone: 'availability_zone',
  locked_by: 'locked_by', root_device_name: 'root_device_name', config_drive: 'config_drive', access_ip_v4: 'access_ip_v4',
  access_ip_v6: 'access_ip_v6', progress: 'progress', power_state: 'power_state', launch_index: 'launch_index',
  launched_at: 'launched_at', terminated_at: 'terminated_at', created_at: 'created_at', kernel_id: 'uuid', ramdisk_id: 'uuid',
};
const EXACT_FILTERS: Readonly<Record<string, keyof InstanceRow>> = {
  image: 'image_ref', image_ref: 'image_ref', flavor: 'flavor_id', host: 'host', uuid: 'uuid', user_id: 'user_id',
  vm_state: 'vm_state', task_state: 'task_state',
};
/** What a non-admin may filter on (more from 2.83). */
const USER_FILTERS = ['name', 'display_name', 'status', 'image', 'image_ref', 'flavor', 'changes-since', 'changes-before', 'reservation_id',
  'ip', 'ip6', 'tags', 'tags-any', 'not-tags', 'not-tags-any', 'locked', 'description', 'display_description'];
const USER_FILTERS_283 = ['availability_zone', 'config_drive', 'key_name', 'created_at', 'launched_at', 'terminated_at', 'power_state',
  'task_state', 'vm_state', 'progress', 'user_id'];
const PAGING = ['limit', 'marker', 'sort_key', 'sort_dir', 'all_tenants', 'project_id', 'tenant_id', 'deleted', 'soft_deleted'];
const ADMIN_ONLY = ['host', 'node', 'uuid', 'hostname', 'launch_index', 'root_device_name', 'access_ip_v4', 'access_ip_v6', 'locked_by',
  'kernel_id', 'ramdisk_id', 'auto_disk_config'];

const SORT_COLUMNS: Readonly<Record<string, keyof InstanceRow>> = {
  access_ip_v4: 'access_ip_v4', access_ip_v6: 'access_ip_v6', auto_disk_config: 'disk_config', availability_zone: 'availability_zone',
  config_drive: 'config_drive', created_at: 'created_at', display_description: 'description', display_name: 'name', host: 'host',
  hostname: 'hostname', image_ref: 'image_ref', instance_type_id: 'flavor_id', kernel_id: 'uuid', key_name: 'key_name',
  launch_index: 'launch_index', launched_at: 'launched_at', locked_by: 'locked_by', node: 'node', power_state: 'power_state',
  progress: 'progress', project_id: 'project_id', ramdisk_id: 'uuid', root_device_name: 'root_device_name', task_state: 'task_state',
  terminated_at: 'terminated_at', updated_at: 'updated_at', user_id: 'user_id', uuid: 'uuid', vm_state: 'vm_state', locked: 'locked_by',
};
const IGNORED_SORT_KEYS = ['architecture', 'cell_name', 'cleaned', 'default_ephemeral_device', 'default_swap_device', 'deleted', 'deleted_at',
  'disable_terminate', 'ephemeral_gb', 'ephemeral_key_uuid', 'id', 'key_data', 'launched_on', 'memory_mb', 'os_type', 'reservation_id',
  'root_gb', 'shutdown_terminate', 'user_data', 'vcpus', 'vm_mode'];

export interface ServerPage {
  readonly rows: InstanceRow[];
  readonly links: { rel: string; href: string }[];
}

function truthy(query: Query, name: string): boolean {
  if (!(name in query)) return false;
  const v = param(query, name) ?? '';
  if (v === '') return true;
  const b = boolFromString(v);
  if (b === undefined) throw badRequest(`Invalid value '${v}' for ${name}`);
  return b;
}

function regexOf(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  }
}

function timeParam(query: Query, name: string): string | null {
  const v = param(query, name);
  if (v === undefined) return null;
  const t = Date.parse(v.includes('T') || v.includes(' ') ? v : `${v}T00:00:00Z`);
  if (Number.isNaN(t)) throw badRequest(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' is not a 'date-time'`);
  return new Date(t).toISOString();
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

export async function listServers(db: Db, request: FastifyRequest, ctx: AuthContext, detail: boolean): Promise<ServerPage> {
  const query = queryOf(request);
  const admin = isAdmin(ctx);
  if (atLeast(request, '2.75')) {
    const known = [...USER_FILTERS, ...USER_FILTERS_283, ...PAGING, ...ADMIN_ONLY, ...Object.keys(REGEX_FILTERS), ...Object.keys(EXACT_FILTERS)];
    const unknown = Object.keys(query).filter((k) => !known.includes(k));
    if (unknown.length) throw badRequest(`Invalid input for query parameters ${unknown[0]}. Value: ${param(query, unknown[0] as string)}. Additional properties are not allowed ('${unknown[0]}' was unexpected)`);
  }
  for (const k of Object.keys(query)) if (k.startsWith('_')) throw badRequest(`Invalid filter field: ${k}.`);
  const allTenants = truthy(query, 'all_tenants');
  if (allTenants && !admin) throw policyDenied(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`);
  const allowed = admin ? null : [...USER_FILTERS, ...(atLeast(request, '2.83') ? USER_FILTERS_283 : [])];
  const may = (name: string) => name in query && (allowed === null || allowed.includes(name));

  let q = db.selectFrom('instances').selectAll();
  if (!allTenants) q = q.where('project_id', '=', ctx.projectId ?? '');
  else {
    const project = param(query, 'project_id') ?? param(query, 'tenant_id');
    if (project !== undefined) q = q.where('project_id', '=', project);
  }
  const changesSince = may('changes-since') ? timeParam(query, 'changes-since') : null;
  const changesBefore = may('changes-before') && atLeast(request, '2.66') ? timeParam(query, 'changes-before') : null;
  if (changesSince && changesBefore && changesSince > changesBefore) throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  const status = may('status') ? param(query, 'status') : undefined;
  const wantDeleted = admin && 'deleted' in query ? truthy(query, 'deleted') : false;
  // Deleted servers show up only when asked for: changes-since/before, deleted=true, status=deleted (admins).
  if (!(changesSince || changesBefore || wantDeleted || (admin && status?.toUpperCase() === 'DELETED'))) q = q.where('deleted', '=', 0);
  else if (wantDeleted) q = q.where('deleted', '=', 1);
  let rows = await q.execute();

  if (changesSince) rows = rows.filter((r) => r.updated_at >= changesSince);
  if (changesBefore) rows = rows.filter((r) => r.updated_at <= changesBefore);
  if (status !== undefined) {
    const states = statesForStatus(status);
    if (!states) {
      if (atLeast(request, '2.38')) throw badRequest('Invalid status value');
      rows = [];
    } else {
      rows = rows.filter((r) => states.vmStates.includes(r.vm_state) && (!states.taskStates || states.taskStates.includes(r.task_state)));
    }
  }
  for (const [name, column] of Object.entries(EXACT_FILTERS)) {
    if (!may(name)) continue;
    const values = query[name] ?? [];
    rows = rows.filter((r) => values.includes(String(r[column] ?? '')));
  }
  for (const [name, column] of Object.entries(REGEX_FILTERS)) {
    if (!may(name)) continue;
    const re = regexOf(param(query, name) ?? '');
    rows = rows.filter((r) => r[column] !== null && re.test(String(r[column])));
  }
  if (may('locked') && atLeast(request, '2.73')) {
    const locked = truthy(query, 'locked');
    rows = rows.filter((r) => (r.locked_by !== null) === locked);
  }
  rows = await filterByTags(db, request, query, rows, may);
  rows = await filterByIp(db, query, rows, may, request);
  const marker = param(query, 'marker');
  let markerRow: InstanceRow | undefined;
  if (marker !== undefined && !rows.some((r) => r.uuid === marker)) {
    // A marker filtered out of this listing still places the page by its sort values, as in Nova.
    markerRow = await db.selectFrom('instances').selectAll().where('uuid', '=', marker)
      .where((eb) => (allTenants ? eb.val(true) : eb('project_id', '=', ctx.projectId ?? ''))).executeTakeFirst();
    if (!markerRow) throw badRequest(`marker [${marker}] not found`);
  }
  return paginate(request, query, rows, detail, markerRow);
}

async function filterByTags(db: Db, request: FastifyRequest, query: Query, rows: InstanceRow[], may: (n: string) => boolean): Promise<InstanceRow[]> {
  const names = ['tags', 'tags-any', 'not-tags', 'not-tags-any'].filter((n) => may(n));
  if (!atLeast(request, '2.26') || names.length === 0 || rows.length === 0) return rows;
  const tagRows = await db.selectFrom('instance_tags').select(['instance_uuid', 'tag']).execute();
  const tagsOf = new Map<string, Set<string>>();
  for (const t of tagRows) (tagsOf.get(t.instance_uuid) ?? tagsOf.set(t.instance_uuid, new Set()).get(t.instance_uuid) as Set<string>).add(t.tag);
  const list = (n: string) => (param(query, n) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return rows.filter((r) => {
    const have = tagsOf.get(r.uuid) ?? new Set<string>();
    if (may('tags') && !list('tags').every((t) => have.has(t))) return false;
    if (may('tags-any') && !list('tags-any').some((t) => have.has(t))) return false;
    if (may('not-tags') && list('not-tags').every((t) => have.has(t))) return false;
    if (may('not-tags-any') && list('not-tags-any').some((t) => have.has(t))) return false;
    return true;
  });
}

async function filterByIp(db: Db, query: Query, rows: InstanceRow[], may: (n: string) => boolean, request: FastifyRequest): Promise<InstanceRow[]> {
  const ip = (may('ip') || ('ip' in query && atLeast(request, '2.5'))) ? param(query, 'ip') : undefined;
  const ip6 = (may('ip6') || ('ip6' in query && atLeast(request, '2.5'))) ? param(query, 'ip6') : undefined;
  if ((ip === undefined && ip6 === undefined) || rows.length === 0) return rows;
  const addrs = await db.selectFrom('instance_interfaces').innerJoin('ip_allocations', 'ip_allocations.port_id', 'instance_interfaces.port_id')
    .select(['instance_interfaces.instance_uuid', 'ip_allocations.ip_address']).execute();
  const by = new Map<string, string[]>();
  for (const a of addrs) (by.get(a.instance_uuid) ?? by.set(a.instance_uuid, []).get(a.instance_uuid) as string[]).push(a.ip_address);
  const re4 = ip === undefined ? null : regexOf(ip);
  const re6 = ip6 === undefined ? null : regexOf(ip6);
  return rows.filter((r) => (by.get(r.uuid) ?? []).some((a) => (re4 !== null && !a.includes(':') && re4.test(a)) || (re6 !== null && a.includes(':') && re6.test(a))));
}

function paginate(request: FastifyRequest, query: Query, rows: InstanceRow[], detail: boolean, markerRow?: InstanceRow): ServerPage {
  const keys = (query.sort_key ?? []).filter((k) => !IGNORED_SORT_KEYS.includes(k) || (k === 'locked' && atLeast(request, '2.73')));
  const dirs = query.sort_dir ?? [];
  for (const k of keys) {
    if (!(k in SORT_COLUMNS) || (k === 'locked' && !atLeast(request, '2.73'))) throw badRequest(`Invalid input for query parameters sort_key. Value: ${k}.`);
  }
  for (const d of dirs) if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid input for query parameters sort_dir. Value: ${d}.`);
  const order: { column: keyof InstanceRow; desc: boolean }[] = keys.length
    ? keys.map((k, i) => ({ column: SORT_COLUMNS[k] as keyof InstanceRow, desc: (dirs[i] ?? dirs[0] ?? 'desc') === 'desc' }))
    : [{ column: 'created_at', desc: true }];
  order.push({ column: 'id', desc: true });
  const cmp = (a: InstanceRow, b: InstanceRow) => {
    for (const o of order) {
      const c = compareValues(a[o.column], b[o.column]);
      if (c !== 0) return o.desc ? -c : c;
    }
    return 0;
  };
  rows.sort(cmp);
  const limitParam = 'limit' in query ? nonNegativeParam(query, 'limit') : undefined;
  const limit = Math.min(limitParam ?? MAX_LIMIT, MAX_LIMIT);
  const marker = param(query, 'marker');
  let start = 0;
  if (markerRow) {
    start = rows.findIndex((r) => cmp(r, markerRow) > 0);
    if (start < 0) start = rows.length;
  } else if (marker !== undefined) {
    start = rows.findIndex((r) => r.uuid === marker) + 1;
  }
  const page = rows.slice(start, start + limit);
  const links: { rel: string; href: string }[] = [];
  const last = page[page.length - 1];
  if (last && page.length === limit && (limitParam !== undefined || rows.length > start + limit)) {
    const params = new URLSearchParams();
    for (const key of Object.keys(query).sort()) if (key !== 'marker') for (const v of query[key] ?? []) params.append(key, v);
    params.set('marker', last.uuid);
    links.push({ rel: 'next', href: `${computeRoot(request)}/v2.1/servers${detail ? '/detail' : ''}?${params.toString()}` });
  }
  return { rows: page, links };
}
