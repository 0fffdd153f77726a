/** Rows to Keystone v3 JSON documents. Extra attributes a client stored are merged back in. */
import type { FastifyRequest } from 'fastify';
import type { DomainRow, EndpointRow, GroupRow, ProjectRow, RegionRow, RoleRow, ServiceRow, UserRow } from '../store/schema.js';
import { parseJsonObject } from '../util/json.js';

/** Base URL as the client reached us, so links work through any address the catalog names. */
export function baseUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? `${request.hostname}`;
  return `${request.protocol}://${host}`;
}

export function selfLink(request: FastifyRequest, path: string): { self: string } {
  return { self: `${baseUrl(request)}/v3/${path}` };
}

export function collectionLinks(request: FastifyRequest): { self: string; previous: null; next: null } {
  return { self: `${baseUrl(request)}${request.url}`, previous: null, next: null };
}

/** Every Keystone entity alike: the client's extra attributes, then the id, the entity's own fields, its self link. */
function entityView(request: FastifyRequest, collection: string, row: { readonly id: string; readonly extra: string }, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...parseJsonObject(row.extra), id: row.id, ...fields, links: selfLink(request, `${collection}/${row.id}`) };
}

export function domainView(request: FastifyRequest, row: DomainRow): Record<string, unknown> {
  return entityView(request, 'domains', row, {
    name: row.name,
    description: row.description,
    enabled: row.enabled === 1,
    tags: [],
    options: {},
  });
}

export function projectView(request: FastifyRequest, row: ProjectRow, tags: readonly string[]): Record<string, unknown> {
  return entityView(request, 'projects', row, {
    name: row.name,
    domain_id: row.domain_id,
    description: row.description,
    enabled: row.enabled === 1,
    parent_id: row.parent_id ?? row.domain_id,
    is_domain: false,
    tags: [...tags],
    options: {},
  });
}

/** A domain seen through /v3/projects (is_domain=true), as Keystone shows it. */
export function domainAsProjectView(request: FastifyRequest, row: DomainRow): Record<string, unknown> {
  return entityView(request, 'projects', row, {
    name: row.name,
    domain_id: null,
    description: row.description,
    enabled: row.enabled === 1,
    parent_id: null,
    is_domain: true,
    tags: [],
    options: {},
  });
}

export function userView(request: FastifyRequest, row: UserRow): Record<string, unknown> {
  const view = entityView(request, 'users', row, {
    name: row.name,
    domain_id: row.domain_id,
    enabled: row.enabled === 1,
    password_expires_at: row.password_expires_at,
    options: parseJsonObject(row.options),
  });
  if (row.default_project_id) view.default_project_id = row.default_project_id;
  if (row.description) view.description = row.description;
  if (row.email) view.email = row.email;
  return view;
}

export function groupView(request: FastifyRequest, row: GroupRow): Record<string, unknown> {
  return entityView(request, 'groups', row, { name: row.name, domain_id: row.domain_id, description: row.description });
}

export function roleView(request: FastifyRequest, row: RoleRow): Record<string, unknown> {
  return entityView(request, 'roles', row, {
    name: row.name,
    domain_id: row.domain_id === '' ? null : row.domain_id,
    description: row.description || null,
    options: parseJsonObject(row.options),
  });
}

export function roleRefView(request: FastifyRequest, row: Pick<RoleRow, 'id' | 'name'>): Record<string, unknown> {
  return { id: row.id, name: row.name, links: selfLink(request, `roles/${row.id}`) };
}

export function regionView(request: FastifyRequest, row: RegionRow): Record<string, unknown> {
  return entityView(request, 'regions', row, { description: row.description, parent_region_id: row.parent_region_id });
}

export function serviceView(request: FastifyRequest, row: ServiceRow): Record<string, unknown> {
  return entityView(request, 'services', row, { type: row.type, name: row.name, description: row.description, enabled: row.enabled === 1 });
}

export function endpointView(request: FastifyRequest, row: EndpointRow): Record<string, unknown> {
  return entityView(request, 'endpoints', row, {
    interface: row.interface,
    region: row.region_id,
    region_id: row.region_id,
    service_id: row.service_id,
    url: row.url,
    enabled: row.enabled === 1,
  });
}
