/**
 * /os-availability-zone: the zones of the enabled services (available) and of zones whose
 * services are all disabled (not available); the brief list hides the `internal` zone of the
 * controller services, the detail (admin) shows each zone's hosts and their services. Host
 * aggregates, which put hosts in zones, are registered from here.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { requireAdmin } from '../catalog/policy.js';
import { queryOf, rejectUnknown } from '../catalog/query.js';
import { INTERNAL_ZONE, serviceRecords, type ServiceRecord } from '../catalog/services.js';
import type { ComputeService } from '../service.js';
import { aggregateRoutes } from './aggregates.js';

function zonesOf(records: readonly ServiceRecord[]): { available: string[]; unavailable: string[] } {
  const available = new Set(records.filter((s) => !s.disabled).map((s) => s.zone));
  const unavailable = new Set(records.filter((s) => s.disabled && !available.has(s.zone)).map((s) => s.zone));
  return { available: [...available].sort(), unavailable: [...unavailable].sort() };
}

export async function availabilityZoneRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/os-availability-zone', async (request) => {
    caller(request);
    rejectUnknown(request, queryOf(request), [], '2.102');
    const { available, unavailable } = zonesOf(await serviceRecords(service.store));
    const zone = (name: string, up: boolean) => ({ zoneName: name, zoneState: { available: up }, hosts: null });
    return {
      availabilityZoneInfo: [
        ...available.filter((z) => z !== INTERNAL_ZONE).map((z) => zone(z, true)),
        ...unavailable.filter((z) => z !== INTERNAL_ZONE).map((z) => zone(z, false)),
      ],
    };
  });

  app.get('/os-availability-zone/detail', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-availability-zone:detail');
    rejectUnknown(request, queryOf(request), [], '2.102');
    const records = await serviceRecords(service.store);
    const { available, unavailable } = zonesOf(records);
    const info = available.map((zoneName) => {
      const hosts: Record<string, Record<string, unknown>> = {};
      for (const s of records.filter((r) => r.zone === zoneName && !r.disabled)) {
        hosts[s.hostName] ??= {};
        (hosts[s.hostName] as Record<string, unknown>)[s.binary] = { available: s.alive, active: true, updated_at: s.updatedAt };
      }
      return { zoneName, zoneState: { available: true }, hosts };
    });
    for (const zoneName of unavailable) info.push({ zoneName, zoneState: { available: false }, hosts: null as unknown as Record<string, Record<string, unknown>> });
    return { availabilityZoneInfo: info };
  });

  await aggregateRoutes(app, service);
}
