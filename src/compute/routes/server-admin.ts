/**
 * Server resources for admins and services: diagnostics (free-form before 2.48, Nova's common
 * shape from it), os-server-external-events (what Neutron tells Nova about a server's ports),
 * and the server's security groups through Nova's proxy (until 2.36).
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, notFound } from '../../api/errors.js';
import { isAdmin } from '../../policy/context.js';
import { atLeast } from '../microversion.js';
import { invalid, isObject, isUuidLike, pyRepr } from '../catalog/validate.js';
import type { ComputeService } from '../service.js';
import { loadServer, policyDenied, requireReader } from '../servers/access.js';
import { serverSecurityGroups } from '../servers/security-group-view.js';
import { vifsOf } from '../lifecycle/networking.js';

type IdParams = { Params: { id: string } };

const POWER_NAMES: Readonly<Record<number, string>> = { 0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended' };

function eventNames(request: Parameters<typeof atLeast>[0]): string[] {
  const names = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];
  if (atLeast(request, '2.51')) names.push('volume-extended');
  if (atLeast(request, '2.76')) names.push('power-update');
  if (atLeast(request, '2.82')) names.push('accelerator-request-bound');
  return names;
}

/** Nova's last completed monthly audit period before `before`: [first of last month, first of this month). */
function auditPeriod(before: Date): { begin: Date; end: Date } {
  const end = new Date(Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), 1));
  const begin = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return { begin, end };
}

function auditTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The instance usage audit for a period. Kumo's hosts run no usage audit (Nova's
 * instance_usage_audit is off by default too), so every compute host is reported as not run.
 */
async function auditLog(service: ComputeService, before: Date): Promise<Record<string, unknown>> {
  const hosts = (await service.db.selectFrom('hosts').select(['name', 'roles']).orderBy('name').execute())
    .filter((h) => (JSON.parse(h.roles) as string[]).includes('compute')).map((h) => h.name);
  const { begin, end } = auditPeriod(before);
  return {
    hosts_not_run: hosts, log: {}, num_hosts: hosts.length, num_hosts_done: 0, num_hosts_not_run: hosts.length, num_hosts_running: 0,
    overall_status: `0 of ${hosts.length} hosts done. 0 errors.`, period_beginning: auditTime(begin), period_ending: auditTime(end),
    total_errors: 0, total_instances: 0,
  };
}

