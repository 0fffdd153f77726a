/**
 * What Neutron's plugin checks about a subnet once its attributes parse: versions agree, the
 * gateway is usable, DHCP fits the prefix, IPv6 modes combine, and the allocation pools lie in
 * the CIDR, do not overlap and leave the gateway out. Also the default gateway and pools.
 */
import { ApiError } from '../../api/errors.js';
import { formatCidr, formatIp, lastAddress, type Cidr, type IpVersion } from '../ipam/ip.js';
import { invalidOperation, pyRepr, versionMismatch, type HostRoute, type Ip, type PoolInput } from './input.js';
import { cidrRange, formatRange, rangesIntersect, subtract, type Range } from './ranges.js';

/** Neutron's defaults for max_dns_nameservers and max_subnet_host_routes. */
export const MAX_DNS_NAMESERVERS = 5;
export const MAX_HOST_ROUTES = 20;

const IPV6_MIN_MTU = 1280;

/** The addresses a pool may use: all but the network address, and the broadcast address in IPv4 (except /31 and /32). */
export function usableRange(cidr: Cidr): Range {
  const last = lastAddress(cidr);
  if (cidr.version === 4 && cidr.prefixLength > 30) return { first: cidr.network, last };
  return { first: cidr.network + 1n, last: cidr.version === 4 ? last - 1n : last };
}

/** Neutron's default pools: the usable range minus the gateway. */
export function defaultPools(cidr: Cidr, gateway: bigint | null): Range[] {
  if (cidr.network === lastAddress(cidr)) return [cidrRange(cidr)];
  const usable = usableRange(cidr);
  if (usable.first > usable.last) return [];
  return gateway === null ? [usable] : subtract([usable], [{ first: gateway, last: gateway }]);
}

/** Neutron's default gateway: the first address after the network address in IPv4, the network (router anycast) address in IPv6. */
export function defaultGateway(cidr: Cidr): bigint {
  return cidr.version === 6 ? cidr.network : cidr.network + 1n;
}

/** Requested pools as ranges, validated against the subnet (InvalidAllocationPool, OutOfBounds..., Overlapping...). */
export function checkPools(pools: readonly PoolInput[], cidr: Cidr): Range[] {
  const cidrText = formatCidr(cidr);
  const ranges: Range[] = [];
  for (const p of pools) {
    if (p.start.version !== p.end.version || p.start.value > p.end.value) {
      throw new ApiError('badRequest', `The allocation pool ${pyRepr({ start: p.start.text, end: p.end.text })} is not valid.`, { type: 'InvalidAllocationPool' });
    }
    const range = { first: p.start.value, last: p.end.value };
    if (p.start.version !== cidr.version) {
      throw new ApiError('badRequest', `The allocation pool ${formatRange(p.start.version, range)} is not valid.`, { type: 'InvalidAllocationPool' });
    }
    const usable = usableRange(cidr);
    if (range.first < usable.first || range.last > usable.last) {
      throw new ApiError('badRequest', `The allocation pool ${formatRange(cidr.version, range)} spans beyond the subnet cidr ${cidrText}.`, { type: 'OutOfBoundsAllocationPool' });
    }
    ranges.push(range);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (rangesIntersect(ranges[i] as Range, ranges[j] as Range)) {
        throw new ApiError('conflict', `Found overlapping allocation pools: ${formatRange(cidr.version, ranges[i] as Range)} ${formatRange(cidr.version, ranges[j] as Range)} for subnet ${cidrText}.`, { type: 'OverlappingAllocationPools' });
      }
    }
  }
  return ranges;
}

export function checkGatewayOutOfPools(gateway: Ip, pools: readonly Range[]): void {
  const hit = pools.find((p) => gateway.value >= p.first && gateway.value <= p.last);
  if (hit) {
    throw new ApiError('conflict', `Gateway ip ${gateway.text} conflicts with allocation pool ${formatRange(gateway.version, hit)}.`, { type: 'GatewayConflictWithAllocationPools' });
  }
}

/** Inside the subnet, an IPv4 gateway cannot be the network or broadcast address; outside it, anything goes. */
export function gatewayInvalidOnSubnet(cidr: Cidr, gateway: Ip): boolean {
  if (gateway.version !== cidr.version || gateway.value < cidr.network || gateway.value > lastAddress(cidr)) return false;
  return cidr.version === 4 && (gateway.value === cidr.network || gateway.value === lastAddress(cidr));
}

function isMulticast(cidr: Cidr): boolean {
  return cidr.version === 4 ? cidr.network >> 28n === 0xen && cidr.prefixLength >= 4 : cidr.network >> 120n === 0xffn && cidr.prefixLength >= 8;
}

function isLoopback(cidr: Cidr): boolean {
  return cidr.version === 4 ? cidr.network >> 24n === 127n && cidr.prefixLength >= 8 : cidr.network === 1n && cidr.prefixLength === 128;
}

