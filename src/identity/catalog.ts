/** The service catalog as tokens and GET /v3/auth/catalog present it. */
import type { Db } from '../store/store.js';

export interface CatalogEndpoint {
  readonly id: string;
  readonly interface: string;
  readonly region: string | null;
  readonly region_id: string | null;
  readonly url: string;
}

export interface CatalogEntry {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly endpoints: readonly CatalogEndpoint[];
}

export async function loadCatalog(db: Db): Promise<CatalogEntry[]> {
  const services = await db.selectFrom('services').selectAll().where('enabled', '=', 1).orderBy('type').execute();
  const endpoints = await db.selectFrom('endpoints').selectAll().where('enabled', '=', 1).orderBy('interface').execute();
  return services.map((s) => ({
    id: s.id,
    type: s.type,
    name: s.name,
    endpoints: endpoints
      .filter((e) => e.service_id === s.id)
      .map((e) => ({ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url: e.url })),
  }));
}

/** Applies OS-EP-FILTER: a project with endpoint associations sees only those endpoints. */
export async function filterCatalogForProject(db: Db, catalog: readonly CatalogEntry[], projectId: string): Promise<readonly CatalogEntry[]> {
  const direct = await db.selectFrom('project_endpoints').select('endpoint_id').where('project_id', '=', projectId).execute();
  const groups = await db.selectFrom('project_endpoint_groups').innerJoin('endpoint_groups', 'endpoint_groups.id', 'project_endpoint_groups.endpoint_group_id')
    .select('endpoint_groups.filters').where('project_id', '=', projectId).execute();
  if (direct.length === 0 && groups.length === 0) return catalog;
  const allowed = new Set(direct.map((d) => d.endpoint_id));
  const filters = groups.map((g) => JSON.parse(g.filters) as Record<string, unknown>);
  const matches = (service: CatalogEntry, e: CatalogEndpoint) =>
    allowed.has(e.id) || filters.some((f) =>
      (f.service_id === undefined || f.service_id === service.id) &&
      (f.interface === undefined || f.interface === e.interface) &&
      (f.region_id === undefined || f.region_id === e.region_id));
  return catalog
    .map((s) => ({ ...s, endpoints: s.endpoints.filter((e) => matches(s, e)) }))
    .filter((s) => s.endpoints.length > 0);
}
