/**
 * Images made from servers (createImage, createBackup, shelve): the API writes a queued Glance
 * image with Nova's snapshot properties and names it in the server's system metadata; the
 * conductor streams the driver's snapshot into Glance's data store and makes the image active
 * (or deletes it when the snapshot fails). Backups beyond their rotation are deleted after.
 */
import type { ImageDataStore } from '../../image/data-store.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';

export const SNAPSHOT_KEY = 'snapshot_image_id';
export const SHELVED_KEY = 'shelved_image_id';

export async function getSystemMetadata(db: Db | Tx, uuidText: string, key: string): Promise<string | null> {
  const row = await db.selectFrom('instance_system_metadata').select('value').where('instance_uuid', '=', uuidText).where('key', '=', key).executeTakeFirst();
  return row?.value ?? null;
}

export async function setSystemMetadata(tx: Tx, uuidText: string, key: string, value: string | null): Promise<void> {
  await tx.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuidText).where('key', '=', key).execute();
  if (value !== null) await tx.insertInto('instance_system_metadata').values({ instance_uuid: uuidText, key, value }).execute();
}

export interface SnapshotRequest {
  readonly name: string;
  readonly imageType: 'snapshot' | 'backup';
  readonly backupType?: string;
  readonly rotation?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The queued image a snapshot will fill, owned by the server's project, with Nova's properties. */
export async function createSnapshotImage(tx: Tx, row: InstanceRow, req: SnapshotRequest): Promise<string> {
  const base = row.image_ref ? await tx.selectFrom('images').selectAll().where('id', '=', row.image_ref).executeTakeFirst() : undefined;
  const id = uuid();
  const now = nowIso();
  await tx.insertInto('images').values({
    id, name: req.name, status: 'queued', visibility: 'private', owner: row.project_id,
    disk_format: base?.disk_format ?? 'raw', container_format: base?.container_format ?? 'bare', size: null, virtual_size: null,
    checksum: null, os_hash_algo: null, os_hash_value: null, min_disk: Math.max(base?.min_disk ?? 0, row.root_gb),
    min_ram: base?.min_ram ?? 0, protected: 0, os_hidden: 0, created_at: now, updated_at: now,
  }).execute();
  const inherited = base ? await tx.selectFrom('image_properties').select(['name', 'value']).where('image_id', '=', base.id).execute() : [];
  const props: Record<string, string> = Object.fromEntries(inherited.filter((p) => !p.name.startsWith('kumo_placeholder')).map((p) => [p.name, p.value]));
  Object.assign(props, {
    image_type: req.imageType, instance_uuid: row.uuid, user_id: row.user_id, owner_id: row.project_id,
    base_image_ref: row.image_ref, image_location: 'snapshot', image_state: 'available',
  });
  if (req.backupType !== undefined) props.backup_type = req.backupType;
  // The user's metadata has the last word, as in Nova (even over image_type).
  Object.assign(props, req.metadata ?? {});
  await tx.insertInto('image_properties').values(Object.entries(props).map(([name, value]) => ({ image_id: id, name, value }))).execute();
  return id;
}

/** Fills the image with the snapshot's bytes and makes it active. */
export async function storeSnapshot(db: Db, data: ImageDataStore, imageId: string, stream: NodeJS.ReadableStream): Promise<void> {
  const image = await db.selectFrom('images').select(['disk_format']).where('id', '=', imageId).executeTakeFirst();
  if (!image) throw new Error(`image ${imageId} was deleted during the snapshot`);
  await db.updateTable('images').set({ status: 'saving', updated_at: nowIso() }).where('id', '=', imageId).where('status', '=', 'queued').execute();
  const received = await data.receive(imageId, stream as import('node:stream').Readable, image.disk_format);
  data.commit(received, imageId);
  await db.updateTable('images').set({
    status: 'active', size: received.size, virtual_size: received.virtualSize, checksum: received.md5,
    os_hash_algo: 'sha512', os_hash_value: received.sha512, updated_at: nowIso(),
  }).where('id', '=', imageId).execute();
}

/** Deletes an image Nova made (a failed snapshot, a rotated backup, a used shelved image). */
export async function deleteImage(tx: Tx, data: ImageDataStore, imageId: string): Promise<void> {
  await tx.deleteFrom('image_properties').where('image_id', '=', imageId).execute();
  await tx.deleteFrom('image_tags').where('image_id', '=', imageId).execute();
  await tx.deleteFrom('image_members').where('image_id', '=', imageId).execute();
  await tx.deleteFrom('images').where('id', '=', imageId).execute();
  data.remove(imageId);
}

/** Keeps the newest `rotation` backups of this type of the server; older ones go. */
export async function rotateBackups(tx: Tx, data: ImageDataStore, serverId: string, backupType: string, rotation: number): Promise<void> {
  const backups = await tx.selectFrom('images')
    .innerJoin('image_properties as i', (j) => j.onRef('i.image_id', '=', 'images.id').on('i.name', '=', 'instance_uuid').on('i.value', '=', serverId))
    .innerJoin('image_properties as t', (j) => j.onRef('t.image_id', '=', 'images.id').on('t.name', '=', 'image_type').on('t.value', '=', 'backup'))
    .innerJoin('image_properties as b', (j) => j.onRef('b.image_id', '=', 'images.id').on('b.name', '=', 'backup_type').on('b.value', '=', backupType))
    .select(['images.id', 'images.created_at']).orderBy('images.created_at', 'desc').orderBy('images.id').execute();
  for (const old of backups.slice(rotation)) await deleteImage(tx, data, old.id);
}
