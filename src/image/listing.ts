/**
 * GET /v2/images: Glance's visibility rules for lists, its filters (attributes with `in:`/`eq:`,
 * `created_at`/`updated_at` with comparison operators, `*_min`/`*_max` ranges, tags, custom
 * properties by exact value), sorting (`sort=key:dir,...` or `sort_key`/`sort_dir`) with
 * created_at and id as tie-breakers, and keyset pagination from a marker with a `next` link.
 */
import { isAdmin, type AuthContext } from '../policy/context.js';
import type { ImageRow } from '../store/schema-image.js';
import { badRequest } from './errors.js';
import type { ImageService } from './service.js';
import type { ImageView } from './views.js';

export type Query = Record<string, string | string[] | undefined>;

const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'];
const OPERATOR_ATTRS = ['name', 'id', 'status', 'container_format', 'disk_format'];
const COLUMNS = ['id', 'name', 'status', 'visibility', 'owner', 'disk_format', 'container_format', 'size', 'virtual_size', 'checksum',
  'os_hash_algo', 'os_hash_value', 'min_disk', 'min_ram', 'protected', 'os_hidden', 'created_at', 'updated_at'];
const RANGE_ATTRS = ['size', 'virtual_size', 'min_disk', 'min_ram'];
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

type Predicate = (row: ImageRow, props: Record<string, string>, tags: readonly string[]) => boolean;

function all(query: Query, key: string): string[] {
  const value = query[key];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function last(query: Query, key: string): string | undefined {
  return all(query, key).at(-1);
}

function isIsoTime(text: string): boolean {
  return /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(text) && !Number.isNaN(Date.parse(text));
}

/** Glance's split_filter_op: "op:value", unless the whole thing is an ISO time. */
function splitOperator(expression: string): { op: string; value: string } {
  const at = expression.indexOf(':');
  if (at < 0 || isIsoTime(expression)) return { op: 'eq', value: expression };
  return { op: expression.slice(0, at), value: expression.slice(at + 1) };
}

/** `in:` lists: comma separated, double quotes protect commas. */
function splitList(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|([^,]+)/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? '').trim());
  return out;
}

function columnText(row: ImageRow, key: string): string | null {
  const value = (row as unknown as Record<string, unknown>)[key];
  if (value === null || value === undefined) return null;
  if (key === 'protected' || key === 'os_hidden') return value === 1 ? 'true' : 'false';
  return String(value);
}

function booleanFilter(query: Query, key: string, fallback: string | undefined): boolean | undefined {
  const raw = last(query, key) ?? fallback;
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase();
  if (value !== 'true' && value !== 'false') throw badRequest(`Invalid value '${raw}' for '${key}' filter. Valid values are 'true' or 'false'.`);
  return value === 'true';
}

const RESERVED_PARAMS = ['limit', 'marker', 'member_status', 'tag', 'visibility', 'sort', 'sort_key', 'sort_dir', 'os_hidden', 'protected'];

