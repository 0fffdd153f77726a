/**
 * /os-hypervisors (admin): list and detail (paging from 2.33; from 2.53 UUID ids, a hostname
 * pattern and with_servers as query parameters), show, statistics and uptime (until 2.87),
 * and the older search and servers routes (until 2.52). The older os-hosts API is registered
 * from here too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, notFound } from '../../api/errors.js';
import { hypervisorBrief, hypervisorDetail, hypervisorId, statistics, uptimeLine } from '../catalog/hypervisor-views.js';
import { nextLinks } from '../catalog/links.js';
import { requireAdmin } from '../catalog/policy.js';
import { markerNotFound, pageOf, param, queryOf, type Query } from '../catalog/query.js';
import { computeRecords, type ServiceRecord } from '../catalog/services.js';
import { hostLoads, instancesOnHost } from '../catalog/usage.js';
import { booleanParam, isUuidLike } from '../catalog/validate.js';
import { requireMicroversion } from '../catalog/versions.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { osHostRoutes } from './os-hosts.js';

const notFoundId = (id: string) => notFound(`Hypervisor with ID '${id}' could not be found.`);
const noMatch = (pattern: string) => notFound(`No hypervisor matching '${pattern}' could be found.`);

/** SQL LIKE '%pattern%' (case-insensitive), as Nova searches hypervisor hostnames. */
function matching(records: readonly ServiceRecord[], pattern: string): ServiceRecord[] {
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  const regex = new RegExp(`^.*${body}.*$`, 'is');
  return records.filter((r) => regex.test(r.hostName));
}

function checkQuery(request: FastifyRequest, query: Query, allowed: readonly string[]): void {
  // Unknown parameters are refused from 2.53 on this API (not 2.75).
  if (!atLeast(request, '2.53')) return;
  const extra = Object.keys(query).filter((k) => !allowed.includes(k));
  if (extra.length) throw badRequest(`Invalid input for query parameters ${extra[0]}. Value: ${param(query, extra[0] as string)}. Additional properties are not allowed ('${extra[0]}' was unexpected)`);
}

function withServersOf(request: FastifyRequest, query: Query): boolean {
  if (!atLeast(request, '2.53')) return false;
  const text = param(query, 'with_servers');
  return text === undefined ? false : booleanParam(text, 'with_servers');
}

async function serversView(service: ComputeService, request: FastifyRequest, view: Record<string, unknown>, host: string, withServers: boolean): Promise<void> {
  const servers = await instancesOnHost(service.db, host);
  if (servers.length > 0) view.servers = servers.map((s) => ({ name: s.name, uuid: s.uuid }));
  else if (withServers && atLeast(request, '2.75')) view.servers = [];
}

