/**
 * /servers/{id}/tags[/{tag}] (microversion 2.26): list, replace all, delete all, check one,
 * add one (201 with Location, 204 if present), delete one. At most 50 tags; changes need the
 * server at rest, as Nova checks.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { AuthContext } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { invalid, isObject, onlyKeys, pyRepr } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { loadServer, requireMember, requireReader } from '../servers/access.js';
import { tagString } from '../servers/input-types.js';
import { checkState, VmState } from '../servers/states.js';
import { computeRoot } from '../servers/views.js';

type IdParams = { Params: { id: string } };
type TagParams = { Params: { id: string; tag: string } };

const MAX_TAGS = 50;
const TAGGABLE = {
  vmStates: [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED, VmState.SHELVED, VmState.SHELVED_OFFLOADED],
  taskStates: [null],
};

function since226(request: FastifyRequest): void {
  if (!atLeast(request, '2.26')) throw notFound('The resource could not be found.');
}

async function tagsOf(tx: Tx, uuid: string): Promise<string[]> {
  const rows = await tx.selectFrom('instance_tags').select('tag').where('instance_uuid', '=', uuid).orderBy('tag').execute();
  return rows.map((r) => r.tag);
}

async function changeable(tx: Tx, ctx: AuthContext, id: string, action: string): Promise<string> {
  const row = await loadServer(tx, ctx, id);
  checkState(row, TAGGABLE, action);
  return row.uuid;
}

async function touch(tx: Tx, uuid: string): Promise<void> {
  await tx.updateTable('instances').set({ updated_at: nowIso() }).where('uuid', '=', uuid).execute();
}

export async function serverTagRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.get<IdParams>('/servers/:id/tags', async (request) => {
    since226(request);
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-server-tags:index');
    const row = await loadServer(service.db, ctx, request.params.id);
    return { tags: await service.store.transaction((tx) => tagsOf(tx, row.uuid)) };
  });

  app.put<IdParams>('/servers/:id/tags', async (request) => {
    since226(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-server-tags:update_all');
    const body = request.body;
    if (!isObject(body) || !('tags' in body)) throw invalid('body', body ?? null, `'tags' is a required property`);
    onlyKeys(body, ['tags'], 'body');
    const raw = body.tags;
    if (!Array.isArray(raw)) throw invalid('tags', raw, `${pyRepr(raw)} is not of type 'array'`);
    if (raw.length > MAX_TAGS) throw invalid('tags', raw, `${pyRepr(raw)} is too long`);
    const tags = [...new Set(raw.map((t) => tagString(t, 'tags')))];
    return service.store.transaction(async (tx) => {
      const uuid = await changeable(tx, ctx, request.params.id, 'update tags');
      await tx.deleteFrom('instance_tags').where('instance_uuid', '=', uuid).execute();
      if (tags.length) await tx.insertInto('instance_tags').values(tags.map((tag) => ({ instance_uuid: uuid, tag }))).execute();
      await touch(tx, uuid);
      return { tags: await tagsOf(tx, uuid) };
    });
  });

  app.delete<IdParams>('/servers/:id/tags', async (request, reply) => {
    since226(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-server-tags:delete_all');
    await service.store.transaction(async (tx) => {
      const uuid = await changeable(tx, ctx, request.params.id, 'delete tags');
      await tx.deleteFrom('instance_tags').where('instance_uuid', '=', uuid).execute();
      await touch(tx, uuid);
    });
    return reply.code(204).send();
  });

  app.get<TagParams>('/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    const ctx = caller(request);
    requireReader(ctx, 'os_compute_api:os-server-tags:show');
    const row = await loadServer(service.db, ctx, request.params.id);
    const found = await service.db.selectFrom('instance_tags').select('tag').where('instance_uuid', '=', row.uuid).where('tag', '=', request.params.tag).executeTakeFirst();
    if (!found) throw notFound(`Tag ${request.params.tag} could not be found.`);
    return reply.code(204).send();
  });

  app.put<TagParams>('/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-server-tags:update');
    const tag = tagString(request.params.tag, 'tag');
    const created = await service.store.transaction(async (tx) => {
      const uuid = await changeable(tx, ctx, request.params.id, 'update tag');
      const tags = await tagsOf(tx, uuid);
      if (tags.includes(tag)) return false;
      if (tags.length >= MAX_TAGS) throw badRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
      await tx.insertInto('instance_tags').values({ instance_uuid: uuid, tag }).execute();
      await touch(tx, uuid);
      return true;
    });
    reply.header('location', `${computeRoot(request)}/v2.1/servers/${request.params.id}/tags/${encodeURIComponent(tag)}`);
    return reply.code(created ? 201 : 204).send();
  });

  app.delete<TagParams>('/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    const ctx = caller(request);
    requireMember(ctx, 'os_compute_api:os-server-tags:delete');
    await service.store.transaction(async (tx) => {
      const uuid = await changeable(tx, ctx, request.params.id, 'delete tag');
      const result = await tx.deleteFrom('instance_tags').where('instance_uuid', '=', uuid).where('tag', '=', request.params.tag).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound(`Tag ${request.params.tag} could not be found.`);
      await touch(tx, uuid);
    });
    return reply.code(204).send();
  });
}