export async function serverAdminRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-instance_usage_audit_log', async (request) => {
    if (!isAdmin(caller(request))) throw policyDenied('os_compute_api:os-instance-usage-audit-log:list');
    return { instance_usage_audit_logs: await auditLog(service, new Date()) };
  });

  app.get<{ Params: { before: string } }>('/os-instance_usage_audit_log/:before', async (request) => {
    if (!isAdmin(caller(request))) throw policyDenied('os_compute_api:os-instance-usage-audit-log:show');
    const text = decodeURIComponent(request.params.before);
    const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(text);
    const when = m ? new Date(`${m[1]}T${m[2]}${m[3] ?? ''}Z`) : null;
    if (!when || Number.isNaN(when.getTime())) throw badRequest(`Invalid timestamp for date ${text}`);
    return { instance_usage_audit_log: await auditLog(service, when) };
  });

  app.get<IdParams>('/servers/:id/diagnostics', async (request) => {
    const ctx = caller(request);
    if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-server-diagnostics');
    const row = await loadServer(service.db, ctx, request.params.id);
    const vifs = await vifsOf(service.db, row.uuid);
    const host = row.host ? await service.db.selectFrom('hosts').select('hypervisor_type').where('name', '=', row.host).executeTakeFirst() : undefined;
    if (!atLeast(request, '2.48')) {
      const diag: Record<string, number> = { memory: row.memory_mb * 1024 };
      for (let i = 0; i < row.vcpus; i++) diag[`cpu${i}_time`] = 0;
      for (const v of vifs) for (const k of ['rx', 'rx_packets', 'rx_errors', 'rx_drop', 'tx', 'tx_packets', 'tx_errors', 'tx_drop']) diag[`${v.devname}_${k}`] = 0;
      return diag;
    }
    const uptime = row.launched_at ? Math.max(0, Math.floor((Date.now() - Date.parse(row.launched_at)) / 1000)) : null;
    return {
      state: POWER_NAMES[row.power_state] ?? 'pending', driver: host?.hypervisor_type ?? 'fake', hypervisor: host?.hypervisor_type ?? null,
      hypervisor_os: 'linux', uptime, config_drive: row.config_drive !== '', num_cpus: row.vcpus, num_nics: vifs.length, num_disks: 1,
      memory_details: { maximum: row.memory_mb, used: null },
      cpu_details: Array.from({ length: row.vcpus }, (_, id) => ({ id, time: null, utilisation: null })),
      nic_details: vifs.map((v) => ({ mac_address: v.macAddress, rx_octets: null, rx_errors: null, rx_drop: null, rx_packets: null, rx_rate: null, tx_octets: null, tx_errors: null, tx_drop: null, tx_packets: null, tx_rate: null })),
      disk_details: [{ read_bytes: null, read_requests: null, write_bytes: null, write_requests: null, errors_count: null }],
    };
  });

  app.post('/os-server-external-events', async (request, reply) => {
    const ctx = caller(request);
    if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-server-external-events:create');
    const body = request.body;
    if (!isObject(body) || !Array.isArray(body.events) || body.events.length === 0) throw invalid('events', isObject(body) ? body.events ?? null : body ?? null, `'events' must be a non-empty array`);
    const allowed = eventNames(request);
    const events = body.events.map((e) => {
      if (!isObject(e)) throw invalid('events', e, `${pyRepr(e)} is not of type 'object'`);
      if (typeof e.name !== 'string' || !allowed.includes(e.name)) throw invalid('name', e.name ?? null, `${pyRepr(e.name ?? null)} is not one of ${pyRepr(allowed)}`);
      if (typeof e.server_uuid !== 'string' || !isUuidLike(e.server_uuid)) throw invalid('server_uuid', e.server_uuid ?? null, `${pyRepr(e.server_uuid ?? null)} is not a 'uuid'`);
      const status = e.status ?? 'completed';
      if (!['failed', 'completed', 'in-progress'].includes(status as string)) throw invalid('status', status, `${pyRepr(status)} is not one of ['failed', 'completed', 'in-progress']`);
      return { name: e.name, server_uuid: e.server_uuid, status: status as string, ...(typeof e.tag === 'string' ? { tag: e.tag } : {}) };
    });
    const answered = [];
    for (const e of events) {
      const row = await service.db.selectFrom('instances').select(['uuid', 'host']).where('uuid', '=', e.server_uuid).where('deleted', '=', 0).executeTakeFirst();
      // A server without a host cannot take events (Nova answers 422 for it).
      const code = !row ? 404 : row.host === null ? 422 : 200;
      if (code === 200 && e.name === 'network-vif-deleted' && e.tag) {
        await service.db.deleteFrom('instance_interfaces').where('instance_uuid', '=', e.server_uuid).where('port_id', '=', e.tag).execute();
      }
      answered.push({ ...e, code });
    }
    const ok = answered.filter((e) => e.code === 200).length;
    if (ok === 0) throw notFound('No instances found for any event');
    reply.code(ok === answered.length ? 200 : 207);
    return { events: answered };
  });

  app.get<IdParams>('/servers/:id/os-security-groups', async (request) => {
    if (atLeast(request, '2.36')) throw notFound('The resource could not be found.');
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-security-groups:list');
    const row = await loadServer(service.db, ctx, request.params.id);
    return { security_groups: await serverSecurityGroups(service.db, row.uuid) };
  });
}