function filtersOf(query: Query): Predicate[] {
  const predicates: Predicate[] = [];
  if (last(query, 'changes-since') !== undefined) throw badRequest('The "changes-since" filter is no longer available on v2.');
  const hidden = booleanFilter(query, 'os_hidden', 'false');
  predicates.push((r) => (r.os_hidden === 1) === hidden);
  const prot = booleanFilter(query, 'protected', undefined);
  if (prot !== undefined) predicates.push((r) => (r.protected === 1) === prot);
  const tags = all(query, 'tag').map((t) => t.trim());
  if (tags.length) predicates.push((_r, _p, own) => tags.every((t) => own.includes(t)));

  for (const key of Object.keys(query)) {
    if (RESERVED_PARAMS.includes(key) || key === 'changes-since') continue;
    const value = last(query, key) as string;
    if (key.endsWith('_min') || key.endsWith('_max')) {
      const attr = key.slice(0, -4);
      if (!/^-?\d+$/.test(value.trim())) throw badRequest('Unable to filter on a range with a non-numeric value.');
      if (!RANGE_ATTRS.includes(attr)) throw badRequest(`Unable to filter on a range of '${attr}'.`);
      const bound = Number(value);
      const min = key.endsWith('_min');
      predicates.push((r) => {
        const v = (r as unknown as Record<string, number | null>)[attr];
        return v !== null && v !== undefined && (min ? v >= bound : v <= bound);
      });
    } else if (key === 'created_at' || key === 'updated_at') {
      const { op, value: time } = splitOperator(value);
      if (!isIsoTime(time)) throw badRequest(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
      const threshold = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(time) || time.length <= 10 ? time : `${time}Z`);
      const compare: Record<string, (a: number) => boolean> = {
        gt: (a) => a > threshold, gte: (a) => a >= threshold, lt: (a) => a < threshold,
        lte: (a) => a <= threshold, eq: (a) => a === threshold, neq: (a) => a !== threshold,
      };
      const fn = compare[op];
      if (!fn) throw badRequest(`Invalid operator '${op}' for filter '${key}'.`);
      // Stored times have milliseconds; Glance compares at the second it shows.
      predicates.push((r) => fn(Math.floor(Date.parse(r[key]) / 1000) * 1000));
    } else if (OPERATOR_ATTRS.includes(key)) {
      const { op, value: wanted } = splitOperator(value);
      if (op === 'in') {
        const set = splitList(wanted);
        predicates.push((r) => set.includes(columnText(r, key) ?? ''));
      } else if (op === 'eq') {
        predicates.push((r) => columnText(r, key) === wanted);
      } else {
        throw badRequest(`Unable to filter by unknown operator '${op}'.`);
      }
    } else if (COLUMNS.includes(key)) {
      predicates.push((r) => columnText(r, key) === value);
    } else {
      predicates.push((_r, props) => props[key] === value);
    }
  }
  return predicates;
}

interface Sort {
  readonly keys: string[];
  readonly dirs: ('asc' | 'desc')[];
}

