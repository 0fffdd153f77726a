/**
 * /os-simple-tenant-usage: what projects' servers used over a period (start/end, up to now):
 * hours each server ran in it and the vCPU, RAM and disk hours that makes. All projects for
 * admins (with detailed=1 the servers too), one project for its readers; paging from 2.40.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, notFound } from '../../api/errors.js';
import type { Db } from '../../store/store.js';
import { nextLinks } from '../catalog/links.js';
import { requireAdmin, requireProjectReader } from '../catalog/policy.js';
import { markerNotFound, pageOf, param, queryOf, rejectUnknown, MAX_LIMIT, type Page, type Query } from '../catalog/query.js';
import { novaTime } from '../catalog/time.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

interface ServerUsage {
  instance_id: string;
  name: string;
  tenant_id: string;
  flavor: string;
  hours: number;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
}

/** Nova's accepted forms, read as UTC: 2024-01-02T03:04:05[.ffffff] or 2024-01-02 03:04:05.ffffff. */
function parseTime(text: string | undefined): number {
  if (!text) return Date.now();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?| (\d{2}):(\d{2}):(\d{2})\.(\d{1,6}))$/.exec(text);
  if (!m) throw badRequest('Invalid datetime string: Datetime is in invalid format');
  const [h, min, s, frac] = m[4] !== undefined ? [m[4], m[5], m[6], m[7]] : [m[8], m[9], m[10], m[11]];
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(h), Number(min), Number(s), Math.floor(Number(`0.${frac ?? '0'}`) * 1000));
  if (Number.isNaN(ms)) throw badRequest('Invalid datetime string: Datetime is in invalid format');
  return ms;
}

function period(query: Query): { start: number; stop: number } {
  const start = parseTime(param(query, 'start'));
  const stop = parseTime(param(query, 'end'));
  if (!(start < stop)) throw badRequest('Invalid start time. The start time cannot occur after the end time.');
  return { start, stop: Math.min(stop, Date.now()) };
}

async function serverUsages(db: Db, start: number, stop: number, projectId: string | undefined, page: Page): Promise<ServerUsage[]> {
  // Servers alive at some point of the period: launched before its end, not terminated before its start.
  let q = db.selectFrom('instances').selectAll()
    .where('launched_at', 'is not', null).where('launched_at', '<', new Date(stop).toISOString())
    .where((eb) => eb.or([eb('terminated_at', 'is', null), eb('terminated_at', '>', new Date(start).toISOString())]))
    .orderBy('id');
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  if (page.marker !== undefined) {
    const marker = await db.selectFrom('instances').select('id').where('uuid', '=', page.marker).executeTakeFirst();
    if (!marker) throw markerNotFound(page.marker);
    q = q.where('id', '>', marker.id);
  }
  const rows = await q.limit(page.limit).execute();
  const now = Date.now();
  return rows.map((r) => {
    const launched = Date.parse(r.launched_at as string);
    const terminated = r.terminated_at ? Date.parse(r.terminated_at) : null;
    const from = Math.max(launched, start);
    const to = terminated === null ? stop : Math.min(stop, terminated);
    let flavorName = '';
    try {
      flavorName = String((JSON.parse(r.flavor) as { name?: string }).name ?? '');
    } catch {
      // An unreadable flavor snapshot cannot be billed by name.
    }
    return {
      instance_id: r.uuid, name: r.name, tenant_id: r.project_id, flavor: flavorName,
      hours: Math.max(0, (to - from) / 3_600_000), memory_mb: r.memory_mb, local_gb: r.root_gb + r.ephemeral_gb, vcpus: r.vcpus,
      started_at: novaTime(launched), ended_at: terminated === null ? null : novaTime(terminated),
      state: terminated === null ? r.vm_state : 'terminated',
      uptime: Math.floor(((terminated ?? now) - launched) / 1000),
    };
  });
}

function summaries(usages: readonly ServerUsage[], start: number, stop: number, detailed: boolean): Record<string, unknown>[] {
  const byProject = new Map<string, Record<string, unknown> & { total_hours: number; total_vcpus_usage: number; total_memory_mb_usage: number; total_local_gb_usage: number }>();
  for (const u of usages) {
    let s = byProject.get(u.tenant_id);
    if (!s) {
      s = { tenant_id: u.tenant_id, ...(detailed ? { server_usages: [] as ServerUsage[] } : {}), total_local_gb_usage: 0, total_vcpus_usage: 0,
        total_memory_mb_usage: 0, total_hours: 0, start: novaTime(start), stop: novaTime(stop) };
      byProject.set(u.tenant_id, s);
    }
    s.total_local_gb_usage += u.local_gb * u.hours;
    s.total_vcpus_usage += u.vcpus * u.hours;
    s.total_memory_mb_usage += u.memory_mb * u.hours;
    s.total_hours += u.hours;
    if (detailed) (s.server_usages as ServerUsage[]).push(u);
  }
  return [...byProject.values()];
}

function pageFor(request: FastifyRequest, query: Query): Page {
  return atLeast(request, '2.40') ? pageOf(query) : { limit: MAX_LIMIT, marker: undefined };
}

export async function tenantUsageRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-simple-tenant-usage', async (request) => {
    // A trailing slash means an empty project id here, which Nova does not route.
    if (request.url.split('?')[0]?.endsWith('/')) throw notFound('The resource could not be found.');
    requireAdmin(caller(request), 'os_compute_api:os-simple-tenant-usage:list');
    const query = queryOf(request);
    rejectUnknown(request, query, ['start', 'end', 'detailed', ...(atLeast(request, '2.40') ? ['limit', 'marker'] : [])]);
    const { start, stop } = period(query);
    const page = pageFor(request, query);
    const usages = await serverUsages(service.db, start, stop, undefined, page);
    const links = atLeast(request, '2.40') ? nextLinks(request, 'os-simple-tenant-usage', page, usages.length, usages.at(-1)?.instance_id) : [];
    return { tenant_usages: summaries(usages, start, stop, param(query, 'detailed') === '1'), ...(links.length ? { tenant_usages_links: links } : {}) };
  });

  app.get('/os-simple-tenant-usage/:project', async (request) => {
    const { project } = request.params as { project: string };
    requireProjectReader(caller(request), project, 'os_compute_api:os-simple-tenant-usage:show');
    const query = queryOf(request);
    rejectUnknown(request, query, ['start', 'end', ...(atLeast(request, '2.40') ? ['limit', 'marker'] : [])]);
    const { start, stop } = period(query);
    const page = pageFor(request, query);
    const usages = await serverUsages(service.db, start, stop, project, page);
    const links = atLeast(request, '2.40') ? nextLinks(request, `os-simple-tenant-usage/${project}`, page, usages.length, usages.at(-1)?.instance_id) : [];
    return { tenant_usage: summaries(usages, start, stop, true)[0] ?? {}, ...(links.length ? { tenant_usage_links: links } : {}) };
  });
}
