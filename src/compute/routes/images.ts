/**
 * /images[/detail], /images/{id}, /images/{id}/metadata[/{key}]: Nova's image proxy over
 * Glance's tables, for clients below microversion 2.36 (from 2.36 these are 404s, as in Nova).
 * Filters: name, status, changes-since, server, type, minRam, minDisk, property-*; limit/marker.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { AuthContext } from '../../policy/context.js';
import type { ImageRow } from '../../store/schema-image.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { MAX_LIMIT, nonNegativeParam, param, queryOf, type Query } from '../catalog/query.js';
import { userQuotas } from '../catalog/quotas.js';
import { invalid, isObject, pyRepr } from '../catalog/validate.js';
import { deleteImage } from '../lifecycle/snapshot.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { computeRoot } from '../servers/views.js';
import { metadataMap } from '../servers/input-types.js';
import { imageBrief, imageDetail, imageNotFound, listableImages, modifiableImage, propertiesOf, visibleImage } from '../images/proxy.js';

type IdParams = { Params: { id: string } };
type KeyParams = { Params: { id: string; key: string } };

function deprecated(request: FastifyRequest): void {
  if (atLeast(request, '2.36')) throw notFound('The resource could not be found.');
}

async function filtered(service: ComputeService, request: FastifyRequest, ctx: AuthContext): Promise<{ rows: ImageRow[]; props: Map<string, Record<string, string>>; query: Query; limited: boolean }> {
  const query = queryOf(request);
  let rows = await listableImages(service.db, ctx);
  const props = await propertiesOf(service.db, rows.map((r) => r.id));
  const p = (id: string) => props.get(id) ?? {};
  const name = param(query, 'name');
  if (name !== undefined) rows = rows.filter((r) => r.name === name);
  const status = param(query, 'status')?.toLowerCase();
  if (status !== undefined) rows = rows.filter((r) => r.status === status || (status === 'saving' && r.status === 'queued'));
  const since = param(query, 'changes-since');
  if (since !== undefined) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) throw badRequest(`Invalid changes-since value`);
    rows = rows.filter((r) => Date.parse(r.updated_at) >= t);
  }
  const server = param(query, 'server');
  if (server !== undefined) {
    const id = server.replace(/\/+$/, '').split('/').pop();
    rows = rows.filter((r) => p(r.id).instance_uuid === id);
  }
  const type = param(query, 'type');
  if (type !== undefined) rows = rows.filter((r) => p(r.id).image_type === type);
  for (const [key, column] of [['minRam', 'min_ram'], ['minDisk', 'min_disk']] as const) {
    const v = param(query, key);
    if (v === undefined) continue;
    if (!/^[0-9]+$/.test(v)) throw badRequest(`Invalid ${key} value: ${v}`);
    rows = rows.filter((r) => r[column] >= Number(v));
  }
  for (const key of Object.keys(query)) {
    if (!key.startsWith('property-')) continue;
    const v = param(query, key);
    rows = rows.filter((r) => p(r.id)[key.slice('property-'.length)] === v);
  }
  const marker = param(query, 'marker');
  if (marker !== undefined) {
    const index = rows.findIndex((r) => r.id === marker);
    if (index < 0) throw badRequest(`marker [${marker}] not found`);
    rows = rows.slice(index + 1);
  }
  const limit = Math.min(nonNegativeParam(query, 'limit') ?? MAX_LIMIT, MAX_LIMIT);
  const limited = rows.length > limit;
  return { rows: rows.slice(0, limit), props, query, limited: limited || ('limit' in query && rows.length === limit) };
}

function pageLinks(request: FastifyRequest, query: Query, rows: ImageRow[], limited: boolean, detail: boolean): Record<string, unknown> {
  const last = rows[rows.length - 1];
  if (!limited || !last) return {};
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) if (key !== 'marker') params.set(key, param(query, key) ?? '');
  params.set('marker', last.id);
  return { images_links: [{ rel: 'next', href: `${computeRoot(request)}/v2.1/images${detail ? '/detail' : ''}?${params.toString()}` }] };
}

async function metadataOf(tx: Tx, id: string): Promise<Record<string, string>> {
  return (await propertiesOf(tx, [id])).get(id) ?? {};
}

async function writeMetadata(service: ComputeService, ctx: AuthContext, id: string, items: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
  return service.store.transaction(async (tx) => {
    const image = await modifiableImage(tx, ctx, id);
    const next = { ...(replace ? {} : await metadataOf(tx, image.id)), ...items };
    const limit = ctx.projectId ? (await userQuotas(tx, ctx.projectId, ctx.userId)).metadata_items ?? -1 : -1;
    if (limit >= 0 && Object.keys(next).length > limit) throw forbidden('Image metadata limit exceeded');
    if (replace) await tx.deleteFrom('image_properties').where('image_id', '=', image.id).execute();
    for (const [name, value] of Object.entries(items)) {
      await tx.insertInto('image_properties').values({ image_id: image.id, name, value })
        .onConflict((oc) => oc.columns(['image_id', 'name']).doUpdateSet({ value })).execute();
    }
    await tx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', image.id).execute();
    return metadataOf(tx, image.id);
  });
}

function body(value: unknown, key: 'metadata' | 'meta'): Record<string, string> {
  if (!isObject(value) || !(key in value)) throw invalid(key, value ?? null, `'${key}' is a required property`);
  const extra = Object.keys(value).filter((k) => k !== key);
  if (extra.length) throw invalid(key, value, `Additional properties are not allowed ('${extra[0]}' was unexpected)`);
  if (!isObject(value[key])) throw invalid(key, value[key], `${pyRepr(value[key])} is not of type 'object'`);
  return metadataMap(value[key], key);
}

export async function imageRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get('/images', async (request) => {
    deprecated(request);
    const page = await filtered(service, request, caller(request));
    return { images: page.rows.map((r) => imageBrief(request, r)), ...pageLinks(request, page.query, page.rows, page.limited, false) };
  });

  app.get('/images/detail', async (request) => {
    deprecated(request);
    const page = await filtered(service, request, caller(request));
    return { images: page.rows.map((r) => imageDetail(request, r, page.props.get(r.id) ?? {})), ...pageLinks(request, page.query, page.rows, page.limited, true) };
  });

  app.get<IdParams>('/images/:id', async (request) => {
    deprecated(request);
    const row = await visibleImage(service.db, caller(request), request.params.id);
    return { image: imageDetail(request, row, (await propertiesOf(service.db, [row.id])).get(row.id) ?? {}) };
  });

  app.delete<IdParams>('/images/:id', async (request, reply) => {
    deprecated(request);
    const ctx = caller(request);
    await service.store.transaction(async (tx) => {
      const row = await visibleImage(tx, ctx, request.params.id).catch(() => { throw imageNotFound(); });
      const image = await modifiableImage(tx, ctx, row.id).catch(() => { throw forbidden('You are not allowed to delete the image.'); });
      if (image.protected === 1) throw forbidden('You are not allowed to delete the image.');
      await deleteImage(tx, service.conductor.imageData, image.id);
    });
    return reply.code(204).send();
  });

  app.get<IdParams>('/images/:id/metadata', async (request) => {
    deprecated(request);
    const row = await visibleImage(service.db, caller(request), request.params.id);
    return { metadata: (await propertiesOf(service.db, [row.id])).get(row.id) ?? {} };
  });

  app.post<IdParams>('/images/:id/metadata', async (request) => {
    deprecated(request);
    return { metadata: await writeMetadata(service, caller(request), request.params.id, body(request.body, 'metadata'), false) };
  });

  app.put<IdParams>('/images/:id/metadata', async (request) => {
    deprecated(request);
    return { metadata: await writeMetadata(service, caller(request), request.params.id, body(request.body, 'metadata'), true) };
  });

  app.get<KeyParams>('/images/:id/metadata/:key', async (request) => {
    deprecated(request);
    const row = await visibleImage(service.db, caller(request), request.params.id);
    const value = ((await propertiesOf(service.db, [row.id])).get(row.id) ?? {})[request.params.key];
    if (value === undefined) throw notFound(`Image ${row.id} has no metadata with key ${request.params.key}.`);
    return { meta: { [request.params.key]: value } };
  });

  app.put<KeyParams>('/images/:id/metadata/:key', async (request) => {
    deprecated(request);
    const items = body(request.body, 'meta');
    const keys = Object.keys(items);
    if (keys.length > 1) throw badRequest('Request body contains too many items');
    if (keys[0] !== request.params.key) throw badRequest('Request body and URI mismatch');
    await writeMetadata(service, caller(request), request.params.id, items, false);
    return { meta: items };
  });

  app.delete<KeyParams>('/images/:id/metadata/:key', async (request, reply) => {
    deprecated(request);
    const ctx = caller(request);
    await service.store.transaction(async (tx) => {
      const image = await modifiableImage(tx, ctx, request.params.id);
      const result = await tx.deleteFrom('image_properties').where('image_id', '=', image.id).where('name', '=', request.params.key).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound(`Image ${image.id} has no metadata with key ${request.params.key}.`);
      await tx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', image.id).execute();
    });
    return reply.code(204).send();
  });
}