function sortKey(key: string): string {
  if (!SORT_KEYS.includes(key)) throw badRequest(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  return key;
}

function sortDir(dir: string): 'asc' | 'desc' {
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

function sortOf(query: Query): Sort {
  const keys: string[] = [];
  let dirs: ('asc' | 'desc')[] = [];
  const sort = last(query, 'sort');
  if (sort !== undefined) {
    if (query.sort_key !== undefined || query.sort_dir !== undefined) throw badRequest('Old and new sorting syntax cannot be combined');
    for (const part of sort.trim().split(',')) {
      const at = part.indexOf(':');
      keys.push(sortKey((at < 0 ? part : part.slice(0, at)).trim()));
      dirs.push(sortDir(at < 0 ? 'desc' : part.slice(at + 1).trim()));
    }
  } else {
    keys.push(...all(query, 'sort_key').map((k) => sortKey(k.trim())));
    dirs = all(query, 'sort_dir').map((d) => sortDir(d.trim()));
    if (dirs.length > 1 && dirs.length !== keys.length) throw badRequest('Number of sort dirs does not match the number of sort keys');
  }
  if (keys.length === 0) keys.push('created_at');
  if (dirs.length === 0) dirs.push('desc');
  const fallback = dirs.length === 1 ? (dirs[0] as 'asc' | 'desc') : 'desc';
  while (dirs.length < keys.length) dirs.push(fallback);
  for (const key of ['created_at', 'id']) {
    if (!keys.includes(key)) {
      keys.push(key);
      dirs.push(fallback);
    }
  }
  return { keys, dirs };
}

/** Orders two rows by the sort; NULL sorts lowest, as in the databases Glance runs on. */
function compareRows(a: ImageRow, b: ImageRow, sort: Sort): number {
  for (const [i, key] of sort.keys.entries()) {
    const x = (a as unknown as Record<string, string | number | null>)[key] ?? null;
    const y = (b as unknown as Record<string, string | number | null>)[key] ?? null;
    let c = 0;
    if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return sort.dirs[i] === 'desc' ? -c : c;
  }
  return 0;
}

function limitOf(query: Query): number {
  const raw = last(query, 'limit');
  if (raw === undefined) return DEFAULT_LIMIT;
  if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw badRequest('limit param must be an integer');
  const limit = Number(raw);
  if (limit < 0) throw badRequest('limit param must be positive');
  return Math.min(limit, MAX_LIMIT);
}

export interface ListResult {
  readonly images: ImageView[];
  readonly first: string;
  readonly next?: string;
  readonly schema: string;
}

/** Images the caller's list may include before filters (Glance's _select_images_query). */
async function candidates(service: ImageService, ctx: AuthContext, memberStatus: string, visibility: string | undefined): Promise<ImageRow[]> {
  let rows: ImageRow[];
  if (isAdmin(ctx)) {
    rows = await service.db.selectFrom('images').selectAll().execute();
  } else {
    const project = ctx.projectId ?? '';
    let members = service.db.selectFrom('image_members').select('image_id').where('member_id', '=', project);
    if (memberStatus !== 'all') members = members.where('status', '=', memberStatus);
    rows = await service.db.selectFrom('images').selectAll()
      .where((eb) => eb.or([
        eb('visibility', 'in', ['public', 'community']),
        eb('owner', '=', project),
        eb.and([eb('visibility', '=', 'shared'), eb('id', 'in', members)]),
      ])).execute();
  }
  if (visibility !== undefined) return visibility === 'all' ? rows : rows.filter((r) => r.visibility === visibility);
  // Without a visibility filter, community images appear only to their owner.
  return rows.filter((r) => r.visibility !== 'community' || (ctx.projectId !== null && r.owner === ctx.projectId));
}

export async function listImages(service: ImageService, ctx: AuthContext, query: Query, rawQuery: string): Promise<ListResult> {
  const limit = limitOf(query);
  const marker = last(query, 'marker');
  const memberStatus = last(query, 'member_status') ?? 'accepted';
  if (!['pending', 'accepted', 'rejected', 'all'].includes(memberStatus)) throw badRequest(`Invalid status: ${memberStatus}`);
  const visibility = last(query, 'visibility');
  if (visibility !== undefined && !['community', 'public', 'private', 'shared', 'all'].includes(visibility)) {
    throw badRequest(`Invalid visibility value: ${visibility}`);
  }
  const predicates = filtersOf(query);
  const sort = sortOf(query);

  let rows = await candidates(service, ctx, memberStatus, visibility);
  const ids = rows.map((r) => r.id);
  const [props, tags] = await Promise.all([service.propertiesOf(ids), service.tagsOf(ids)]);
  rows = rows.filter((r) => predicates.every((p) => p(r, props.get(r.id) ?? {}, tags.get(r.id) ?? [])));
  rows.sort((a, b) => compareRows(a, b, sort));
  if (marker !== undefined) {
    let markerRow: ImageRow;
    try {
      markerRow = await service.visible(ctx, marker);
    } catch {
      throw badRequest(`No image found with ID ${marker}`);
    }
    rows = rows.filter((r) => compareRows(r, markerRow, sort) > 0);
  }
  const page = rows.slice(0, limit);

  const params = new URLSearchParams(rawQuery);
  params.delete('marker');
  const rest = params.toString();
  const result: { images: ImageView[]; first: string; schema: string; next?: string } = {
    images: await service.views(page),
    first: rest ? `/v2/images?${rest}` : '/v2/images',
    schema: '/v2/schemas/images',
  };
  if (page.length > 0 && page.length === limit) {
    params.set('marker', (page.at(-1) as ImageRow).id);
    result.next = `/v2/images?${params.toString()}`;
  }
  return result;
}
