/**
 * A router's external gateway: set, change and clear it as Neutron's ext-gw-mode does. The
 * gateway is a port on the external network (device_owner network:router_gateway, no project,
 * addresses from the external subnets' pools unless an admin names them); clearing or moving it
 * is refused while floating IPs are served through it; enable_snat goes back to its default
 * (true) whenever gateway info is given without it.
 */
import type { AuthContext } from '../../policy/context.js';
import type { RouterRow } from '../../store/schema-l3.js';
import type { PortRow } from '../../store/schema-network.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { allocateRequested, createPort, networkSubnets, type FixedIpRequest } from '../ports/create.js';
import { deletePortRows } from '../ports/delete.js';
import { visibleNetwork } from '../routes/networks.js';
import type { NetworkService } from '../service.js';
import { GATEWAY_OWNER } from './access.js';
import { badL3Request, gatewayInUseByFloatingIp } from './errors.js';
import { checkNexthops, type GatewayRequest } from './input.js';
import { checkNewSubnets, connectedNets, routerPorts } from './router-ports.js';

export const ENABLE_SNAT_BY_DEFAULT = true;

/** Removes the router's gateway port (refused while floating IPs go through the router). */
export async function clearGateway(tx: Tx, router: Pick<RouterRow, 'id' | 'gw_port_id'>): Promise<void> {
  if (!router.gw_port_id) return;
  const port = await tx.selectFrom('ports').select(['id', 'network_id']).where('id', '=', router.gw_port_id).executeTakeFirst();
  const fip = await tx.selectFrom('floatingips').select('id').where('router_id', '=', router.id).limit(1).executeTakeFirst();
  if (fip) throw gatewayInUseByFloatingIp(router.id, port?.network_id ?? '');
  await tx.updateTable('routers').set({ gw_port_id: null }).where('id', '=', router.id).execute();
  if (port) await deletePortRows(tx, [port.id]);
}

/** Moves the gateway port's addresses to the requested ones; an entry naming only a subnet the port is already on keeps its address. */
async function readdress(tx: Tx, port: PortRow, requested: readonly FixedIpRequest[]): Promise<void> {
  const held = await tx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', port.id).execute();
  const keep = new Set<string>();
  const wanted: FixedIpRequest[] = [];
  for (const r of requested) {
    const same = held.find((h) => (r.ip_address !== undefined ? h.ip_address === r.ip_address && (r.subnet_id === undefined || h.subnet_id === r.subnet_id)
      : h.subnet_id === r.subnet_id && !keep.has(`${h.subnet_id} ${h.ip_address}`)));
    if (same) keep.add(`${same.subnet_id} ${same.ip_address}`);
    else wanted.push(r);
  }
  for (const h of held) {
    if (!keep.has(`${h.subnet_id} ${h.ip_address}`)) {
      await tx.deleteFrom('ip_allocations').where('subnet_id', '=', h.subnet_id).where('ip_address', '=', h.ip_address).execute();
    }
  }
  await allocateRequested(tx, port.id, port.network_id, port.mac_address, port.device_owner, wanted);
  await tx.updateTable('ports').set({ revision_number: port.revision_number + 1, updated_at: nowIso() }).where('id', '=', port.id).execute();
}

/**
 * Applies gateway info to the router (already in the store) and returns the router columns
 * that changed. null clears the gateway.
 */
export async function applyGateway(service: NetworkService, ctx: AuthContext, tx: Tx, router: RouterRow, request: GatewayRequest | null): Promise<Partial<RouterRow>> {
  if (request === null) {
    await clearGateway(tx, router);
    return { gw_port_id: null, enable_snat: ENABLE_SNAT_BY_DEFAULT ? 1 : 0 };
  }
  const network = await visibleNetwork(service, ctx, request.networkId, tx);
  if (network.external !== 1) throw badL3Request('router', `Network ${network.id} is not an external network`);
  const subnets = await networkSubnets(tx, network.id);
  for (const ip of request.fixedIps ?? []) {
    if (ip.ip_address !== undefined && subnets.some((s) => s.gateway_ip === ip.ip_address)) {
      throw badL3Request('router', `External IP ${ip.ip_address} is the same as the gateway IP`);
    }
  }
  const enableSnat = (request.enableSnat ?? ENABLE_SNAT_BY_DEFAULT) ? 1 : 0;
  const ports = await routerPorts(tx, router.id);
  const current = ports.find((p) => p.portId === router.gw_port_id);
  const interfaces = ports.filter((p) => p.portId !== router.gw_port_id);
  // Extra routes must still reach their nexthops through the interfaces and the new gateway network.
  const routes = await tx.selectFrom('router_routes').select(['destination', 'nexthop']).where('router_id', '=', router.id).execute();
  if (routes.length) {
    const nets = await connectedNets(tx, interfaces);
    checkNexthops(routes, [...nets.cidrs, ...subnets.map((s) => s.cidr)], nets.ips);
  }
  if (current && current.networkId === network.id) {
    if (request.fixedIps && request.fixedIps.length > 0) {
      const port = await tx.selectFrom('ports').selectAll().where('id', '=', current.portId).executeTakeFirstOrThrow();
      await readdress(tx, port, request.fixedIps);
    }
    return { enable_snat: enableSnat };
  }
  if (current) await clearGateway(tx, router);
  await checkNewSubnets(tx, interfaces, subnets);
  const port = await createPort(tx, {
    networkId: network.id, projectId: '', name: '', deviceId: router.id, deviceOwner: GATEWAY_OWNER, adminStateUp: true,
    fixedIps: request.fixedIps && request.fixedIps.length > 0 ? request.fixedIps : undefined, securityGroups: [],
  });
  await tx.insertInto('router_ports').values({ port_id: port.id, router_id: router.id, port_type: GATEWAY_OWNER }).execute();
  return { gw_port_id: port.id, enable_snat: enableSnat };
}
