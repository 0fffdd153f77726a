/** Neutron L3 tables: routers (gateway, distributed, ha), their extra routes and ports, floating
 *  IPs, and the agent bindings that place routers on L3 hosts and networks on DHCP hosts. What
 *  must hold under concurrency (a port in one router, a fixed IP with one floating IP per
 *  external network, a binding once) is a constraint. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;

  await s.createTable('routers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('ACTIVE'))
    // No foreign key: the gateway port is created after its router, in the same transaction.
    .addColumn('gw_port_id', 'text')
    .addColumn('enable_snat', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('distributed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ha', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('availability_zone_hints', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await s.createTable('router_routes')
    .addColumn('router_id', 'text', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('nexthop', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('router_routes_pk', ['router_id', 'destination', 'nexthop'])
    .execute();

  // A port belongs to at most one router (the primary key), as an interface or its gateway.
  await s.createTable('router_ports')
    .addColumn('port_id', 'text', (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
    .addColumn('router_id', 'text', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('port_type', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('router_ports_router').on('router_ports').column('router_id').execute();

  await s.createTable('floatingips')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('floating_network_id', 'text', (c) => c.notNull().references('networks.id'))
    .addColumn('floating_ip_address', 'text', (c) => c.notNull())
    .addColumn('floating_port_id', 'text', (c) => c.notNull().unique().references('ports.id'))
    .addColumn('fixed_port_id', 'text', (c) => c.references('ports.id').onDelete('set null'))
    .addColumn('fixed_ip_address', 'text')
    .addColumn('router_id', 'text', (c) => c.references('routers.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('DOWN'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    // One floating IP per fixed IP and external network (NULLs, i.e. unassociated, never clash).
    .addUniqueConstraint('floatingips_fixed', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'])
    .execute();
  await s.createIndex('floatingips_fixed_port').on('floatingips').column('fixed_port_id').execute();
  await s.createIndex('floatingips_router').on('floatingips').column('router_id').execute();

  await s.createTable('router_l3_agent_bindings')
    .addColumn('router_id', 'text', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('router_l3_agent_bindings_pk', ['router_id', 'agent_id'])
    .execute();
  await s.createIndex('router_l3_agent_bindings_agent').on('router_l3_agent_bindings').column('agent_id').execute();

  await s.createTable('network_dhcp_agent_bindings')
    .addColumn('network_id', 'text', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('network_dhcp_agent_bindings_pk', ['network_id', 'agent_id'])
    .execute();
  await s.createIndex('network_dhcp_agent_bindings_agent').on('network_dhcp_agent_bindings').column('agent_id').execute();
}
