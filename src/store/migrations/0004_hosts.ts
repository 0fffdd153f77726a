/** Hosts (hypervisors and network nodes) and the network agents they run. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('hosts')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('roles', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('availability_zone', 'text', (c) => c.notNull().defaultTo('nova'))
    .addColumn('underlay_ip', 'text')
    .addColumn('hypervisor_type', 'text', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('disk_gb', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull().references('hosts.name').onDelete('cascade'))
    .addColumn('agent_type', 'text', (c) => c.notNull())
    .addColumn('binary', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('description', 'text')
    .addColumn('configurations', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('agents_host_type', ['host', 'agent_type'])
    .execute();
}
