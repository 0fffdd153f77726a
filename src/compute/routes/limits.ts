/**
 * GET /limits: the project's absolute limits (its quotas) and what it uses; an admin may ask
 * for another project with tenant_id. Network limits leave at 2.36, maxImageMeta at 2.39,
 * the personality limits at 2.57; there are no rate limits. The usage report
 * (os-simple-tenant-usage) is registered from here.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { requireAdmin } from '../catalog/policy.js';
import { param, queryOf, rejectUnknown } from '../catalog/query.js';
import { projectQuotas } from '../catalog/quotas.js';
import { usageOf } from '../catalog/usage.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { tenantUsageRoutes } from './tenant-usage.js';

/** Which quota each absolute limit shows. */
const LIMIT_OF: readonly [string, string][] = [
  ['maxTotalRAMSize', 'ram'], ['maxTotalInstances', 'instances'], ['maxTotalCores', 'cores'], ['maxTotalKeypairs', 'key_pairs'],
  ['maxTotalFloatingIps', 'floating_ips'], ['maxServerMeta', 'metadata_items'], ['maxImageMeta', 'metadata_items'],
  ['maxPersonality', 'injected_files'], ['maxPersonalitySize', 'injected_file_content_bytes'], ['maxSecurityGroups', 'security_groups'],
  ['maxSecurityGroupRules', 'security_group_rules'], ['maxServerGroups', 'server_groups'], ['maxServerGroupMembers', 'server_group_members'],
];

export async function limitRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/limits', async (request) => {
    const ctx = caller(request);
    const query = queryOf(request);
    rejectUnknown(request, query, ['tenant_id']);
    let projectId = ctx.projectId ?? '';
    const asked = param(query, 'tenant_id');
    if (asked !== undefined) {
      requireAdmin(ctx, 'os_compute_api:limits:other_project');
      projectId = asked;
    }
    const hidden = new Set<string>();
    if (atLeast(request, '2.36')) for (const q of ['floating_ips', 'security_groups', 'security_group_rules']) hidden.add(q);
    if (atLeast(request, '2.57')) for (const q of ['injected_files', 'injected_file_content_bytes']) hidden.add(q);
    const [limits, used] = await Promise.all([projectQuotas(service.db, projectId), usageOf(service.db, projectId)]);

    const absolute: Record<string, number> = {};
    for (const [name, quota] of LIMIT_OF) {
      if (hidden.has(quota)) continue;
      if (name === 'maxImageMeta' && atLeast(request, '2.39')) continue;
      absolute[name] = limits[quota] as number;
    }
    absolute.totalRAMUsed = used.ram;
    absolute.totalCoresUsed = used.cores;
    absolute.totalInstancesUsed = used.instances;
    absolute.totalServerGroupsUsed = used.server_groups;
    // Absolute (uncounted) resources: nothing is in use.
    if (!hidden.has('floating_ips')) absolute.totalFloatingIpsUsed = 0;
    if (!hidden.has('security_groups')) absolute.totalSecurityGroupsUsed = 0;
    return { limits: { rate: [], absolute } };
  });

  await tenantUsageRoutes(app, service);
}