/** Checks made when DHCP is turned on for a CIDR. */
export function checkDhcpCidr(cidr: Cidr): void {
  if ((cidr.version === 4 && cidr.prefixLength > 30) || (cidr.version === 6 && cidr.prefixLength > 126)) {
    throw invalidOperation('Subnet has a prefix length that is incompatible with DHCP service enabled');
  }
  if (isMulticast(cidr)) throw invalidOperation('Multicast IP subnet is not supported if enable_dhcp is True');
  if (isLoopback(cidr)) throw invalidOperation('Loopback IP subnet is not supported if enable_dhcp is True');
  if (cidr.version === 4 && cidr.network === 0n) throw invalidOperation("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.");
}

export interface SubnetFacts {
  readonly ipVersion: IpVersion;
  readonly cidr: Cidr | null;
  readonly gateway: Ip | null | undefined;
  readonly dns?: readonly Ip[];
  readonly hostRoutes?: readonly HostRoute[];
  readonly subnetId?: string;
}

/** Version agreement, gateway validity, nameserver and route limits (Neutron's _validate_subnet, minus DHCP and IPv6 modes). */
export function checkSubnetFacts(f: SubnetFacts): void {
  if (f.cidr && f.cidr.version !== f.ipVersion) throw versionMismatch('cidr', formatCidr(f.cidr), f.ipVersion);
  if (f.cidr && f.ipVersion === 6 && f.cidr.network === 0n) throw invalidOperation("IPv6 subnet '::' is not supported");
  if (f.gateway) {
    if (f.gateway.version !== f.ipVersion) throw versionMismatch('gateway_ip', f.gateway.text, f.ipVersion);
    if (f.cidr && gatewayInvalidOnSubnet(f.cidr, f.gateway)) throw invalidOperation('Gateway is not valid on subnet');
  }
  const subject = f.subnetId ?? 'new subnet';
  if (f.dns) {
    if (f.dns.length > MAX_DNS_NAMESERVERS) {
      throw new ApiError('badRequest', `Unable to complete operation for ${subject}. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`, { type: 'DNSNameServersExhausted' });
    }
    for (const d of f.dns) if (d.version !== f.ipVersion) throw versionMismatch('dns_nameserver', d.text, f.ipVersion);
  }
  if (f.hostRoutes) {
    if (f.hostRoutes.length > MAX_HOST_ROUTES) {
      throw new ApiError('badRequest', `Unable to complete operation for ${subject}. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`, { type: 'HostRoutesExhausted' });
    }
    for (const r of f.hostRoutes) {
      if (r.nexthop.version !== f.ipVersion) throw versionMismatch('nexthop', r.nexthop.text, f.ipVersion);
      if (r.destination.version !== f.ipVersion) throw versionMismatch('destination', formatCidr(r.destination), f.ipVersion);
    }
  }
}

/** IPv6 RA/address modes on create: v4 refuses them, they need DHCP, must agree, and SLAAC needs a /64. */
export function checkIpv6Modes(ipVersion: IpVersion, cidr: Cidr | null, enableDhcp: boolean, raMode: string | null, addressMode: string | null): void {
  if (ipVersion === 4) {
    if (raMode) throw invalidOperation('ipv6_ra_mode is not valid when ip_version is 4');
    if (addressMode) throw invalidOperation('ipv6_address_mode is not valid when ip_version is 4');
    return;
  }
  if ((raMode || addressMode) && !enableDhcp) throw invalidOperation('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  if (raMode && addressMode && raMode !== addressMode) {
    throw invalidOperation(`ipv6_ra_mode set to '${raMode}' with ipv6_address_mode set to '${addressMode}' is not valid. If both attributes are set, they must be the same value`);
  }
  if (cidr && isAutoAddress({ ipv6_address_mode: addressMode, ipv6_ra_mode: raMode }) && cidr.prefixLength !== 64) {
    throw invalidOperation(`Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`);
  }
}

export function checkNetworkMtu(networkId: string, mtu: number, ipVersion: IpVersion): void {
  if (ipVersion === 6 && mtu < IPV6_MIN_MTU) {
    throw new ApiError('conflict', `MTU of ${networkId} is not valid, subnet requires a minimum of ${IPV6_MIN_MTU}`, { type: 'NetworkMTUSubnetConflict' });
  }
}

/** Pools as stored and shown: [{start, end}] in canonical text, in the order given. */
export function poolsJson(version: IpVersion, pools: readonly Range[]): { start: string; end: string }[] {
  return pools.map((p) => ({ start: formatIp(version, p.first), end: formatIp(version, p.last) }));
}

/** SLAAC or DHCPv6-stateless by either mode: addresses come from the MAC, not from IPAM (Neutron's is_auto_address_subnet). */
export function isAutoAddress(s: { ipv6_address_mode: string | null; ipv6_ra_mode: string | null }): boolean {
  const modes = ['slaac', 'dhcpv6-stateless'];
  return modes.includes(s.ipv6_address_mode ?? '') || modes.includes(s.ipv6_ra_mode ?? '');
}
