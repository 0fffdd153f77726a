/** How images and members look on the wire: Glance's field set, times to the second with a Z. */
import type { ImageMemberRow, ImageRow } from '../store/schema-image.js';

export type ImageView = Record<string, unknown>;

/** Glance prints timestamps as 2024-05-01T12:00:00Z. */
export function glanceTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

export function imageView(row: ImageRow, properties: Readonly<Record<string, string>>, tags: readonly string[]): ImageView {
  return {
    // Custom properties first, so no base attribute can ever be shadowed by one.
    ...properties,
    name: row.name,
    disk_format: row.disk_format,
    container_format: row.container_format,
    visibility: row.visibility,
    size: row.size,
    virtual_size: row.virtual_size,
    status: row.status,
    checksum: row.checksum,
    protected: row.protected === 1,
    min_ram: row.min_ram,
    min_disk: row.min_disk,
    owner: row.owner,
    os_hidden: row.os_hidden === 1,
    os_hash_algo: row.os_hash_algo,
    os_hash_value: row.os_hash_value,
    id: row.id,
    created_at: glanceTime(row.created_at),
    updated_at: glanceTime(row.updated_at),
    tags: [...tags],
    self: `/v2/images/${row.id}`,
    file: `/v2/images/${row.id}/file`,
    schema: '/v2/schemas/image',
  };
}

export function memberView(row: ImageMemberRow): Record<string, unknown> {
  return {
    member_id: row.member_id,
    image_id: row.image_id,
    status: row.status,
    created_at: glanceTime(row.created_at),
    updated_at: glanceTime(row.updated_at),
    schema: '/v2/schemas/member',
  };
}
