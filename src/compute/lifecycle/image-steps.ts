/**
 * The snapshot step (task image_snapshot or image_backup): the driver's snapshot of the
 * server goes into the image the API queued; a backup then rotates out older backups. A
 * failed snapshot deletes the image and leaves a fault, and the server keeps running.
 */
import type { InstanceRow } from '../../store/schema-servers.js';
import { nowIso } from '../../util/ids.js';
import type { LifecycleContext } from './context.js';
import { casUpdate, recordEvent, recordFault } from './records.js';
import { deleteImage, getSystemMetadata, rotateBackups, setSystemMetadata, SNAPSHOT_KEY, storeSnapshot } from './snapshot.js';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function snapshotStep(ctx: LifecycleContext, row: InstanceRow, task: string): Promise<void> {
  const startedAt = nowIso();
  const event = task === 'image_backup' ? 'compute_backup_instance' : 'compute_snapshot_instance';
  const imageId = await getSystemMetadata(ctx.store.db, row.uuid, SNAPSHOT_KEY);
  const backup = task === 'image_backup' ? JSON.parse(await getSystemMetadata(ctx.store.db, row.uuid, 'backup') ?? 'null') as { type: string; rotation: number } | null : null;
  try {
    if (!imageId || !row.host) throw new Error('nothing to snapshot: no image queued or no host');
    await storeSnapshot(ctx.store.db, ctx.images, imageId, await ctx.driver.snapshot(row.host, row.uuid));
  } catch (err) {
    await ctx.store.transaction(async (tx) => {
      if (!await casUpdate(tx, row.uuid, task, { task_state: null })) return;
      if (imageId) await deleteImage(tx, ctx.images, imageId);
      await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, null);
      await recordFault(tx, row.uuid, 500, describe(err), describe(err), row.host);
      await recordEvent(tx, row.uuid, event, row.host, startedAt, { ok: false, traceback: describe(err) }, true);
    });
    return;
  }
  await ctx.store.transaction(async (tx) => {
    if (!await casUpdate(tx, row.uuid, task, { task_state: null })) return;
    await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, null);
    await setSystemMetadata(tx, row.uuid, 'backup', null);
    if (backup) await rotateBackups(tx, ctx.images, row.uuid, backup.type, backup.rotation);
    await recordEvent(tx, row.uuid, event, row.host, startedAt, { ok: true }, true);
  });
}
