/** Row types of the Neutron tables (migration 0002). Same conventions as schema.ts. */
import type { Bool } from './schema.js';

/** Neutron's standard attributes, on every resource that has a revision. */
export interface StandardAttributes {
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface NetworkRow extends StandardAttributes {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: Bool;
  status: string;
  shared: Bool;
  external: Bool;
  is_default: Bool;
  mtu: number;
  port_security_enabled: Bool;
  availability_zone_hints: string;
  dns_domain: string;
}

export interface NetworkSegmentRow {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
  name: string | null;
}

export interface SegmentAllocationRow {
  network_type: string;
  physical_network: string;
  segmentation_id: number;
  segment_id: string;
}

export interface SubnetPoolRow extends StandardAttributes {
  id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  prefixes: string;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: Bool;
  is_default: Bool;
  default_quota: number | null;
  address_scope_id: string | null;
}

export interface SubnetRow extends StandardAttributes {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: Bool;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  segment_id: string | null;
  dns_nameservers: string;
  host_routes: string;
  allocation_pools: string;
  service_types: string;
  dns_publish_fixed_ip: Bool;
}

export interface PortRow extends StandardAttributes {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  admin_state_up: Bool;
  status: string;
  mac_address: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: Bool;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_profile: string;
  binding_vif_type: string;
  binding_vif_details: string;
  allowed_address_pairs: string;
  extra_dhcp_opts: string;
  dns_name: string;
  propagate_uplink_status: Bool;
}

export interface IpAllocationRow {
  subnet_id: string;
  ip_address: string;
  network_id: string;
  port_id: string;
  /** The address as fixed-width hex, for numeric order in SQL (network/ipam/keys.ts). */
  ip_key: string;
}

export interface SecurityGroupRow extends StandardAttributes {
  id: string;
  project_id: string;
  name: string;
  description: string;
  stateful: Bool;
  shared: Bool;
}

export interface DefaultSecurityGroupRow {
  project_id: string;
  security_group_id: string;
}

export interface SecurityGroupRuleRow extends StandardAttributes {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  description: string;
}

export interface PortSecurityGroupRow {
  port_id: string;
  security_group_id: string;
}

export interface QuotaRow {
  project_id: string;
  service: string;
  resource: string;
  hard_limit: number;
}

export interface RbacPolicyRow {
  id: string;
  project_id: string;
  object_type: string;
  object_id: string;
  action: string;
  target_tenant: string;
}

export interface ResourceTagRow {
  resource_id: string;
  tag: string;
}

/** A Neutron address group (migration 0014). */
export interface AddressGroupRow extends StandardAttributes {
  id: string;
  project_id: string;
  name: string;
  description: string;
}

/** One address of a group, normalised: network address / prefix length. */
export interface AddressGroupAddressRow {
  address_group_id: string;
  address: string;
}

export interface NetworkTables {
  networks: NetworkRow;
  network_segments: NetworkSegmentRow;
  segment_allocations: SegmentAllocationRow;
  subnetpools: SubnetPoolRow;
  subnets: SubnetRow;
  ports: PortRow;
  ip_allocations: IpAllocationRow;
  security_groups: SecurityGroupRow;
  default_security_groups: DefaultSecurityGroupRow;
  security_group_rules: SecurityGroupRuleRow;
  port_security_groups: PortSecurityGroupRow;
  quotas: QuotaRow;
  rbac_policies: RbacPolicyRow;
  resource_tags: ResourceTagRow;
  address_groups: AddressGroupRow;
  address_group_addresses: AddressGroupAddressRow;
}
