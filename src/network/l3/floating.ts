/**
 * Floating IP association as Neutron decides it: the internal port must be the floating IP
 * project's (unless an admin asks), must be a port a floating IP can serve, and must have the
 * IPv4 address asked for (or exactly one); its subnet must reach the floating network through
 * a router with a gateway there (the router holding the subnet's gateway address first), else
 * ExternalGatewayForFloatingIPNotFound; a fixed IP takes one floating IP per external network.
 */
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { FloatingIpRow } from '../../store/schema-l3.js';
import type { Tx } from '../../store/store.js';
import { visiblePort } from '../ports/access.js';
import { GATEWAY_OWNER, INTERFACE_OWNERS } from './access.js';
import { badL3Request, gatewayNotFoundForFloatingIp, portAlreadyAssociated } from './errors.js';

export interface Association {
  readonly portId: string | null;
  readonly fixedIp: string | null;
  readonly routerId: string | null;
}

export const NO_ASSOCIATION: Association = { portId: null, fixedIp: null, routerId: null };

/** Ports Neutron never puts behind a floating IP: its own (network:*) ports. */
function fipServiced(deviceOwner: string): boolean {
  return !deviceOwner.startsWith('network:') || deviceOwner === 'neutron:LOADBALANCER' || deviceOwner === 'neutron:LOADBALANCERV2';
}

/** The router that connects the internal subnet to the external network. */
async function routerFor(tx: Tx, networkId: string, subnetId: string, gatewayIp: string | null, externalNetworkId: string): Promise<string | null> {
  const candidates = await tx.selectFrom('router_ports')
    .innerJoin('ports', 'ports.id', 'router_ports.port_id')
    .innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
    .innerJoin('routers', 'routers.id', 'router_ports.router_id')
    .innerJoin('ports as gw', 'gw.id', 'routers.gw_port_id')
    .select(['router_ports.router_id', 'ip_allocations.ip_address'])
    .where('ports.network_id', '=', networkId)
    .where('router_ports.port_type', 'in', [...INTERFACE_OWNERS])
    .where('ip_allocations.subnet_id', '=', subnetId)
    .where('gw.network_id', '=', externalNetworkId)
    .where('gw.device_owner', '=', GATEWAY_OWNER)
    .orderBy('routers.created_at').orderBy('routers.id')
    .execute();
  return (candidates.find((c) => c.ip_address === gatewayIp) ?? candidates[0])?.router_id ?? null;
}

export async function associationFor(ctx: AuthContext, tx: Tx, fip: Pick<FloatingIpRow, 'id' | 'project_id' | 'floating_network_id' | 'floating_ip_address'>,
  portId: string, fixedIpAsked: string | undefined): Promise<Association> {
  const { port } = await visiblePort(ctx, portId, tx);
  if (port.project_id !== fip.project_id && !isAdmin(ctx)) {
    throw badL3Request('floatingip', `Cannot process floating IP association with Port ${port.id}, since that port is owned by a different project`);
  }
  if (!fipServiced(port.device_owner)) throw badL3Request('floatingip', `Port ${port.id} is unable to be assigned a floating IP`);
  const fixed = await tx.selectFrom('ip_allocations').innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
    .select(['ip_allocations.subnet_id', 'ip_allocations.ip_address', 'subnets.gateway_ip', 'subnets.ip_version', 'subnets.created_at'])
    .where('ip_allocations.port_id', '=', port.id).orderBy('subnets.created_at').execute();
  let chosen: (typeof fixed)[number] | undefined;
  if (fixedIpAsked !== undefined) {
    if (fixedIpAsked.includes(':')) {
      throw badL3Request('floatingip', `Cannot process floating IP association with ${fixedIpAsked}, since that is not an IPv4 address`);
    }
    chosen = fixed.find((f) => f.ip_address === fixedIpAsked);
    if (!chosen) throw badL3Request('floatingip', `Port ${port.id} does not have fixed ip ${fixedIpAsked}`);
  } else {
    const v4 = fixed.filter((f) => f.ip_version === 4);
    if (v4.length === 0) throw badL3Request('floatingip', `Cannot add floating IP to port ${port.id} that has no fixed IPv4 addresses`);
    if (v4.length > 1) {
      throw badL3Request('floatingip', `Port ${port.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
    }
    chosen = v4[0];
  }
  const c = chosen as (typeof fixed)[number];
  const routerId = await routerFor(tx, port.network_id, c.subnet_id, c.gateway_ip, fip.floating_network_id);
  if (!routerId) throw gatewayNotFoundForFloatingIp(fip.floating_network_id, c.subnet_id, port.id);
  const taken = await tx.selectFrom('floatingips').select('id').where('floating_network_id', '=', fip.floating_network_id)
    .where('fixed_port_id', '=', port.id).where('fixed_ip_address', '=', c.ip_address).where('id', '!=', fip.id).executeTakeFirst();
  if (taken) {
    throw portAlreadyAssociated({ fipId: fip.id, address: fip.floating_ip_address, portId: port.id, fixedIp: c.ip_address, networkId: fip.floating_network_id });
  }
  return { portId: port.id, fixedIp: c.ip_address, routerId };
}
