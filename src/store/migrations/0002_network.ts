/** Neutron core tables: networks and segments, subnets and pools, ports and IP allocations,
 *  security groups, quotas, RBAC, tags. Uniqueness that must hold under concurrency (an IP on a
 *  subnet, a MAC on a network, a VNI, a VLAN id, a project's default group) is a constraint. */
import type { Kysely } from 'kysely';

const standard = <T extends { addColumn: (...args: any[]) => T }>(t: T): T =>
  t.addColumn('created_at', 'text', (c: any) => c.notNull())
    .addColumn('updated_at', 'text', (c: any) => c.notNull())
    .addColumn('revision_number', 'integer', (c: any) => c.notNull().defaultTo(0));

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;

  await standard(s.createTable('networks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('ACTIVE'))
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('external', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('availability_zone_hints', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('dns_domain', 'text', (c) => c.notNull().defaultTo(''))).execute();

  await s.createTable('network_segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('network_id', 'text', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('network_type', 'text', (c) => c.notNull())
    .addColumn('physical_network', 'text')
    .addColumn('segmentation_id', 'integer')
    .addColumn('segment_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('name', 'text')
    .execute();
  await s.createIndex('network_segments_network').on('network_segments').column('network_id').execute();

  // One row per taken segmentation id / flat physnet: a second taker hits the primary key.
  await s.createTable('segment_allocations')
    .addColumn('network_type', 'text', (c) => c.notNull())
    .addColumn('physical_network', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('segmentation_id', 'integer', (c) => c.notNull().defaultTo(0))
    // No foreign key: the id is claimed before its segment row exists; network delete frees it.
    .addColumn('segment_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_allocations_pk', ['network_type', 'physical_network', 'segmentation_id'])
    .execute();

  await standard(s.createTable('subnetpools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('prefixes', 'text', (c) => c.notNull())
    .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('default_quota', 'integer')
    .addColumn('address_scope_id', 'text')).execute();

  await standard(s.createTable('subnets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull().references('networks.id'))
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'text', (c) => c.notNull())
    .addColumn('gateway_ip', 'text')
    .addColumn('enable_dhcp', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('ipv6_ra_mode', 'text')
    .addColumn('ipv6_address_mode', 'text')
    .addColumn('subnetpool_id', 'text')
    .addColumn('segment_id', 'text')
    .addColumn('dns_nameservers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('host_routes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('allocation_pools', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('service_types', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('dns_publish_fixed_ip', 'integer', (c) => c.notNull().defaultTo(0))).execute();
  await s.createIndex('subnets_network').on('subnets').column('network_id').execute();

  await standard(s.createTable('ports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull().references('networks.id'))
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('DOWN'))
    .addColumn('mac_address', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('device_owner', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('binding_host_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('binding_vnic_type', 'text', (c) => c.notNull().defaultTo('normal'))
    .addColumn('binding_profile', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('binding_vif_type', 'text', (c) => c.notNull().defaultTo('unbound'))
    .addColumn('binding_vif_details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('allowed_address_pairs', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('extra_dhcp_opts', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('dns_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('propagate_uplink_status', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('ports_network_mac', ['network_id', 'mac_address'])).execute();
  await s.createIndex('ports_network').on('ports').column('network_id').execute();
  await s.createIndex('ports_device').on('ports').column('device_id').execute();

  await s.createTable('ip_allocations')
    .addColumn('subnet_id', 'text', (c) => c.notNull().references('subnets.id'))
    .addColumn('ip_address', 'text', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('port_id', 'text', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
    .execute();
  await s.createIndex('ip_allocations_port').on('ip_allocations').column('port_id').execute();

  await standard(s.createTable('security_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('stateful', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))).execute();

  // The project's one `default` group; the primary key makes "created on first need" race-free.
  await s.createTable('default_security_groups')
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .addColumn('security_group_id', 'text', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .execute();

  await standard(s.createTable('security_group_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('security_group_id', 'text', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('ethertype', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'text')
    .addColumn('remote_group_id', 'text')
    .addColumn('remote_address_group_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))).execute();
  await s.createIndex('sg_rules_group').on('security_group_rules').column('security_group_id').execute();

  await s.createTable('port_security_groups')
    .addColumn('port_id', 'text', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'text', (c) => c.notNull().references('security_groups.id'))
    .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
    .execute();
  await s.createIndex('port_sg_group').on('port_security_groups').column('security_group_id').execute();

  await s.createTable('quotas')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'service', 'resource'])
    .execute();

  await s.createTable('rbac_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_tenant', 'text', (c) => c.notNull())
    .addUniqueConstraint('rbac_unique', ['object_type', 'object_id', 'action', 'target_tenant'])
    .execute();

  await s.createTable('resource_tags')
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_tags_pk', ['resource_id', 'tag'])
    .execute();
}
