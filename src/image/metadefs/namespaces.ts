/** /v2/metadefs/namespaces: list, create (with nested definitions), show (with them), update, delete. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { MetadefNamespaceRow } from '../../store/schema-image.js';
import { isUniqueViolation, type Db, type Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { badRequest, conflict, forbidden } from '../errors.js';
import {
  definitionBody, loose, namespaceView, objectView, propertyView, requireMetadefAdmin, tagView, validBody, visibleNamespace,
} from './common.js';
import { metadefSchemas } from './schemas.js';

const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at'];

function namespaceBody(body: unknown): Record<string, unknown> {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    for (const key of READ_ONLY) if (key in body) throw forbidden(`Attribute '${key}' is read-only.`);
  }
  return validBody(body, loose(metadefSchemas.namespace?.() ?? {}));
}

async function associate(tx: Tx, namespace: string, association: Record<string, unknown>, now: string): Promise<void> {
  const name = association.name as string;
  await tx.insertInto('metadef_resource_types').values({ name, protected: 0, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing()).execute();
  await tx.insertInto('metadef_namespace_resource_types').values({
    namespace, resource_type: name, prefix: (association.prefix as string | undefined) ?? null,
    properties_target: (association.properties_target as string | undefined) ?? null, created_at: now, updated_at: now,
  }).execute();
}

/** Namespace with its resource type associations, objects, properties and tags (as `show` gives it). */
export async function namespaceDetail(db: Db | Tx, row: MetadefNamespaceRow, withChildren: boolean): Promise<Record<string, unknown>> {
  const view = namespaceView(row);
  const rts = await db.selectFrom('metadef_namespace_resource_types').selectAll().where('namespace', '=', row.namespace).orderBy('created_at').execute();
  if (rts.length) {
    view.resource_type_associations = rts.map((r) => ({
      name: r.resource_type, ...(r.prefix !== null ? { prefix: r.prefix } : {}),
      ...(r.properties_target !== null ? { properties_target: r.properties_target } : {}),
      created_at: `${r.created_at.slice(0, 19)}Z`, updated_at: `${r.updated_at.slice(0, 19)}Z`,
    }));
  }
  if (!withChildren) return view;
  const objects = await db.selectFrom('metadef_objects').selectAll().where('namespace', '=', row.namespace).orderBy('name').execute();
  if (objects.length) view.objects = objects.map(objectView);
  const properties = await db.selectFrom('metadef_properties').selectAll().where('namespace', '=', row.namespace).orderBy('name').execute();
  if (properties.length) view.properties = Object.fromEntries(properties.map((p) => { const { name, ...rest } = propertyView(p); return [name as string, rest]; }));
  const tags = await db.selectFrom('metadef_tags').selectAll().where('namespace', '=', row.namespace).orderBy('name').execute();
  if (tags.length) view.tags = tags.map((t) => ({ name: tagView(t).name }));
  return view;
}

async function createNamespace(ctx: AuthContext, tx: Tx, body: Record<string, unknown>): Promise<MetadefNamespaceRow> {
  const now = nowIso();
  const row: MetadefNamespaceRow = {
    namespace: body.namespace as string,
    display_name: (body.display_name as string | undefined) ?? null,
    description: (body.description as string | undefined) ?? null,
    visibility: (body.visibility as string | undefined) ?? 'private',
    protected: body.protected === true ? 1 : 0,
    owner: (body.owner as string | undefined) ?? ctx.projectId ?? '',
    created_at: now,
    updated_at: now,
  };
  try {
    await tx.insertInto('metadef_namespaces').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Metadata definition namespace=${row.namespace} already exists.`);
    throw err;
  }
  for (const a of (body.resource_type_associations ?? []) as Record<string, unknown>[]) {
    if (typeof a.name !== 'string') throw badRequest("Couldn't create metadata namespace: a resource type association needs a name.");
    await associate(tx, row.namespace, a, now);
  }
  for (const o of (body.objects ?? []) as Record<string, unknown>[]) {
    if (typeof o.name !== 'string') throw badRequest("Couldn't create metadata namespace: an object needs a name.");
    await tx.insertInto('metadef_objects').values({ namespace: row.namespace, name: o.name, body: definitionBody(o), created_at: now, updated_at: now }).execute();
  }
  for (const [name, p] of Object.entries((body.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw badRequest(`Couldn't create metadata namespace: property ${name} must be an object.`);
    await tx.insertInto('metadef_properties').values({ namespace: row.namespace, name, body: definitionBody(p), created_at: now, updated_at: now }).execute();
  }
  for (const t of (body.tags ?? []) as Record<string, unknown>[]) {
    if (typeof t.name !== 'string') throw badRequest("Couldn't create metadata namespace: a tag needs a name.");
    await tx.insertInto('metadef_tags').values({ namespace: row.namespace, name: t.name, created_at: now, updated_at: now })
      .onConflict((oc) => oc.doNothing()).execute();
  }
  return row;
}

