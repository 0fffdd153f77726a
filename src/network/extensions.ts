/**
 * The API extensions Kumo's Neutron really implements. GET /v2.0/extensions lists exactly
 * these, and clients (Tempest above all) decide what to test from it: add an alias here only
 * in the same change that implements it.
 */

export interface Extension {
  readonly alias: string;
  readonly name: string;
  readonly description: string;
}

export const EXTENSIONS: readonly Extension[] = [
  { alias: 'external-net', name: 'Neutron external network', description: 'Adds external network attribute to network resource.' },
  { alias: 'provider', name: 'Provider Network', description: 'Expose mapping of virtual networks to physical networks' },
  { alias: 'multi-provider', name: 'Multi Provider Network', description: 'Expose mapping of virtual networks to multiple physical networks' },
  { alias: 'net-mtu', name: 'Network MTU', description: 'Provides MTU attribute for a network resource.' },
  { alias: 'net-mtu-writable', name: 'Network MTU (writable)', description: 'Provides a writable MTU attribute for a network resource.' },
  { alias: 'network_availability_zone', name: 'Network Availability Zone', description: 'Availability zone support for network.' },
  { alias: 'standard-attr-description', name: 'standard-attr-description', description: 'Extension to add descriptions to standard attributes' },
  { alias: 'standard-attr-revisions', name: 'Resource revision numbers', description: 'This extension will display the revision number of neutron resources.' },
  { alias: 'standard-attr-timestamp', name: 'Resource timestamps', description: 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.' },
  { alias: 'project-id', name: 'project_id field enabled', description: 'Extension that indicates that project_id field is enabled.' },
  { alias: 'filter-validation', name: 'Filter parameters validation', description: 'Provides validation on filter parameters.' },
  { alias: 'sorting', name: 'Sorting support', description: 'Extension that indicates that sorting is enabled.' },
  { alias: 'pagination', name: 'Pagination support', description: 'Extension that indicates that pagination is enabled.' },
  { alias: 'subnet_allocation', name: 'Subnet Allocation', description: 'Enables allocation of subnets from a subnet pool' },
  { alias: 'default-subnetpools', name: 'Default Subnetpools', description: 'Provides ability to mark and use a subnetpool as the default.' },
  { alias: 'subnetpool-prefix-ops', name: 'Subnet Pool Prefix Operations', description: 'Provides support for adjusting the prefix list of subnet pools' },
  { alias: 'subnet-service-types', name: 'Subnet service types', description: 'Provides ability to set the subnet service_types field' },
  { alias: 'subnet_onboard', name: 'Subnet Onboard', description: 'Provides support for onboarding subnets into subnet pools' },
  { alias: 'network-ip-availability', name: 'Network IP Availability', description: 'Provides IP availability data for each network and subnet.' },
  { alias: 'security-group', name: 'security-group', description: 'Security groups and their rules.' },
  { alias: 'stateful-security-group', name: 'Stateful security group', description: 'Security groups carry a stateful flag.' },
  { alias: 'address-group', name: 'Address group', description: 'Named lists of CIDRs (address groups) with atomic add_addresses and remove_addresses.' },
  { alias: 'security-groups-remote-address-group', name: 'Remote address group id field for security group rules', description: 'Security group rules may name an address group as their remote end (remote_address_group_id).' },
  { alias: 'security-groups-normalized-cidr', name: 'Security group with normalized CIDR', description: 'Security group rules show the network of their remote_ip_prefix as normalized_cidr.' },
  { alias: 'quotas', name: 'Quota management support', description: 'Per-project quota limits: show, update, reset, defaults.' },
  { alias: 'quota_details', name: 'Quota details management support', description: 'Per-project quota limits with usage (limit, used, reserved).' },
  { alias: 'rbac-policies', name: 'RBAC Policies', description: 'Policies that share networks and security groups with other projects.' },
  { alias: 'rbac-security-groups', name: 'Add security_group type to network RBAC', description: 'Security groups can be shared through RBAC policies.' },
  { alias: 'standard-attr-tag', name: 'Tag support for resources with standard attribute', description: 'Tags on networks, subnets, ports, subnet pools, security groups, routers and floating IPs.' },
  { alias: 'tag-ext', name: 'Tag support for resources: subnet, subnetpool, port, router', description: 'Tags on subnets, subnet pools, ports and routers.' },
  { alias: 'tag', name: 'Tag support', description: 'Tags on networks.' },
  { alias: 'availability_zone', name: 'Availability Zone', description: 'The availability zones of network resources.' },
  { alias: 'binding', name: 'Port Binding', description: 'Ports carry binding:host_id, binding:vnic_type, binding:profile, binding:vif_type and binding:vif_details.' },
  { alias: 'allowed-address-pairs', name: 'Allowed Address Pairs', description: 'Extra IP addresses or CIDRs (with MACs) a port may send from.' },
  { alias: 'extra_dhcp_opt', name: 'Neutron Extra DHCP options', description: 'Per-port DHCP options (PXE boot and the like), validated so nothing reaches the DHCP server configuration unescaped.' },
  { alias: 'port-security', name: 'Port Security', description: 'port_security_enabled on networks and ports.' },
  { alias: 'ip-substring-filtering', name: 'IP address substring filtering', description: 'Port lists filter on fixed_ips=ip_address_substr=...' },
  { alias: 'dns-integration', name: 'DNS Integration', description: 'dns_name and dns_assignment on ports.' },
  { alias: 'port-mac-address-regenerate', name: 'Neutron Port MAC address regenerate', description: 'An admin sets mac_address to null to get a new random MAC.' },
  { alias: 'uplink-status-propagation', name: 'Uplink status propagation extension', description: 'propagate_uplink_status on ports.' },
  { alias: 'port-security-groups-filtering', name: 'Port filtering on security groups', description: 'Port lists filter on security_groups.' },
  { alias: 'router', name: 'Neutron L3 Router', description: 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.' },
  { alias: 'ext-gw-mode', name: 'Neutron L3 Configurable external gateway mode', description: 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway' },
  { alias: 'extraroute', name: 'Neutron Extra Route', description: 'Extra routes configuration for L3 router' },
  { alias: 'extraroute-atomic', name: 'Atomically add/remove extra routes', description: 'Edit extra routes of a router on server side by atomically adding/removing extra routes' },
  { alias: 'dvr', name: 'Distributed Virtual Router', description: 'Enables configuration of Distributed Virtual Routers.' },
  { alias: 'l3-ha', name: 'HA Router extension', description: 'Adds HA capability to routers.' },
  { alias: 'router_availability_zone', name: 'Router Availability Zone', description: 'Availability zone support for router.' },
  { alias: 'agent', name: 'agent', description: 'The agent management extension.' },
  { alias: 'l3_agent_scheduler', name: 'L3 Agent Scheduler', description: 'Schedule routers among l3 agents' },
  { alias: 'dhcp_agent_scheduler', name: 'DHCP Agent Scheduler', description: 'Schedule networks among dhcp agents' },
  { alias: 'fip-port-details', name: 'Floating IP Port Details Extension', description: 'Add port_details attribute to Floating IP resource' },
  { alias: 'floatingip-pools', name: 'Floating IP Pools Extension', description: 'Provides a floating IP pools API.' },
];

export const EXTENSION_UPDATED = '2026-11-22T00:00:00-00:00';
