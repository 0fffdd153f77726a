/**
 * /v2.0/network-ip-availabilities (admin): per network, how many addresses its subnets' pools hold
 * (total_ips, or the whole CIDR for a subnet without pools) and how many are allocated (used_ips),
 * with the same per subnet. Filters network_id, network_name, ip_version, project_id/tenant_id.
 * IPv6 totals exceed 2^53, so bodies are written with exact big integers.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin } from '../../policy/context.js';
import type { SubnetRow } from '../../store/schema-network.js';
import { addressCount, parseCidr, parseIp } from '../ipam/ip.js';
import { neutronNotFound } from '../errors.js';
import { applyFields, applySort, parseQuery, type Query, type View } from '../listing.js';
import type { NetworkService } from '../service.js';
import { setSize } from '../subnets/ranges.js';
import { badRequestType } from '../errors.js';

const FILTERS = ['network_id', 'network_name', 'ip_version', 'project_id', 'tenant_id'];
const CONTROL = ['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse'];

function totalOf(subnet: SubnetRow): bigint {
  const pools = JSON.parse(subnet.allocation_pools) as { start: string; end: string }[];
  if (pools.length === 0) {
    const cidr = parseCidr(subnet.cidr);
    return cidr ? addressCount(cidr) : 0n;
  }
  return setSize(pools.map((p) => ({ first: parseIp(p.start)?.value ?? 0n, last: parseIp(p.end)?.value ?? -1n })));
}

/** JSON with BigInt values written as plain numbers. */
function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v.toString()}` : v))
    .replace(/"\\u0000big:(\d+)"/g, '$1');
  return reply.type('application/json; charset=utf-8').send(text);
}

export async function ipAvailabilityRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;

  async function availabilities(query: Query): Promise<View[]> {
    const matches = (name: string, value: unknown) => !query[name] || query[name].some((v) => v === String(value));
    const networks = (await db.selectFrom('networks').select(['id', 'name', 'project_id']).execute())
      .filter((n) => matches('network_id', n.id) && matches('network_name', n.name) && matches('project_id', n.project_id) && matches('tenant_id', n.project_id));
    const ids = new Set(networks.map((n) => n.id));
    const subnets = (await db.selectFrom('subnets').selectAll().orderBy('created_at').execute())
      .filter((s) => ids.has(s.network_id) && matches('ip_version', s.ip_version));
    const used = new Map<string, number>();
    for (const r of await db.selectFrom('ip_allocations').select('subnet_id').select((eb) => eb.fn.countAll<number>().as('n')).groupBy('subnet_id').execute()) {
      used.set(r.subnet_id, Number(r.n));
    }
    const result: View[] = [];
    for (const n of networks) {
      const mine = subnets.filter((s) => s.network_id === n.id);
      // An ip_version filter keeps only networks that have subnets of that version.
      if (query.ip_version && mine.length === 0) continue;
      const per = mine.map((s) => ({
        subnet_id: s.id, subnet_name: s.name, ip_version: s.ip_version, cidr: s.cidr, used_ips: used.get(s.id) ?? 0, total_ips: totalOf(s),
      }));
      result.push({
        network_id: n.id, network_name: n.name, tenant_id: n.project_id, project_id: n.project_id,
        subnet_ip_availability: per,
        used_ips: per.reduce((t, s) => t + s.used_ips, 0),
        total_ips: per.reduce((t, s) => t + s.total_ips, 0n),
      });
    }
    return result;
  }

  app.get('/v2.0/network-ip-availabilities', async (request, reply) => {
    const ctx = caller(request);
    const query = parseQuery(request);
    for (const key of Object.keys(query)) {
      if (!FILTERS.includes(key) && !CONTROL.includes(key)) throw badRequestType(`[${key}] is invalid attribute for filtering`);
    }
    // Neutron's policy hides every availability from non-admins rather than refusing the list.
    const views = isAdmin(ctx) ? await availabilities(query) : [];
    const sorted = applySort(views.map((v) => ({ ...v, id: v.network_id })), query).map(({ id: _id, ...v }) => v);
    return sendJson(reply, { network_ip_availabilities: sorted.map((v) => applyFields(v, query)) });
  });

  app.get('/v2.0/network-ip-availabilities/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    if (!isAdmin(ctx)) throw new ApiError('notFound', 'The resource could not be found.', { type: 'HTTPNotFound' });
    const [view] = await availabilities({ network_id: [id] });
    if (!view) throw neutronNotFound('Network', id);
    return sendJson(reply, { network_ip_availability: applyFields(view, parseQuery(request)) });
  });
}
