/**
 * Subnet service types in IPAM, as Neutron's candidate-subnet query applies them: a port takes
 * addresses only from subnets reserved for its device owner or reserved for nothing (DHCP ports
 * from any DHCP-enabled subnet), reserved ones first; a network whose subnets all serve other
 * owners gives none (IpAddressGenerationFailureNoMatchingSubnet).
 */
import { ApiError } from '../../api/errors.js';
import type { SubnetRow } from '../../store/schema-network.js';
import { parseJsonArray } from '../../util/json.js';

export function serviceSubnets(subnets: readonly SubnetRow[], deviceOwner: string, networkId: string): SubnetRow[] {
  const reserved: SubnetRow[] = [];
  const open: SubnetRow[] = [];
  for (const s of subnets) {
    const types = parseJsonArray<string>(s.service_types);
    if (types.length === 0) open.push(s);
    else if (types.includes(deviceOwner) || (deviceOwner === 'network:dhcp' && s.enable_dhcp === 1)) reserved.push(s);
  }
  if (subnets.length > 0 && reserved.length + open.length === 0) {
    throw new ApiError('conflict', `No valid service subnet for the given device owner, network ${networkId}, service type ${deviceOwner}.`,
      { type: 'IpAddressGenerationFailureNoMatchingSubnet' });
  }
  return [...reserved, ...open];
}
