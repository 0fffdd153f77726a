/**
 * First-start demo provisioning, as packstack left seed 001's cloud: an external flat network
 * `public` (physnet1) owned by admin with `public_subnet` 172.24.4.0/24 (gateway .1, pool
 * .2-.200, no DHCP), and for the demo project a `private` network with `private_subnet`
 * 10.0.0.0/24 and `router1`, gatewayed on `public` with an interface on `private_subnet`.
 * All in one transaction through the same code the API runs, once: the meta table records it,
 * so what a user deletes later does not come back on restart. KUMO_PROVISION_DEMO=0 skips it.
 */
import type { AuthContext } from '../policy/context.js';
import { DEFAULT_DOMAIN_ID } from '../bootstrap/identity.js';
import { addInterface } from './l3/interfaces.js';
import { createRouter } from './l3/lifecycle.js';
import { createNetwork } from './routes/networks.js';
import type { NetworkService } from './service.js';
import { createSubnet } from './subnets/create.js';

const DONE_KEY = 'provision.demo.network';

/** The cloud itself acting as admin of the admin project. */
function provisioner(adminProjectId: string): AuthContext {
  return {
    userId: 'kumo-provisioning', userName: 'kumo-provisioning', userDomainId: DEFAULT_DOMAIN_ID, projectId: adminProjectId, projectName: 'admin',
    projectDomainId: DEFAULT_DOMAIN_ID, domainId: null, system: false, roles: new Set(['admin', 'member', 'reader']), token: '', auditIds: [],
    expiresAt: Number.MAX_SAFE_INTEGER, trustId: null, appCredId: null,
  };
}

/** Returns true if it provisioned now, false if it had been done before (or the projects are missing). */
export async function provisionDemo(service: NetworkService): Promise<boolean> {
  return service.store.transaction(async (tx) => {
    if (await tx.selectFrom('meta').select('value').where('key', '=', DONE_KEY).executeTakeFirst()) return false;
    const projects = await tx.selectFrom('projects').select(['id', 'name']).where('domain_id', '=', DEFAULT_DOMAIN_ID).where('name', 'in', ['admin', 'demo']).execute();
    const admin = projects.find((p) => p.name === 'admin');
    const demo = projects.find((p) => p.name === 'demo');
    if (!admin || !demo) return false;
    const ctx = provisioner(admin.id);
    const publicNet = await createNetwork(service, ctx, tx, {
      name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', project_id: admin.id,
    });
    await createSubnet(service, ctx, tx, {
      name: 'public_subnet', network_id: publicNet.id, ip_version: 4, cidr: '172.24.4.0/24', gateway_ip: '172.24.4.1', enable_dhcp: false,
      allocation_pools: [{ start: '172.24.4.2', end: '172.24.4.200' }], project_id: admin.id,
    });
    const privateNet = await createNetwork(service, ctx, tx, { name: 'private', project_id: demo.id });
    const privateSubnet = await createSubnet(service, ctx, tx, {
      name: 'private_subnet', network_id: privateNet.id, ip_version: 4, cidr: '10.0.0.0/24', project_id: demo.id,
    });
    const router = await createRouter(service, ctx, tx, { name: 'router1', project_id: demo.id, external_gateway_info: { network_id: publicNet.id } });
    await addInterface(service, ctx, tx, router, { subnet_id: privateSubnet.id });
    await tx.insertInto('meta').values({ key: DONE_KEY, value: new Date().toISOString() }).execute();
    return true;
  });
}
