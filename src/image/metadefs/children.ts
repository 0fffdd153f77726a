/** A namespace's objects, properties and tags, and resource types with their associations. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isUniqueViolation, type Db, type Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { glanceTime } from '../views.js';
import {
  definitionBody, loose, objectView, propertyView, requireMetadefAdmin, tagView, validBody, visibleNamespace,
} from './common.js';
import { metadefSchemas } from './schemas.js';

type Transaction = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
type Kind = { path: 'objects' | 'properties'; table: 'metadef_objects' | 'metadef_properties'; label: string; schema: string };

const KINDS: readonly Kind[] = [
  { path: 'objects', table: 'metadef_objects', label: 'object', schema: 'object' },
  { path: 'properties', table: 'metadef_properties', label: 'property', schema: 'property' },
];

function missing(label: string, name: string, ns: string) {
  return notFound(`Metadata definition ${label} not found for namespace=${ns}: ${name}`);
}

async function insertOrConflict(run: () => Promise<unknown>, message: string): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message);
    throw err;
  }
}

/** Objects and properties: named definitions stored as JSON. */
function definitionRoutes(app: FastifyInstance, db: Db, transaction: Transaction, kind: Kind): void {
  const view = kind.path === 'objects' ? objectView : propertyView;
  const schema = loose(metadefSchemas[kind.schema]?.() ?? {});
  const base = `/v2/metadefs/namespaces/:ns/${kind.path}`;

  app.get(base, async (request) => {
    const { ns } = request.params as { ns: string };
    await visibleNamespace(caller(request), db, ns);
    const rows = await db.selectFrom(kind.table).selectAll().where('namespace', '=', ns).orderBy('name').execute();
    if (kind.path === 'objects') return { objects: rows.map(view), schema: 'v2/schemas/metadefs/objects' };
    return { properties: Object.fromEntries(rows.map((r) => { const { name, ...rest } = view(r); return [name as string, rest]; })) };
  });

  app.post(base, async (request, reply) => {
    const ctx = caller(request);
    const { ns } = request.params as { ns: string };
    const body = validBody(request.body, schema);
    const row = await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, `add_metadef_${kind.label}`);
      const now = nowIso();
      const created = { namespace: ns, name: body.name as string, body: definitionBody(body), created_at: now, updated_at: now };
      await insertOrConflict(() => tx.insertInto(kind.table).values(created).execute(),
        `A metadata definition ${kind.label} with name=${created.name} already exists in namespace=${ns}.`);
      return created;
    });
    reply.code(201);
    return view(row);
  });

  app.get(`${base}/:name`, async (request) => {
    const { ns, name } = request.params as { ns: string; name: string };
    await visibleNamespace(caller(request), db, ns);
    const row = await db.selectFrom(kind.table).selectAll().where('namespace', '=', ns).where('name', '=', name).executeTakeFirst();
    if (!row) throw missing(kind.label, name, ns);
    return view(row);
  });

  app.put(`${base}/:name`, async (request) => {
    const ctx = caller(request);
    const { ns, name } = request.params as { ns: string; name: string };
    const body = validBody(request.body, schema);
    const row = await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, `modify_metadef_${kind.label}`);
      const current = await tx.selectFrom(kind.table).selectAll().where('namespace', '=', ns).where('name', '=', name).executeTakeFirst();
      if (!current) throw missing(kind.label, name, ns);
      const next = { ...current, name: body.name as string, body: definitionBody(body), updated_at: nowIso() };
      await insertOrConflict(() => tx.updateTable(kind.table).set({ name: next.name, body: next.body, updated_at: next.updated_at })
        .where('namespace', '=', ns).where('name', '=', name).execute(),
      `A metadata definition ${kind.label} with name=${next.name} already exists in namespace=${ns}.`);
      return next;
    });
    return view(row);
  });

  app.delete(`${base}/:name`, async (request, reply) => {
    const ctx = caller(request);
    const { ns, name } = request.params as { ns: string; name: string };
    await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, `delete_metadef_${kind.label}`);
      const gone = await tx.deleteFrom(kind.table).where('namespace', '=', ns).where('name', '=', name).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw missing(kind.label, name, ns);
    });
    reply.code(204).send();
  });
}

