/** /v2/images and /v2/images/{id}: create, list, show, update (JSON patch), delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import type { ImageRow } from '../../store/schema-image.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { insertImage, parseCreate } from '../create.js';
import { forbidden, notFound, policyForbidden } from '../errors.js';
import { listImages, type Query } from '../listing.js';
import { applyPatch, parsePatch, PATCH_MEDIA_TYPES, unsupportedPatchType, type Editable } from '../patch.js';
import { canModify } from '../policy.js';
import type { ImageService } from '../service.js';

function rawQuery(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at < 0 ? '' : request.url.slice(at + 1);
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Saves a patched image: columns, then the property and tag sets as they now are. */
async function saveImage(image: Editable, before: Editable, tx: Tx): Promise<void> {
  const { id, ...columns } = image.row;
  await tx.updateTable('images').set(columns).where('id', '=', id).execute();
  const gone = Object.keys(before.properties).filter((k) => !(k in image.properties));
  if (gone.length) await tx.deleteFrom('image_properties').where('image_id', '=', id).where('name', 'in', gone).execute();
  for (const [name, value] of Object.entries(image.properties)) {
    if (before.properties[name] === value) continue;
    await tx.insertInto('image_properties').values({ image_id: id, name, value })
      .onConflict((oc) => oc.columns(['image_id', 'name']).doUpdateSet({ value })).execute();
  }
  const oldTags = before.tags.filter((t) => !image.tags.includes(t));
  if (oldTags.length) await tx.deleteFrom('image_tags').where('image_id', '=', id).where('tag', 'in', oldTags).execute();
  const newTags = image.tags.filter((t) => !before.tags.includes(t));
  if (newTags.length) await tx.insertInto('image_tags').values(newTags.map((tag) => ({ image_id: id, tag }))).execute();
}

export async function imageRoutes(app: FastifyInstance, service: ImageService): Promise<void> {
  app.get('/v2/images', async (request) => {
    // `GET /v2/images/` names an image with an empty id, which does not exist.
    if (request.url.split('?')[0]?.endsWith('/')) throw notFound();
    return listImages(service, caller(request), request.query as Query, rawQuery(request));
  });

  app.post('/v2/images', async (request, reply) => {
    const ctx = caller(request);
    const image = parseCreate(ctx, request.body);
    await service.store.transaction((tx) => insertImage(tx, image));
    const created = await service.find(image.row.id) as ImageRow;
    reply.code(201).header('Location', `${request.protocol}://${request.headers.host}${request.url.split('?')[0]?.replace(/\/+$/, '')}/${created.id}`);
    return service.view(created);
  });

  app.get('/v2/images/:id', async (request) => {
    const { id } = request.params as { id: string };
    return service.view(await service.visible(caller(request), id));
  });

  app.patch('/v2/images/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const draft = PATCH_MEDIA_TYPES[mediaType(request)];
    if (draft === undefined) throw unsupportedPatchType();
    const changes = parsePatch(request.body, draft);
    const row = await service.store.transaction(async (tx) => {
      const current = await service.visible(ctx, id, tx);
      if (!canModify(ctx, current)) throw policyForbidden('modify_image');
      const props = (await service.propertiesOf([id], tx)).get(id) ?? {};
      const tags = (await service.tagsOf([id], tx)).get(id) ?? [];
      const before: Editable = { row: current, properties: props, tags };
      const image: Editable = { row: { ...current }, properties: { ...props }, tags: [...tags] };
      applyPatch(ctx, image, changes);
      if (changes.length) {
        image.row.updated_at = nowIso();
        await saveImage(image, before, tx);
      }
      return image.row;
    });
    return service.view(row);
  });

  app.delete('/v2/images/:id', async (request, reply) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      const current = await service.visible(ctx, id, tx);
      if (!canModify(ctx, current)) throw policyForbidden('delete_image');
      if (current.protected === 1) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
      await tx.deleteFrom('images').where('id', '=', id).execute();
    });
    // After the commit: an upload still streaming finds its image gone and cleans up after itself.
    service.data.remove(id);
    reply.code(204).send();
  });
}
