/**
 * POST /v2/images: the body is checked the way Glance checks it, in Glance's order — read-only
 * links (403), the image schema (400), custom property names (400/403), the create policy
 * (403), read-only and reserved attributes (403), negative sizes (400), per-image limits (413) —
 * so a rejected request writes nothing.
 */
import { isUniqueViolation, type Tx } from '../store/store.js';
import type { AuthContext } from '../policy/context.js';
import type { ImageRow } from '../store/schema-image.js';
import { nowIso, uuid } from '../util/ids.js';
import { badRequest, conflict, forbidden, tooLarge } from './errors.js';
import { requireCreate, requireVisibilityAllowed } from './policy.js';
import { imageSchema } from './schemas.js';
import { LIMITS } from './service.js';
import { firstViolation, pyRepr, schemaMismatch } from './validate.js';

/** Links the server makes up; sending them is refused as read-only. */
export const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];
/** Attributes only the server sets. */
export const READ_ONLY = ['created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'id', 'os_hash_algo', 'os_hash_value'];
/** Names no custom property may take. */
export const RESERVED = ['location', 'locations', 'deleted', 'deleted_at'];
export const RESERVED_PREFIX = 'os_glance';
/** Attributes stored as columns rather than custom properties. */
export const BASE = ['name', 'visibility', 'protected', 'os_hidden', 'min_disk', 'min_ram', 'disk_format', 'container_format', 'owner', 'tags'];

export function isReserved(name: string): boolean {
  return RESERVED.includes(name) || name.startsWith(RESERVED_PREFIX);
}

export function negativeValue(param: string, value: number): ReturnType<typeof badRequest> {
  return badRequest(`Invalid value '${value}' for parameter '${param}': Cannot be a negative value.`);
}

export interface NewImage {
  readonly row: ImageRow;
  readonly properties: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
}

/** Validates a create body and builds the image it asks for (nothing is written). */
export function parseCreate(ctx: AuthContext, body: unknown): NewImage {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(schemaMismatch('image', `${pyRepr(body)} is not of type 'object'`));
  for (const key of DISALLOWED) if (key in body) throw forbidden(`Attribute '${key}' is read-only.`);
  const problem = firstViolation(imageSchema(), body);
  if (problem) throw badRequest(schemaMismatch('image', problem));
  const fields = { ...(body as Record<string, unknown>) };

  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (BASE.includes(key) || READ_ONLY.includes(key)) continue;
    if (key.length > 255) throw badRequest('Custom property should not be greater than 255 characters.');
    if (isReserved(key)) throw forbidden(`Attribute '${key}' is reserved.`);
    custom[key] = value as string;
  }

  const owner = fields.owner === undefined ? ctx.projectId : (fields.owner as string | null);
  requireCreate(ctx, owner);
  const visibility = (fields.visibility as string | undefined) ?? 'shared';
  requireVisibilityAllowed(ctx, visibility, owner);
  for (const key of READ_ONLY) {
    if (key !== 'id' && key in fields) throw forbidden(`Attribute '${key}' is read-only.`);
  }
  const minDisk = (fields.min_disk as number | undefined) ?? 0;
  const minRam = (fields.min_ram as number | undefined) ?? 0;
  if (minDisk < 0) throw negativeValue('min_disk', minDisk);
  if (minRam < 0) throw negativeValue('min_ram', minRam);
  const tags = [...new Set((fields.tags as string[] | undefined) ?? [])];
  if (Object.keys(custom).length > LIMITS.properties) throw tooLarge(`Maximum number of properties exceeded (${LIMITS.properties}).`);
  if (tags.length > LIMITS.tags) throw tooLarge(`Maximum number of tags exceeded (${LIMITS.tags}).`);

  const now = nowIso();
  const row: ImageRow = {
    id: (fields.id as string | undefined) ?? uuid(),
    name: (fields.name as string | null | undefined) ?? null,
    status: 'queued',
    visibility,
    owner,
    disk_format: (fields.disk_format as string | null | undefined) ?? null,
    container_format: (fields.container_format as string | null | undefined) ?? null,
    size: null,
    virtual_size: null,
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    min_disk: minDisk,
    min_ram: minRam,
    protected: fields.protected === true ? 1 : 0,
    os_hidden: fields.os_hidden === true ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  return { row, properties: custom, tags };
}

export async function insertImage(tx: Tx, image: NewImage): Promise<void> {
  try {
    await tx.insertInto('images').values(image.row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Image with identifier ${image.row.id} already exists!`);
    throw err;
  }
  const props = Object.entries(image.properties).map(([name, value]) => ({ image_id: image.row.id, name, value }));
  if (props.length) await tx.insertInto('image_properties').values(props).execute();
  if (image.tags.length) await tx.insertInto('image_tags').values(image.tags.map((tag) => ({ image_id: image.row.id, tag }))).execute();
}