function tagRoutes(app: FastifyInstance, db: Db, transaction: Transaction): void {
  const base = '/v2/metadefs/namespaces/:ns/tags';
  const one = async (ns: string, name: string, tx: Db | Tx = db) => {
    const row = await tx.selectFrom('metadef_tags').selectAll().where('namespace', '=', ns).where('name', '=', name).executeTakeFirst();
    if (!row) throw missing('tag', name, ns);
    return row;
  };

  app.get(base, async (request) => {
    const { ns } = request.params as { ns: string };
    await visibleNamespace(caller(request), db, ns);
    const rows = await db.selectFrom('metadef_tags').selectAll().where('namespace', '=', ns).orderBy('created_at').orderBy('name').execute();
    return { tags: rows.map(tagView) };
  });

  // Bulk create replaces the namespace's tags, unless X-Openstack-Append asks to add to them.
  app.post(base, async (request, reply) => {
    const ctx = caller(request);
    const { ns } = request.params as { ns: string };
    const body = validBody(request.body, { name: 'tags', type: 'object', properties: { tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string', maxLength: 255 } }, required: ['name'] } } }, required: ['tags'] });
    const names = (body.tags as { name: string }[]).map((t) => t.name);
    if (new Set(names).size !== names.length) throw conflict(`A metadata tag with name=${names.find((n, i) => names.indexOf(n) !== i)} already exists in namespace=${ns}.`);
    const append = String(request.headers['x-openstack-append'] ?? '').toLowerCase() === 'true';
    const rows = await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'add_metadef_tags');
      if (!append) await tx.deleteFrom('metadef_tags').where('namespace', '=', ns).execute();
      const now = nowIso();
      const created = names.map((name) => ({ namespace: ns, name, created_at: now, updated_at: now }));
      if (created.length) {
        await insertOrConflict(() => tx.insertInto('metadef_tags').values(created).execute(), `A metadata tag already exists in namespace=${ns}.`);
      }
      return created;
    });
    reply.code(201);
    return { tags: rows.map((r) => ({ name: r.name })) };
  });

  app.post(`${base}/:name`, async (request, reply) => {
    const ctx = caller(request);
    const { ns, name } = request.params as { ns: string; name: string };
    if (name.length > 255) throw badRequest(`Tag name is too long: ${name}`);
    const row = await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'add_metadef_tag');
      const now = nowIso();
      const created = { namespace: ns, name, created_at: now, updated_at: now };
      await insertOrConflict(() => tx.insertInto('metadef_tags').values(created).execute(), `A metadata tag with name=${name} already exists in namespace=${ns}.`);
      return created;
    });
    reply.code(201);
    return tagView(row);
  });

  app.get(`${base}/:name`, async (request) => {
    const { ns, name } = request.params as { ns: string; name: string };
    await visibleNamespace(caller(request), db, ns);
    return tagView(await one(ns, name));
  });

  app.put(`${base}/:name`, async (request) => {
    const ctx = caller(request);
    const { ns, name } = request.params as { ns: string; name: string };
    const body = validBody(request.body, { name: 'tag', type: 'object', properties: { name: { type: 'string', maxLength: 255 } }, required: ['name'] });
    const row = await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'modify_metadef_tag');
      const current = await one(ns, name, tx);
      const next = { ...current, name: body.name as string, updated_at: nowIso() };
      await insertOrConflict(() => tx.updateTable('metadef_tags').set({ name: next.name, updated_at: next.updated_at })
        .where('namespace', '=', ns).where('name', '=', name).execute(), `A metadata tag with name=${next.name} already exists in namespace=${ns}.`);
      return next;
    });
    return tagView(row);
  });

  app.delete(`${base}/:name`, async (request, reply) => {
    const ctx = caller(request);
    const { ns, name } = request.params as { ns: string; name: string };
    await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'delete_metadef_tag');
      await one(ns, name, tx);
      await tx.deleteFrom('metadef_tags').where('namespace', '=', ns).where('name', '=', name).execute();
    });
    reply.code(204).send();
  });
}

function resourceTypeRoutes(app: FastifyInstance, db: Db, transaction: Transaction): void {
  app.get('/v2/metadefs/resource_types', async () => {
    const rows = await db.selectFrom('metadef_resource_types').selectAll().orderBy('name').execute();
    return { resource_types: rows.map((r) => ({ name: r.name, created_at: glanceTime(r.created_at), updated_at: glanceTime(r.updated_at) })) };
  });

  const assocView = (r: { resource_type: string; prefix: string | null; properties_target: string | null; created_at: string; updated_at: string }) => ({
    name: r.resource_type,
    ...(r.prefix !== null ? { prefix: r.prefix } : {}),
    ...(r.properties_target !== null ? { properties_target: r.properties_target } : {}),
    created_at: glanceTime(r.created_at),
    updated_at: glanceTime(r.updated_at),
  });

  app.get('/v2/metadefs/namespaces/:ns/resource_types', async (request) => {
    const { ns } = request.params as { ns: string };
    await visibleNamespace(caller(request), db, ns);
    const rows = await db.selectFrom('metadef_namespace_resource_types').selectAll().where('namespace', '=', ns).orderBy('created_at').execute();
    return { resource_type_associations: rows.map(assocView) };
  });

  app.post('/v2/metadefs/namespaces/:ns/resource_types', async (request, reply) => {
    const ctx = caller(request);
    const { ns } = request.params as { ns: string };
    const body = validBody(request.body, loose(metadefSchemas.resource_type?.() ?? {}));
    const row = await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'add_metadef_resource_type_association');
      const now = nowIso();
      await tx.insertInto('metadef_resource_types').values({ name: body.name as string, protected: 0, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing()).execute();
      const created = {
        namespace: ns, resource_type: body.name as string, prefix: (body.prefix as string | undefined) ?? null,
        properties_target: (body.properties_target as string | undefined) ?? null, created_at: now, updated_at: now,
      };
      await insertOrConflict(() => tx.insertInto('metadef_namespace_resource_types').values(created).execute(),
        `The metadata definition resource-type association of resource-type=${created.resource_type} to namespace=${ns}, already exists.`);
      return created;
    });
    reply.code(201);
    return assocView(row);
  });

  app.delete('/v2/metadefs/namespaces/:ns/resource_types/:name', async (request, reply) => {
    const ctx = caller(request);
    const { ns, name } = request.params as { ns: string; name: string };
    await transaction(async (tx) => {
      await visibleNamespace(ctx, tx, ns);
      requireMetadefAdmin(ctx, 'remove_metadef_resource_type_association');
      const gone = await tx.deleteFrom('metadef_namespace_resource_types').where('namespace', '=', ns).where('resource_type', '=', name).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw notFound(`The metadata definition resource-type association of resource-type=${name} to namespace=${ns}, was not found.`);
    });
    reply.code(204).send();
  });
}

export async function metadefChildRoutes(app: FastifyInstance, db: Db, transaction: Transaction): Promise<void> {
  for (const kind of KINDS) definitionRoutes(app, db, transaction, kind);
  tagRoutes(app, db, transaction);
  resourceTypeRoutes(app, db, transaction);
}