async function listing(service: ComputeService, request: FastifyRequest, detail: boolean): Promise<Record<string, unknown>> {
  const ctx = caller(request);
  requireAdmin(ctx, `os_compute_api:os-hypervisors:${detail ? 'list-detail' : 'list'}`);
  const query = queryOf(request);
  checkQuery(request, query, ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers']);
  const paged = atLeast(request, '2.33');
  const withServers = withServersOf(request, query);
  const pattern = atLeast(request, '2.53') ? param(query, 'hypervisor_hostname_pattern') : undefined;
  let records = await computeRecords(service.store);
  let page = paged ? pageOf(query) : { limit: Number.MAX_SAFE_INTEGER, marker: undefined };
  let links = paged;
  if (pattern !== undefined) {
    if (param(query, 'limit') !== undefined || page.marker !== undefined) {
      throw badRequest('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
    }
    records = matching(records, pattern);
    if (records.length === 0) throw noMatch(pattern);
    links = false;
    page = { limit: Number.MAX_SAFE_INTEGER, marker: undefined };
  }
  if (page.marker !== undefined) {
    const at = records.findIndex((r) => String(hypervisorId(request, r)) === page.marker);
    if (at < 0) throw markerNotFound(page.marker);
    records = records.slice(at + 1);
  }
  records = records.slice(0, page.limit);
  const loads = detail ? await hostLoads(service.db) : new Map();
  const hypervisors = [];
  for (const r of records) {
    const view = detail ? hypervisorDetail(request, r, loads.get(r.hostName)) : hypervisorBrief(request, r);
    if (withServers) await serversView(service, request, view, r.hostName, true);
    hypervisors.push(view);
  }
  const next = links ? nextLinks(request, detail ? 'os-hypervisors/detail' : 'os-hypervisors', page, records.length, records.at(-1) && hypervisorId(request, records.at(-1) as ServiceRecord)) : [];
  return { hypervisors, ...(next.length ? { hypervisors_links: next } : {}) };
}

/** The hypervisor a path id names, checking the id's form for the microversion. */
async function byId(service: ComputeService, request: FastifyRequest, id: string): Promise<ServiceRecord> {
  if (atLeast(request, '2.53')) {
    if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
  } else if (!/^\s*[-+]?\d+\s*$/.test(id) || Number(id) < 0) {
    throw notFoundId(id);
  }
  const wanted = atLeast(request, '2.53') ? id.toLowerCase().replaceAll('-', '') : String(Number(id));
  const record = (await computeRecords(service.store)).find((r) => String(hypervisorId(request, r)).replaceAll('-', '') === wanted);
  if (!record) throw notFoundId(id);
  return record;
}

export async function hypervisorRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-hypervisors', async (request) => listing(service, request, false));
  app.get('/os-hypervisors/detail', async (request) => listing(service, request, true));

  app.get('/os-hypervisors/statistics', async (request) => {
    requireMicroversion(request, '2.1', '2.87');
    requireAdmin(caller(request), 'os_compute_api:os-hypervisors:statistics');
    const records = await computeRecords(service.store);
    return { hypervisor_statistics: statistics(records, await hostLoads(service.db)) };
  });

  app.get('/os-hypervisors/:id', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-hypervisors:show');
    const query = queryOf(request);
    checkQuery(request, query, ['with_servers']);
    const withServers = withServersOf(request, query);
    const { id } = request.params as { id: string };
    const record = await byId(service, request, id);
    const view = hypervisorDetail(request, record, (await hostLoads(service.db)).get(record.hostName));
    if (withServers) await serversView(service, request, view, record.hostName, true);
    return { hypervisor: view };
  });

  app.get('/os-hypervisors/:id/uptime', async (request) => {
    requireMicroversion(request, '2.1', '2.87');
    requireAdmin(caller(request), 'os_compute_api:os-hypervisors:uptime');
    const { id } = request.params as { id: string };
    const record = await byId(service, request, id);
    if (!record.alive) throw badRequest(`Compute service of ${record.hostName} is unavailable at this time.`);
    return { hypervisor: { ...hypervisorBrief(request, record), uptime: uptimeLine() } };
  });

  app.get('/os-hypervisors/:pattern/search', async (request) => {
    requireMicroversion(request, '2.1', '2.52');
    requireAdmin(caller(request), 'os_compute_api:os-hypervisors:search');
    const { pattern } = request.params as { pattern: string };
    const found = matching(await computeRecords(service.store), pattern);
    if (found.length === 0) throw noMatch(pattern);
    return { hypervisors: found.map((r) => hypervisorBrief(request, r)) };
  });

  app.get('/os-hypervisors/:pattern/servers', async (request) => {
    requireMicroversion(request, '2.1', '2.52');
    requireAdmin(caller(request), 'os_compute_api:os-hypervisors:servers');
    const { pattern } = request.params as { pattern: string };
    const found = matching(await computeRecords(service.store), pattern);
    if (found.length === 0) throw noMatch(pattern);
    const hypervisors = [];
    for (const r of found) {
      const view = hypervisorBrief(request, r);
      await serversView(service, request, view, r.hostName, false);
      hypervisors.push(view);
    }
    return { hypervisors };
  });

  await osHostRoutes(app, service);
}
