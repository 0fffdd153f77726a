/** Shared by the OS-EP-FILTER routes: endpoint group views, filter matching, project lookups. */
import type { FastifyRequest } from 'fastify';
import type { EndpointGroupRow, EndpointRow, ProjectRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { parseJsonObject } from '../../util/json.js';
import { baseUrl, projectView } from '../views.js';
import { found } from './common.js';

/** The endpoint attributes an endpoint group may filter on. */
export const FILTER_KEYS = ['service_id', 'region_id', 'interface'] as const;

export function extensionLink(request: FastifyRequest, path: string): { self: string } {
  return { self: `${baseUrl(request)}/v3/OS-EP-FILTER/${path}` };
}

export function endpointGroupView(request: FastifyRequest, row: EndpointGroupRow): Record<string, unknown> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    filters: parseJsonObject(row.filters),
    links: extensionLink(request, `endpoint_groups/${row.id}`),
  };
}

export function getEndpointGroup(db: Db | Tx, id: string): Promise<EndpointGroupRow> {
  return found(db.selectFrom('endpoint_groups').selectAll().where('id', '=', id).executeTakeFirst(), 'endpoint group', id);
}

export function getProject(db: Db | Tx, id: string): Promise<ProjectRow> {
  return found(db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst(), 'project', id);
}

/** An endpoint belongs to a group when every filter attribute equals the endpoint's own. */
export function matchesFilters(endpoint: EndpointRow, filters: Readonly<Record<string, unknown>>): boolean {
  return FILTER_KEYS.every((key) => filters[key] === undefined || filters[key] === endpoint[key]);
}

export async function endpointsOfGroup(db: Db, group: EndpointGroupRow): Promise<EndpointRow[]> {
  const filters = parseJsonObject(group.filters);
  const endpoints = await db.selectFrom('endpoints').selectAll().orderBy('id').execute();
  return endpoints.filter((e) => matchesFilters(e, filters));
}

/** Project views for ids, skipping ids whose project has since been deleted. */
export async function projectViews(request: FastifyRequest, db: Db, ids: readonly string[]): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('projects').selectAll().where('id', 'in', [...ids]).orderBy('name').execute();
  const tags = await db.selectFrom('project_tags').selectAll().where('project_id', 'in', [...ids]).execute();
  return rows.map((p) => projectView(request, p, tags.filter((t) => t.project_id === p.id).map((t) => t.tag)));
}
