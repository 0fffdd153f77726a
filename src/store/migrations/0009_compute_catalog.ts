/** Nova's service records (ids and uuids for os-services and os-hypervisors, state of the
 *  controller services), per-user quotas, quota classes, and the key pairs' display id. */
import type { Kysely } from 'kysely';
import { autoIncrementId } from './helpers.js';

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  // One row per (host, binary). A nova-compute row's scheduling state lives in the hosts table
  // (the scheduler reads it there); the row gives the service and its hypervisor their ids.
  // A deleted service keeps a tombstone until its host restarts, as Nova's service record
  // comes back only when nova-compute starts again.
  await autoIncrementId(db, s.createTable('compute_services'))
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('node_uuid', 'text', (c) => c.notNull().unique())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('binary', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('host_started_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .addUniqueConstraint('compute_services_host_binary', ['host', 'binary'])
    .execute();

  await s.createTable('compute_user_quotas')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('compute_user_quotas_pk', ['project_id', 'user_id', 'resource'])
    .execute();

  await s.createTable('compute_quota_classes')
    .addColumn('class_name', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('compute_quota_classes_pk', ['class_name', 'resource'])
    .execute();

  // Nova shows a key pair's integer id; numbered by the creating transaction.
  await s.alterTable('keypairs').addColumn('id', 'integer').execute();
}
