/** Neutron's L3 exceptions (routers, interfaces, gateways, floating IPs, agents) as ApiErrors. */
import { ApiError } from '../../api/errors.js';

/** Neutron's generic "Bad <resource> request: ..." (n_exc.BadRequest), type BadRequest. */
export const badL3Request = (resource: 'router' | 'floatingip', message: string) =>
  new ApiError('badRequest', `Bad ${resource} request: ${message}.`, { type: 'BadRequest' });

export const routerNotFound = (id: string) => new ApiError('notFound', `Router ${id} could not be found.`, { type: 'RouterNotFound' });

export const floatingIpNotFound = (id: string) =>
  new ApiError('notFound', `Floating IP ${id} could not be found.`, { type: 'FloatingIPNotFound' });

export const routerInUse = (id: string, reason = 'still has ports') =>
  new ApiError('conflict', `Router ${id} ${reason}`, { type: 'RouterInUse' });

export const gatewayInUseByFloatingIp = (routerId: string, networkId: string) => new ApiError('conflict',
  `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${networkId} is required by one or more floating IPs.`,
  { type: 'RouterExternalGatewayInUseByFloatingIp' });

export const interfaceNotFound = (routerId: string, portId: string) =>
  new ApiError('notFound', `Router ${routerId} does not have an interface with id ${portId}`, { type: 'RouterInterfaceNotFound' });

export const interfaceNotFoundForSubnet = (routerId: string, subnetId: string) =>
  new ApiError('notFound', `Router ${routerId} has no interface on subnet ${subnetId}`, { type: 'RouterInterfaceNotFoundForSubnet' });

export const interfaceInUseByFloatingIp = (routerId: string, subnetId: string) => new ApiError('conflict',
  `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
  { type: 'RouterInterfaceInUseByFloatingIP' });

export const interfaceInUseByRoute = (routerId: string, subnetId: string) => new ApiError('conflict',
  `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`,
  { type: 'RouterInterfaceInUseByRoute' });

export const subnetMismatchForPort = (portId: string, subnetId: string) =>
  new ApiError('badRequest', `Subnet on port ${portId} does not match the requested subnet ${subnetId}.`, { type: 'SubnetMismatchForPort' });

export const portInUse = (portId: string, networkId: string, deviceId: string) => new ApiError('conflict',
  `Unable to complete operation on port ${portId} for network ${networkId}. Port already has an attached device ${deviceId}.`, { type: 'PortInUse' });

export const invalidRoutes = (routes: string, reason: string) =>
  new ApiError('badRequest', `Invalid format for routes: ${routes}, ${reason}.`, { type: 'InvalidRoutes' });

export const gatewayNotFoundForFloatingIp = (externalNetworkId: string, subnetId: string, portId: string) => new ApiError('notFound',
  `External network ${externalNetworkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
  { type: 'ExternalGatewayForFloatingIPNotFound' });

export const portAlreadyAssociated = (f: { fipId: string; address: string; portId: string; fixedIp: string; networkId: string }) => new ApiError('conflict',
  `Cannot associate floating IP ${f.address} (${f.fipId}) with port ${f.portId} using fixed IP ${f.fixedIp}, as that fixed IP already has a floating IP on external network ${f.networkId}.`,
  { type: 'FloatingIPPortAlreadyAssociated' });

export const agentNotFound = (id: string) => new ApiError('notFound', `Agent ${id} could not be found.`, { type: 'AgentNotFound' });

export const invalidL3Agent = (id: string) =>
  new ApiError('badRequest', `Agent ${id} is not a L3 Agent or has been disabled`, { type: 'InvalidL3Agent' });

export const routerHostedByAgent = (routerId: string, agentId: string) =>
  new ApiError('conflict', `The router ${routerId} has been already hosted by the L3 Agent ${agentId}.`, { type: 'RouterHostedByL3Agent' });

export const invalidDhcpAgent = (id: string) =>
  new ApiError('badRequest', `Agent ${id} is not a valid DHCP Agent or has been disabled`, { type: 'InvalidDHCPAgent' });

export const networkHostedByDhcpAgent = (networkId: string, agentId: string) =>
  new ApiError('conflict', `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`, { type: 'NetworkHostedByDHCPAgent' });

export const networkNotHostedByDhcpAgent = (networkId: string, agentId: string) =>
  new ApiError('conflict', `The network ${networkId} is not hosted by the DHCP agent ${agentId}.`, { type: 'NetworkNotHostedByDhcpAgent' });
