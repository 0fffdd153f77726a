/**
 * PATCH /v2/images/{id}: Glance's JSON-patch dialects (v2.1 = RFC 6902 `op`/`path`, v2.0 =
 * `{"replace": "/name"}`). Every operation is parsed and validated before any is applied, and
 * they are applied to an in-memory copy that is saved only if all succeed.
 */
import { ApiError } from '../api/errors.js';
import { isAdmin, type AuthContext } from '../policy/context.js';
import type { ImageRow } from '../store/schema-image.js';
import { BASE, READ_ONLY, isReserved, negativeValue } from './create.js';
import { badRequest, conflict, forbidden } from './errors.js';
import { requireVisibilityAllowed } from './policy.js';
import { imageSchema } from './schemas.js';
import { LIMITS } from './service.js';
import { firstViolation, schemaMismatch } from './validate.js';

export const PATCH_MEDIA_TYPES: Readonly<Record<string, 4 | 10>> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};
const OPERATIONS = ['add', 'remove', 'replace'] as const;
type Operation = (typeof OPERATIONS)[number];

export interface Change {
  readonly op: Operation;
  readonly path: string[];
  readonly value?: unknown;
  readonly draft: 4 | 10;
}

export function unsupportedPatchType(): ApiError {
  const allowed = Object.keys(PATCH_MEDIA_TYPES).sort().join(', ');
  return new ApiError('unsupportedMediaType', `Image PATCH expects Content-Type one of: ${allowed}`,
    { headers: { 'Accept-Patch': allowed } });
}

function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw badRequest(`Pointer \`${String(pointer)}\` does not start with "/".`);
  if (!pointer.startsWith('/')) throw badRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw badRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw badRequest(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.slice(1).trim() === '/') throw badRequest(`Pointer \`${pointer}\` does not contains valid token.`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) throw badRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  return pointer.replace(/^\/+/, '').split('/').map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): Operation {
  if (draft === 10) {
    const op = raw.op;
    if (op === undefined || op === null) throw badRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPERATIONS.join(', ')}.`);
    if (!OPERATIONS.includes(op as Operation)) throw badRequest(`Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPERATIONS.join(', ')}.`);
    return op as Operation;
  }
  const present = OPERATIONS.filter((op) => op in raw);
  if (present.length > 1) throw badRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
  if (present.length === 0) throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  return present[0] as Operation;
}

/** Parses and validates the whole patch (Glance's request deserializer). */
export function parsePatch(body: unknown, draft: 4 | 10): Change[] {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  const schema = imageSchema();
  return body.map((raw: unknown) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('Operations must be JSON objects.');
    const record = raw as Record<string, unknown>;
    const op = operationOf(record, draft);
    if (draft === 10 && !('path' in record)) throw badRequest("Unable to find 'path' in JSON Schema change");
    const path = decodePointer(draft === 10 ? record.path : record[op]);
    const root = path[0] as string;
    const depth = root === 'locations' ? (op === 'replace' ? 1 : 2) : 1;
    if (path.length !== depth) throw badRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    if (op !== 'remove' && !('value' in record)) throw badRequest(`Operation "${op}" requires a member named "value".`);
    if (READ_ONLY.includes(root) || ['direct_url', 'self', 'file', 'schema', 'stores'].includes(root)) throw forbidden(`Attribute '${root}' is read-only.`);
    if (isReserved(root) && root !== 'locations') throw forbidden(`Attribute '${root}' is reserved.`);
    if (op !== 'remove' && path.length === 1) {
      const problem = firstViolation(schema, { [root]: record.value });
      if (problem) throw badRequest(schemaMismatch('image', problem));
    }
    return { op, path, value: record.value, draft };
  });
}

/** The mutable state a patch works on. */
export interface Editable {
  row: ImageRow;
  properties: Record<string, string>;
  tags: string[];
}

function setBase(ctx: AuthContext, image: Editable, name: string, value: unknown): void {
  const row = image.row;
  switch (name) {
    case 'tags':
      image.tags = [...new Set(value as string[])];
      if (image.tags.length > LIMITS.tags) throw new ApiError('payloadTooLarge', `Maximum number of tags exceeded (${LIMITS.tags}).`);
      return;
    case 'owner':
      if (!isAdmin(ctx)) throw forbidden("Owner can't be updated by non admin.");
      row.owner = value as string | null;
      return;
    case 'visibility':
      requireVisibilityAllowed(ctx, value, row.owner);
      row.visibility = value as string;
      return;
    case 'disk_format':
    case 'container_format':
      if (!['queued', 'importing'].includes(row.status)) throw forbidden(`Attribute ${name} can be only replaced for a queued image.`);
      row[name] = value as string | null;
      return;
    case 'min_disk':
    case 'min_ram':
      if ((value as number) < 0) throw negativeValue(name, value as number);
      row[name] = value as number;
      return;
    case 'protected':
    case 'os_hidden':
      row[name] = value === true ? 1 : 0;
      return;
    case 'name':
      row.name = value as string | null;
      return;
  }
}

const LOCATIONS_HIDDEN: Record<Operation, string> = {
  add: "It's not allowed to add locations if locations are invisible.",
  replace: "It's not allowed to update locations if locations are invisible.",
  remove: "It's not allowed to remove locations if locations are invisible.",
};

/** Applies the changes in order; the first failing one aborts the whole patch. */
export function applyPatch(ctx: AuthContext, image: Editable, changes: readonly Change[]): void {
  for (const change of changes) {
    const name = change.path[0] as string;
    // Image locations are never exposed by this cloud (Glance's show_multiple_locations=False).
    if (name === 'locations') throw forbidden(LOCATIONS_HIDDEN[change.op]);
    const isBase = BASE.includes(name);
    const exists = isBase || name in image.properties;
    if (change.op === 'remove') {
      if (isBase) throw forbidden(`Property ${name} may not be removed.`);
      if (!exists) throw conflict(`Property ${name} does not exist.`);
      delete image.properties[name];
      continue;
    }
    if (change.op === 'replace' && !exists) throw conflict(`Property ${name} does not exist.`);
    if (change.op === 'add' && exists && change.draft === 4) throw conflict(`Property ${name} already present.`);
    if (isBase) setBase(ctx, image, name, change.value);
    else image.properties[name] = change.value as string;
  }
  if (Object.keys(image.properties).length > LIMITS.properties) {
    throw new ApiError('payloadTooLarge', `Maximum number of properties exceeded (${LIMITS.properties}).`);
  }
}
