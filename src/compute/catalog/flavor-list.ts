/**
 * GET /flavors and /flavors/detail selection: who sees what (is_public for admins; public and
 * granted flavors, never disabled ones, for others), minRam/minDisk/name filters, sort_key and
 * sort_dir over Nova's sort keys, then marker/limit paging in that order.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { FlavorRow } from '../../store/schema-compute.js';
import type { Db } from '../../store/store.js';
import { atLeast } from '../microversion.js';
import { findVisibleFlavor } from './flavor-access.js';
import { markerNotFound, pageOf, param, queryOf, rejectUnknown, type Page } from './query.js';
import { boolFromString, pyRepr } from './validate.js';

const SORT_KEYS = ['created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id', 'is_public', 'memory_mb', 'name',
  'root_gb', 'rxtx_factor', 'swap', 'updated_at', 'vcpu_weight', 'vcpus'];

/** Nova's sort keys over our columns; `id` (Nova's creation order) is created_at here. */
const COLUMN_OF: Record<string, keyof FlavorRow | null> = {
  created_at: 'created_at', description: 'description', disabled: 'disabled', ephemeral_gb: 'ephemeral', flavorid: 'id',
  id: 'created_at', is_public: 'is_public', memory_mb: 'ram', name: 'name', root_gb: 'disk', rxtx_factor: 'rxtx_factor',
  swap: 'swap', updated_at: 'updated_at', vcpu_weight: null, vcpus: 'vcpus',
};

export interface FlavorPage {
  readonly rows: FlavorRow[];
  readonly page: Page;
}

function intFilter(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\s*[-+]?\d+\s*$/.test(text)) throw badRequest(`Invalid ${name} filter [${text}]`);
  return Number(text);
}

function enumParam(text: string | undefined, allowed: readonly string[], name: string): string | undefined {
  if (text === undefined) return undefined;
  if (!allowed.includes(text)) throw badRequest(`Invalid input for query parameters ${name}. Value: ${text}. ${pyRepr(text)} is not one of ${pyRepr(allowed)}`);
  return text;
}

function compareValues(a: unknown, b: unknown): number {
  // NULLs first in ascending order, as SQLite and Nova's paginate put them.
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

export async function listFlavors(db: Db, request: FastifyRequest, ctx: AuthContext): Promise<FlavorPage> {
  const query = queryOf(request);
  const allowed = ['limit', 'marker', 'is_public', 'minRam', 'minDisk', 'sort_key', 'sort_dir'];
  if (atLeast(request, '2.102')) allowed.push('name');
  rejectUnknown(request, query, allowed);
  const sortKeys = atLeast(request, '2.102') ? SORT_KEYS.filter((k) => k !== 'rxtx_factor') : SORT_KEYS;
  const sortKey = enumParam(param(query, 'sort_key'), sortKeys, 'sort_key') || 'flavorid';
  const sortDir = enumParam(param(query, 'sort_dir'), ['asc', 'desc'], 'sort_dir') || 'asc';
  const page = pageOf(query);

  // is_public: admins choose (default public only, 'none' for all); others see public ones.
  let isPublic: boolean | null = true;
  if (isAdmin(ctx)) {
    const asked = param(query, 'is_public');
    if (asked !== undefined) {
      if (asked.toLowerCase() === 'none') isPublic = null;
      else {
        const parsed = boolFromString(asked);
        if (parsed === undefined) throw badRequest(`Invalid is_public filter [${asked}]`);
        isPublic = parsed;
      }
    }
  }
  const minRam = intFilter(param(query, 'minRam'), 'minRam');
  const minDisk = intFilter(param(query, 'minDisk'), 'minDisk');
  const name = atLeast(request, '2.102') ? param(query, 'name') : undefined;

  let q = db.selectFrom('flavors').selectAll();
  if (isPublic !== null) {
    const granted = db.selectFrom('flavor_projects').select('flavor_id').where('project_id', '=', ctx.projectId ?? '');
    q = isPublic && ctx.projectId
      ? q.where((eb) => eb.or([eb('is_public', '=', 1), eb('id', 'in', granted)]))
      : q.where('is_public', '=', isPublic ? 1 : 0);
  }
  if (!isAdmin(ctx)) q = q.where('disabled', '=', 0);
  if (minRam !== undefined) q = q.where('ram', '>=', minRam);
  if (minDisk !== undefined) q = q.where('disk', '>=', minDisk);
  if (name !== undefined) q = q.where('name', '=', name);
  const rows = await q.execute();

  const column = COLUMN_OF[sortKey] ?? null;
  const sign = sortDir === 'desc' ? -1 : 1;
  const order = (a: FlavorRow, b: FlavorRow): number => {
    const primary = column ? compareValues(a[column], b[column]) : 0;
    if (primary !== 0) return sign * primary;
    return sign * (compareValues(a.created_at, b.created_at) || compareValues(a.id, b.id));
  };
  rows.sort(order);

  let start = 0;
  if (page.marker !== undefined) {
    // The marker is looked up among the flavors the caller can see, whatever the filters.
    const marker = await findVisibleFlavor(db, ctx, page.marker);
    if (!marker) throw markerNotFound(page.marker);
    start = rows.findIndex((r) => order(r, marker) > 0);
    if (start < 0) start = rows.length;
  }
  return { rows: rows.slice(start, start + page.limit), page };
}
