/** Nova's instances and what hangs off them: metadata, tags, ports, actions with events, faults. */
import type { Kysely } from 'kysely';
import { autoIncrementId } from './helpers.js';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  // The integer id is Nova's internal one: it names the instance on its host (instance-%08x).
  await autoIncrementId(db, s.createTable('instances'))
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('image_ref', 'text', (c) => c.notNull())
    .addColumn('flavor_id', 'text', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('root_gb', 'integer', (c) => c.notNull())
    .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
    .addColumn('vm_state', 'text', (c) => c.notNull())
    .addColumn('task_state', 'text')
    .addColumn('power_state', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('host', 'text')
    .addColumn('node', 'text')
    .addColumn('availability_zone', 'text')
    .addColumn('key_name', 'text')
    .addColumn('key_data', 'text')
    .addColumn('user_data', 'text')
    .addColumn('config_drive', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('access_ip_v4', 'text')
    .addColumn('access_ip_v6', 'text')
    .addColumn('disk_config', 'text', (c) => c.notNull().defaultTo('MANUAL'))
    .addColumn('locked_by', 'text')
    .addColumn('locked_reason', 'text')
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('launch_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reservation_id', 'text', (c) => c.notNull())
    .addColumn('root_device_name', 'text')
    .addColumn('requested_networks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('requested_security_groups', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('scheduler_hints', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('forced_host', 'text')
    .addColumn('forced_node', 'text')
    .addColumn('trusted_certs', 'text')
    .addColumn('launched_at', 'text')
    .addColumn('terminated_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s.createIndex('instances_project').on('instances').columns(['project_id', 'deleted']).execute();
  await s.createIndex('instances_host').on('instances').columns(['host', 'deleted']).execute();

  await s.createTable('instance_metadata')
    .addColumn('instance_uuid', 'text', (c) => c.notNull().references('instances.uuid').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('instance_metadata_pk', ['instance_uuid', 'key'])
    .execute();

  await s.createTable('instance_tags')
    .addColumn('instance_uuid', 'text', (c) => c.notNull().references('instances.uuid').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('instance_tags_pk', ['instance_uuid', 'tag'])
    .execute();

  // The instance's ports, in the order they were plugged; preserve_on_delete marks ports the
  // user made (kept, unbound, when the server goes), as opposed to ports Nova created.
  await s.createTable('instance_interfaces')
    .addColumn('port_id', 'text', (c) => c.primaryKey())
    .addColumn('instance_uuid', 'text', (c) => c.notNull().references('instances.uuid').onDelete('cascade'))
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('preserve_on_delete', 'integer', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('instance_interfaces_instance').on('instance_interfaces').column('instance_uuid').execute();

  await autoIncrementId(db, s.createTable('instance_actions'))
    .addColumn('instance_uuid', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('finish_time', 'text')
    .addColumn('message', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('instance_actions_instance').on('instance_actions').columns(['instance_uuid', 'request_id']).execute();

  await autoIncrementId(db, s.createTable('instance_action_events'))
    .addColumn('action_id', 'bigint', (c) => c.notNull().references('instance_actions.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('finish_time', 'text')
    .addColumn('result', 'text')
    .addColumn('traceback', 'text')
    .addColumn('host', 'text')
    .execute();
  await s.createIndex('instance_action_events_action').on('instance_action_events').column('action_id').execute();

  await autoIncrementId(db, s.createTable('instance_faults'))
    .addColumn('instance_uuid', 'text', (c) => c.notNull())
    .addColumn('code', 'integer', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('host', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('instance_faults_instance').on('instance_faults').column('instance_uuid').execute();
}
