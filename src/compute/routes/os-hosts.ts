/**
 * /os-hosts (admin, until 2.42; os-hypervisors and os-services replace it): hosts by enabled
 * service and zone, a compute host's resources (total, used, per project), enabling or
 * disabling a host. Maintenance mode and power actions are not something Kumo's drivers do:
 * 501, as Nova answers for drivers without them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError, notFound } from '../../api/errors.js';
import { requireAdmin } from '../catalog/policy.js';
import { param, queryOf } from '../catalog/query.js';
import { computeRecords, serviceRecords, type ServiceRecord } from '../catalog/services.js';
import { hostLoads } from '../catalog/usage.js';
import { invalid, isObject, pyRepr } from '../catalog/validate.js';
import { requireMicroversion } from '../catalog/versions.js';
import type { ComputeService } from '../service.js';

const notImplemented = () => new ApiError('notImplemented', 'Feature not supported');
const hostNotFound = (host: string) => notFound(`Compute host ${host} could not be found.`);
const WORDS = ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'];

async function computeHost(service: ComputeService, request: FastifyRequest, rule: string): Promise<ServiceRecord> {
  requireMicroversion(request, '2.1', '2.42');
  requireAdmin(caller(request), `os_compute_api:os-hosts:${rule}`);
  const { host } = request.params as { host: string };
  const record = (await computeRecords(service.store)).find((r) => r.hostName === host);
  if (!record) throw hostNotFound(host);
  return record;
}

export async function osHostRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-hosts', async (request) => {
    requireMicroversion(request, '2.1', '2.42');
    requireAdmin(caller(request), 'os_compute_api:os-hosts:list');
    const zone = param(queryOf(request), 'zone');
    const records = (await serviceRecords(service.store)).filter((s) => !s.disabled && (!zone || s.zone === zone));
    return { hosts: records.map((s) => ({ host_name: s.hostName, service: s.row.topic, zone: s.zone })) };
  });

  app.get('/os-hosts/:host', async (request) => {
    const record = await computeHost(service, request, 'show');
    const host = record.hostName;
    const rows = await service.db.selectFrom('instances').select(['project_id', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb'])
      .where('host', '=', host).where('deleted', '=', 0).execute();
    const load = (await hostLoads(service.db)).get(host);
    const resource = (project: string, cpu: number, memory: number, disk: number) => ({ resource: { host, project, cpu, memory_mb: memory, disk_gb: disk } });
    const byProject = new Map<string, { cpu: number; memory: number; disk: number }>();
    for (const r of rows) {
      const p = byProject.get(r.project_id) ?? { cpu: 0, memory: 0, disk: 0 };
      p.cpu += r.vcpus;
      p.memory += r.memory_mb;
      p.disk += r.root_gb + r.ephemeral_gb;
      byProject.set(r.project_id, p);
    }
    return {
      host: [
        resource('(total)', record.host?.vcpus ?? 0, record.host?.memory_mb ?? 0, record.host?.disk_gb ?? 0),
        resource('(used_now)', load?.vcpus ?? 0, load?.memoryMb ?? 0, load?.diskGb ?? 0),
        resource('(used_max)', load?.vcpus ?? 0, load?.memoryMb ?? 0, load?.diskGb ?? 0),
        ...[...byProject].map(([project, p]) => resource(project, p.cpu, p.memory, p.disk)),
      ],
    };
  });

  app.put('/os-hosts/:host', async (request) => {
    requireMicroversion(request, '2.1', '2.42');
    requireAdmin(caller(request), 'os_compute_api:os-hosts:update');
    const body = request.body;
    if (!isObject(body)) throw invalid('body', body ?? null, `${pyRepr(body ?? null)} is not of type 'object'`);
    const extra = Object.keys(body).filter((k) => k !== 'status' && k !== 'maintenance_mode');
    if (extra.length) throw invalid('body', body, `Additional properties are not allowed ('${extra[0]}' was unexpected)`);
    for (const key of ['status', 'maintenance_mode']) {
      if (body[key] !== undefined && !WORDS.includes(body[key] as string)) throw invalid(key, body[key], `${pyRepr(body[key])} is not one of ${pyRepr(WORDS)}`);
    }
    if (body.status === undefined && body.maintenance_mode === undefined) throw invalid('body', body, `${pyRepr(body)} is not valid under any of the given schemas`);
    const record = await computeHost(service, request, 'update');
    if (body.maintenance_mode !== undefined) throw notImplemented();
    const enabled = (body.status as string).toLowerCase() === 'enable';
    await service.store.transaction((tx) => tx.updateTable('hosts').set({ enabled: enabled ? 1 : 0, ...(enabled ? { disabled_reason: null } : {}) })
      .where('name', '=', record.hostName).execute());
    return { host: record.hostName, status: enabled ? 'enabled' : 'disabled' };
  });

  for (const action of ['startup', 'shutdown', 'reboot'] as const) {
    app.get(`/os-hosts/:host/${action}`, async (request) => {
      await computeHost(service, request, action === 'startup' ? 'start' : action);
      throw notImplemented();
    });
  }
}
