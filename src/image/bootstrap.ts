/**
 * First-start image: a public `cirros` image owned by the admin project, as every seed boots
 * it. Kumo's instances are containers whose root filesystem is a tarball, so its data is a tar
 * archive (container_format bare, disk_format raw, kumo_image_kind=rootfs-tarball).
 *
 * The data is the real root filesystem scripts/build-cirros.sh makes from Debian packages
 * (busybox, dropbear; .cache/images/cirros-rootfs.tar, or KUMO_CIRROS_ROOTFS). Where it could not
 * be built (no packages, not root) a PLACEHOLDER archive holding only a README stands in, marked
 * kumo_placeholder=true. Safe to run at every start: an intact cirros is left alone, a missing
 * one is created, a broken one (no data) gets its data again, and a placeholder is replaced by
 * the real root filesystem as soon as it exists.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import type { ImageRow } from '../store/schema-image.js';
import { nowIso, uuid } from '../util/ids.js';
import type { ImageService } from './service.js';
import { tarArchive } from './tar.js';

export const CIRROS_NAME = 'cirros';

const README = `This is Kumo's PLACEHOLDER for the cirros image.

Kumo runs instances as containers whose root filesystem is unpacked from the image's data,
a tar archive. This archive is not a bootable root filesystem yet: it only holds this file
and etc/os-release. The Linux data-plane work replaces it with a real one.
`;

const OS_RELEASE = `NAME="Kumo placeholder"
ID=kumo-placeholder
PRETTY_NAME="Kumo placeholder root filesystem (not bootable)"
`;

/** Fixed contents and time, so the placeholder's checksum is the same on every machine. */
export function placeholderRootfs(): Buffer {
  return tarArchive([
    { path: 'README', content: Buffer.from(README) },
    { path: 'etc' },
    { path: 'etc/os-release', content: Buffer.from(OS_RELEASE) },
  ], Date.UTC(2024, 0, 1) / 1000);
}

export const CIRROS_PROPERTIES: Readonly<Record<string, string>> = {
  kumo_image_kind: 'rootfs-tarball',
  kumo_placeholder: 'true',
  description: 'PLACEHOLDER root filesystem tarball until the real cirros-like rootfs is built',
};

export const CIRROS_REAL_PROPERTIES: Readonly<Record<string, string>> = {
  kumo_image_kind: 'rootfs-tarball',
  description: 'CirrOS-like root filesystem tarball (busybox, dropbear) built from Debian packages by scripts/build-cirros.sh',
};

/** The checkout's build cache: dist/src/image/ → the repository root. */
const BUILT_ROOTFS = fileURLToPath(new URL('../../../.cache/images/cirros-rootfs.tar', import.meta.url));

/** The real cirros root filesystem, or null when it has not been built on this machine. */
export function builtRootfs(env: NodeJS.ProcessEnv = process.env): Buffer | null {
  try {
    return readFileSync(env.KUMO_CIRROS_ROOTFS || BUILT_ROOTFS);
  } catch {
    return null;
  }
}

export async function bootstrapCirros(service: ImageService): Promise<string> {
  const db = service.db;
  const admin = await db.selectFrom('projects').select('id').where('name', '=', 'admin').where('domain_id', '=', 'default').executeTakeFirst();
  const existing = await db.selectFrom('images').selectAll().where('name', '=', CIRROS_NAME).where('visibility', '=', 'public')
    .orderBy('created_at').executeTakeFirst();
  const real = builtRootfs();
  const properties = real ? CIRROS_REAL_PROPERTIES : CIRROS_PROPERTIES;
  const placeholder = existing ? (await db.selectFrom('image_properties').select('value').where('image_id', '=', existing.id)
    .where('name', '=', 'kumo_placeholder').executeTakeFirst()) !== undefined : false;
  if (existing && ['active', 'deactivated'].includes(existing.status) && service.data.storedSize(existing.id) !== null && !(placeholder && real)) return existing.id;

  let row: ImageRow;
  if (existing) {
    row = existing;
    // An old home's placeholder (or a broken image) gets the real data and loses the mark.
    await service.store.transaction(async (tx) => {
      await tx.deleteFrom('image_properties').where('image_id', '=', row.id).where('name', 'in', ['kumo_placeholder', 'description', 'kumo_image_kind']).execute();
      await tx.insertInto('image_properties').values(Object.entries(properties).map(([name, value]) => ({ image_id: row.id, name, value }))).execute();
    });
  } else {
    const now = nowIso();
    row = {
      id: uuid(), name: CIRROS_NAME, status: 'queued', visibility: 'public', owner: admin?.id ?? null,
      disk_format: 'raw', container_format: 'bare', size: null, virtual_size: null, checksum: null,
      os_hash_algo: null, os_hash_value: null, min_disk: 0, min_ram: 0, protected: 0, os_hidden: 0,
      created_at: now, updated_at: now,
    };
    await service.store.transaction(async (tx) => {
      await tx.insertInto('images').values(row).execute();
      await tx.insertInto('image_properties').values(Object.entries(properties).map(([name, value]) => ({ image_id: row.id, name, value }))).execute();
    });
  }
  const received = await service.data.receive(row.id, Readable.from([real ?? placeholderRootfs()]), 'raw');
  service.data.commit(received, row.id);
  await db.updateTable('images').set({
    status: 'active', size: received.size, virtual_size: received.virtualSize, checksum: received.md5,
    os_hash_algo: 'sha512', os_hash_value: received.sha512, updated_at: nowIso(),
  }).where('id', '=', row.id).execute();
  return row.id;
}
