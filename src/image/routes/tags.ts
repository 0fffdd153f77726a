/** PUT/DELETE /v2/images/{id}/tags/{tag}: add (idempotent) and remove one tag. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { nowIso } from '../../util/ids.js';
import { badRequest, notFound, policyForbidden, tooLarge } from '../errors.js';
import { canModify } from '../policy.js';
import { imageSchema } from '../schemas.js';
import { LIMITS, type ImageService } from '../service.js';
import { firstViolation, schemaMismatch } from '../validate.js';

/** Tags are up to 255 characters, longer than a route parameter may be: they are the path's tail. */
function tagOf(params: unknown): { id: string; tag: string } {
  const { id, '*': tag } = params as { id: string; '*': string };
  if (tag === '') throw notFound();
  return { id, tag };
}

export async function tagRoutes(app: FastifyInstance, service: ImageService): Promise<void> {
  app.put('/v2/images/:id/tags/*', async (request, reply) => {
    const ctx = caller(request);
    const { id, tag } = tagOf(request.params);
    const problem = firstViolation(imageSchema(), { tags: [tag] });
    if (problem) throw badRequest(schemaMismatch('image', problem));
    await service.store.transaction(async (tx) => {
      const row = await service.visible(ctx, id, tx);
      if (!canModify(ctx, row)) throw policyForbidden('modify_image');
      const tags = (await service.tagsOf([id], tx)).get(id) ?? [];
      if (tags.includes(tag)) return;
      if (tags.length >= LIMITS.tags) throw tooLarge(`Image tag limit exceeded for image ${id}: Maximum number of tags exceeded (${LIMITS.tags}).`);
      await tx.insertInto('image_tags').values({ image_id: id, tag }).onConflict((oc) => oc.doNothing()).execute();
      await tx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute();
    });
    reply.code(204).send();
  });

  app.delete('/v2/images/:id/tags/*', async (request, reply) => {
    const ctx = caller(request);
    const { id, tag } = tagOf(request.params);
    await service.store.transaction(async (tx) => {
      const row = await service.visible(ctx, id, tx);
      if (!canModify(ctx, row)) throw policyForbidden('modify_image');
      const removed = await tx.deleteFrom('image_tags').where('image_id', '=', id).where('tag', '=', tag).executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) throw notFound(`Tag ${tag} not found for image ${id}.`);
      await tx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute();
    });
    reply.code(204).send();
  });
}