export async function namespaceRoutes(app: FastifyInstance, db: Db, transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>): Promise<void> {
  app.get('/v2/metadefs/namespaces', async (request) => {
    const ctx = caller(request);
    const query = request.query as Record<string, string | undefined>;
    if (query.visibility !== undefined && !['public', 'private'].includes(query.visibility)) throw badRequest(`Invalid visibility value: ${query.visibility}`);
    const limit = query.limit === undefined ? 25 : Number(query.limit);
    if (!Number.isInteger(limit)) throw badRequest('limit param must be an integer');
    if (limit < 0) throw badRequest('limit param must be positive');
    let rows = await db.selectFrom('metadef_namespaces').selectAll().orderBy('created_at').orderBy('namespace').execute();
    rows = rows.filter((r) => isAdmin(ctx) || r.visibility === 'public' || r.owner === ctx.projectId);
    if (query.visibility) rows = rows.filter((r) => r.visibility === query.visibility);
    if (query.resource_types) {
      const wanted = query.resource_types.split(',');
      const linked = await db.selectFrom('metadef_namespace_resource_types').select('namespace').where('resource_type', 'in', wanted).execute();
      const names = new Set(linked.map((l) => l.namespace));
      rows = rows.filter((r) => names.has(r.namespace));
    }
    if (query.marker !== undefined) {
      const at = rows.findIndex((r) => r.namespace === query.marker);
      if (at < 0) throw badRequest(`Metadata definition namespace=${query.marker} was not found.`);
      rows = rows.slice(at + 1);
    }
    const page = rows.slice(0, Math.min(limit, 1000));
    const result: Record<string, unknown> = {
      namespaces: await Promise.all(page.map((r) => namespaceDetail(db, r, false))),
      first: '/v2/metadefs/namespaces',
      schema: '/v2/schemas/metadefs/namespaces',
    };
    if (page.length > 0 && page.length === limit && rows.length > limit) result.next = `/v2/metadefs/namespaces?marker=${encodeURIComponent((page.at(-1) as MetadefNamespaceRow).namespace)}`;
    return result;
  });

  app.post('/v2/metadefs/namespaces', async (request, reply) => {
    const ctx = caller(request);
    const body = namespaceBody(request.body);
    requireMetadefAdmin(ctx, 'add_metadef_namespace');
    const view = await transaction(async (tx) => namespaceDetail(tx, await createNamespace(ctx, tx, body), true));
    reply.code(201).header('Location', `/v2/metadefs/namespaces/${body.namespace as string}`);
    return view;
  });

  app.get('/v2/metadefs/namespaces/:ns', async (request) => {
    const { ns } = request.params as { ns: string };
    return namespaceDetail(db, await visibleNamespace(caller(request), db, ns), true);
  });

  app.put('/v2/metadefs/namespaces/:ns', async (request) => {
    const ctx = caller(request);
    const { ns } = request.params as { ns: string };
    const body = namespaceBody(request.body);
    return transaction(async (tx) => {
      const current = await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'modify_metadef_namespace');
      const next: MetadefNamespaceRow = {
        ...current,
        namespace: body.namespace as string,
        display_name: (body.display_name as string | undefined) ?? current.display_name,
        description: (body.description as string | undefined) ?? current.description,
        visibility: (body.visibility as string | undefined) ?? current.visibility,
        protected: body.protected === undefined ? current.protected : body.protected === true ? 1 : 0,
        owner: (body.owner as string | undefined) ?? current.owner,
        updated_at: nowIso(),
      };
      try {
        await tx.updateTable('metadef_namespaces').set(next).where('namespace', '=', ns).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`Metadata definition namespace=${next.namespace} already exists.`);
        throw err;
      }
      return namespaceDetail(tx, next, true);
    });
  });

  app.delete('/v2/metadefs/namespaces/:ns', async (request, reply) => {
    const ctx = caller(request);
    const { ns } = request.params as { ns: string };
    await transaction(async (tx) => {
      const current = await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'delete_metadef_namespace');
      if (current.protected === 1) throw forbidden(`Metadata definition namespace ${ns} is protected and cannot be deleted.`);
      await tx.deleteFrom('metadef_namespaces').where('namespace', '=', ns).execute();
    });
    reply.code(204).send();
  });

  // Bulk deletes of a namespace's contents.
  for (const [path, table] of [['objects', 'metadef_objects'], ['properties', 'metadef_properties'], ['tags', 'metadef_tags']] as const) {
    app.delete(`/v2/metadefs/namespaces/:ns/${path}`, async (request, reply) => {
      const ctx = caller(request);
      const { ns } = request.params as { ns: string };
      await transaction(async (tx) => {
        const current = await visibleNamespace(ctx, tx, ns);
        requireMetadefAdmin(ctx, `delete_metadef_${path}`);
        if (current.protected === 1) throw forbidden(`Metadata definition namespace ${ns} is protected and cannot be deleted.`);
        await tx.deleteFrom(table).where('namespace', '=', ns).execute();
      });
      reply.code(204).send();
    });
  }
}
