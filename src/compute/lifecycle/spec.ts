/** The driver's view of an instance, read from its row and metadata (and its config drive, when asked for). */
import { randomBytes } from 'node:crypto';
import { configDriveFiles } from '../../metadata/config-drive.js';
import { loadInstanceMetadata } from '../../metadata/load.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { InstanceSpec } from '../driver/driver.js';
import { instanceName } from '../servers/views.js';
import type { LifecycleContext } from './context.js';

export async function instanceSpec(ctx: LifecycleContext, row: InstanceRow, adminPass: string | null): Promise<InstanceSpec> {
  const meta = await ctx.store.db.selectFrom('instance_metadata').select(['key', 'value']).where('instance_uuid', '=', row.uuid).execute();
  // The drive is made from the same tree the metadata service serves, read once at spawn.
  const md = row.config_drive !== '' ? await loadInstanceMetadata(ctx.store.db, row.uuid) : null;
  return {
    uuid: row.uuid, name: instanceName(Number(row.id)), host: row.host as string, hostname: row.hostname,
    vcpus: row.vcpus, memoryMb: row.memory_mb, rootGb: row.root_gb, imageRef: row.image_ref,
    keyData: row.key_data, userData: row.user_data, adminPass, metadata: Object.fromEntries(meta.map((m) => [m.key, m.value])),
    configDrive: md ? configDriveFiles(md, { random: randomBytes, adminPass }) : null,
  };
}
