/** A subnet as its guests see it: what DHCP hands out and the metadata service's network_data.json describes. */
export interface GuestSubnet {
  readonly id: string;
  readonly ipVersion: number;
  readonly cidr: string;
  readonly gatewayIp: string | null;
  readonly enableDhcp: boolean;
  readonly dnsNameservers: readonly string[];
  readonly hostRoutes: readonly { readonly destination: string; readonly nexthop: string }[];
}
