/** The driver's view of an instance, read from its row and metadata. */
import type { InstanceRow } from '../../store/schema-servers.js';
import type { InstanceSpec } from '../driver/driver.js';
import { instanceName } from '../servers/views.js';
import type { LifecycleContext } from './context.js';

export async function instanceSpec(ctx: LifecycleContext, row: InstanceRow, adminPass: string | null): Promise<InstanceSpec> {
  const meta = await ctx.store.db.selectFrom('instance_metadata').select(['key', 'value']).where('instance_uuid', '=', row.uuid).execute();
  return {
    uuid: row.uuid, name: instanceName(Number(row.id)), host: row.host as string, hostname: row.hostname,
    vcpus: row.vcpus, memoryMb: row.memory_mb, rootGb: row.root_gb, imageRef: row.image_ref,
    keyData: row.key_data, userData: row.user_data, adminPass, metadata: Object.fromEntries(meta.map((m) => [m.key, m.value])),
  };
}
