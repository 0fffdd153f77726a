/**
 * Shared pieces of the metadata definitions catalog: its policy (admins write; readers see public
 * namespaces and their own project's), lookups, views and the resource types every Glance knows.
 */
import { isAdmin, isReader, type AuthContext } from '../../policy/context.js';
import type { MetadefNamespaceRow, MetadefObjectRow, MetadefPropertyRow, MetadefTagRow } from '../../store/schema-image.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { badRequest, notFound, policyForbidden } from '../errors.js';
import { firstViolation, pyRepr, schemaMismatch } from '../validate.js';
import type { JsonSchema } from '../schemas.js';
import { glanceTime } from '../views.js';

export const KNOWN_RESOURCE_TYPES = ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server', 'OS::Trove::Instance'];

export async function seedResourceTypes(db: Db): Promise<void> {
  const now = nowIso();
  await db.insertInto('metadef_resource_types')
    .values(KNOWN_RESOURCE_TYPES.map((name) => ({ name, protected: 1, created_at: now, updated_at: now })))
    .onConflict((oc) => oc.column('name').doNothing()).execute();
}

export function canSeeNamespace(ctx: AuthContext, row: MetadefNamespaceRow): boolean {
  return isAdmin(ctx) || (isReader(ctx) && (row.visibility === 'public' || row.owner === ctx.projectId));
}

/** The namespace if the caller may see it, else 404 (a private namespace of another project included). */
export async function visibleNamespace(ctx: AuthContext, db: Db | Tx, name: string): Promise<MetadefNamespaceRow> {
  const row = await db.selectFrom('metadef_namespaces').selectAll().where('namespace', '=', name).executeTakeFirst();
  if (!row || !canSeeNamespace(ctx, row)) throw notFound(`Metadata definition namespace=${name} was not found.`);
  return row;
}

/** Every change to the catalog is an admin's (Glance's default metadef policy). */
export function requireMetadefAdmin(ctx: AuthContext, action: string): void {
  if (!isAdmin(ctx)) throw policyForbidden(action);
}

/** A request body validated against a schema, with Glance's 400 wording. */
export function validBody(body: unknown, schema: JsonSchema): Record<string, unknown> {
  if (body === undefined) throw badRequest('Body expected in request.');
  const problem = body === null || typeof body !== 'object' || Array.isArray(body)
    ? `${pyRepr(body)} is not of type 'object'` : firstViolation(schema, body);
  if (problem) throw badRequest(schemaMismatch(String(schema.name), problem));
  return body as Record<string, unknown>;
}

/** Drops the parts a stored definition must not keep ($ref-typed fields are checked loosely). */
export function loose(schema: JsonSchema): JsonSchema {
  const properties = { ...(schema.properties as Record<string, JsonSchema>) };
  for (const [key, value] of Object.entries(properties)) {
    if ('$ref' in value) properties[key] = key === 'required' ? { type: 'array', items: { type: 'string' } } : { type: 'object' };
    if (value.readOnly) delete properties[key];
  }
  return { ...schema, properties };
}

export function namespaceView(row: MetadefNamespaceRow): Record<string, unknown> {
  const view: Record<string, unknown> = { namespace: row.namespace };
  if (row.display_name !== null) view.display_name = row.display_name;
  if (row.description !== null) view.description = row.description;
  Object.assign(view, {
    visibility: row.visibility,
    protected: row.protected === 1,
    owner: row.owner,
    created_at: glanceTime(row.created_at),
    updated_at: glanceTime(row.updated_at),
    schema: '/v2/schemas/metadefs/namespace',
    self: `/v2/metadefs/namespaces/${row.namespace}`,
  });
  return view;
}

export function objectView(row: MetadefObjectRow): Record<string, unknown> {
  return {
    name: row.name,
    ...(JSON.parse(row.body) as Record<string, unknown>),
    created_at: glanceTime(row.created_at),
    updated_at: glanceTime(row.updated_at),
    schema: '/v2/schemas/metadefs/object',
    self: `/v2/metadefs/namespaces/${row.namespace}/objects/${row.name}`,
  };
}

export function propertyView(row: MetadefPropertyRow): Record<string, unknown> {
  return { name: row.name, ...(JSON.parse(row.body) as Record<string, unknown>) };
}

export function tagView(row: MetadefTagRow): Record<string, unknown> {
  return { name: row.name, created_at: glanceTime(row.created_at), updated_at: glanceTime(row.updated_at) };
}

/** The definition fields of an object or property: everything but its name and server fields. */
export function definitionBody(body: Record<string, unknown>): string {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!['name', 'created_at', 'updated_at', 'schema', 'self'].includes(key)) rest[key] = value;
  }
  return JSON.stringify(rest);
}
