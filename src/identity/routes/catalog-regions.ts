/** /v3/regions: the region tree that endpoints live in. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError, badRequest, conflict } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { RegionRow } from '../../store/schema.js';
import type { Db, Tx } from '../../store/store.js';
import { hexId } from '../../util/ids.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { collectionLinks, regionView } from '../views.js';
import { extraOf, found, mergeExtra, query, unique } from './common.js';

/** Attributes with their own column; anything else a client sends is kept as "extra". */
const KNOWN = ['id', 'description', 'parent_region_id', 'links'] as const;

const regionProperties = {
  id: { type: 'string', minLength: 1, maxLength: 255 },
  description: { type: ['string', 'null'], maxLength: 255 },
  parent_region_id: { type: ['string', 'null'], maxLength: 255 },
};

const createSchema = {
  type: 'object',
  required: ['region'],
  properties: { region: { type: 'object', properties: regionProperties } },
};

const updateSchema = {
  type: 'object',
  required: ['region'],
  properties: { region: { type: 'object', minProperties: 1, properties: regionProperties } },
};

interface RegionBody {
  readonly id?: string;
  readonly description?: string | null;
  readonly parent_region_id?: string | null;
  readonly [key: string]: unknown;
}

function regionBody(request: FastifyRequest): RegionBody {
  return (request.body as { region: RegionBody }).region;
}

/** Keystone's 403 for a region that still anchors endpoints somewhere in its subtree. */
function regionInUse(id: string): ApiError {
  return new ApiError('forbidden', `Unable to delete region ${id}: it or one of its child regions still has endpoints.`);
}

/**
 * A parent must exist (404 otherwise, as Keystone) and must not be the region itself or one of
 * its descendants: walking up from the proposed parent must never reach the region.
 */
async function checkParent(tx: Tx, regionId: string, parentId: string | null | undefined): Promise<void> {
  if (parentId === null || parentId === undefined) return;
  await found(tx.selectFrom('regions').select('id').where('id', '=', parentId).executeTakeFirst(), 'region', parentId);
  const seen = new Set<string>();
  let cursor: string | null = parentId;
  while (cursor !== null && !seen.has(cursor)) {
    if (cursor === regionId) {
      throw badRequest(`The specified parent region ${parentId} would create a circular region hierarchy.`);
    }
    seen.add(cursor);
    const row: { parent_region_id: string | null } | undefined = await tx.selectFrom('regions').select('parent_region_id').where('id', '=', cursor).executeTakeFirst();
    cursor = row?.parent_region_id ?? null;
  }
}

/** The region and all its descendants, deepest last (delete in reverse order for the FK). */
async function subtree(tx: Tx, rootId: string): Promise<string[]> {
  const ids = [rootId];
  for (let i = 0; i < ids.length; i++) {
    const children = await tx.selectFrom('regions').select('id').where('parent_region_id', '=', ids[i] as string).execute();
    for (const child of children) if (!ids.includes(child.id)) ids.push(child.id);
  }
  return ids;
}

async function createRegion(identity: IdentityService, id: string, body: RegionBody): Promise<RegionRow> {
  // The explicit check gives the usual answer; unique() covers a concurrent twin.
  return unique(identity.store.transaction(async (tx) => {
    const existing = await tx.selectFrom('regions').select('id').where('id', '=', id).executeTakeFirst();
    if (existing) throw conflict(`Conflict occurred attempting to store region: a region with ID ${id} already exists.`);
    await checkParent(tx, id, body.parent_region_id);
    const row: RegionRow = {
      id,
      description: body.description ?? '',
      parent_region_id: body.parent_region_id ?? null,
      extra: extraOf(body, KNOWN),
    };
    await tx.insertInto('regions').values(row).execute();
    return row;
  }), 'region');
}

function getRegion(db: Db | Tx, id: string): Promise<RegionRow> {
  return found(db.selectFrom('regions').selectAll().where('id', '=', id).executeTakeFirst(), 'region', id);
}

export async function regionRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/regions', async (request) => {
    enforce(policy.listRegions, caller(request));
    const q = query(request);
    let select = db.selectFrom('regions').selectAll().orderBy('id');
    if (q.parent_region_id !== undefined) select = select.where('parent_region_id', '=', q.parent_region_id);
    const rows = await select.execute();
    return { regions: rows.map((r) => regionView(request, r)), links: collectionLinks(request) };
  });

  app.get('/v3/regions/:region_id', async (request) => {
    enforce(policy.getRegion, caller(request));
    const { region_id } = request.params as { region_id: string };
    return { region: regionView(request, await getRegion(db, region_id)) };
  });

  // POST takes the id from the body when there is one (historical Keystone behaviour).
  app.post('/v3/regions', { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.manageRegion, caller(request));
    const body = regionBody(request);
    const row = await createRegion(identity, body.id ?? hexId(), body);
    reply.code(201);
    return { region: regionView(request, row) };
  });

  // PUT creates a region with the id the caller chose.
  app.put('/v3/regions/:region_id', { schema: { body: createSchema } }, async (request, reply) => {
    enforce(policy.manageRegion, caller(request));
    const { region_id } = request.params as { region_id: string };
    const body = regionBody(request);
    if (body.id !== undefined && body.id !== region_id) {
      throw badRequest(`Conflicting region IDs specified: "${region_id}" != "${body.id}".`);
    }
    const row = await createRegion(identity, region_id, body);
    reply.code(201);
    return { region: regionView(request, row) };
  });

  app.patch('/v3/regions/:region_id', { schema: { body: updateSchema } }, async (request) => {
    enforce(policy.manageRegion, caller(request));
    const { region_id } = request.params as { region_id: string };
    const body = regionBody(request);
    if (body.id !== undefined && body.id !== region_id) throw badRequest('The region ID in the body does not match the one in the URL.');
    const row = await identity.store.transaction(async (tx) => {
      const current = await getRegion(tx, region_id);
      if (body.parent_region_id !== undefined) await checkParent(tx, region_id, body.parent_region_id);
      const next: RegionRow = {
        ...current,
        description: body.description === undefined ? current.description : body.description ?? '',
        parent_region_id: body.parent_region_id === undefined ? current.parent_region_id : body.parent_region_id,
        extra: mergeExtra(current.extra, body, KNOWN),
      };
      await tx.updateTable('regions').set({ description: next.description, parent_region_id: next.parent_region_id, extra: next.extra })
        .where('id', '=', region_id).execute();
      return next;
    });
    return { region: regionView(request, row) };
  });

  // Keystone deletes the whole subtree, unless any region in it still has endpoints.
  app.delete('/v3/regions/:region_id', async (request, reply) => {
    enforce(policy.manageRegion, caller(request));
    const { region_id } = request.params as { region_id: string };
    await identity.store.transaction(async (tx) => {
      await getRegion(tx, region_id);
      const ids = await subtree(tx, region_id);
      const used = await tx.selectFrom('endpoints').select('id').where('region_id', 'in', ids).executeTakeFirst();
      if (used) throw regionInUse(region_id);
      for (const id of [...ids].reverse()) await tx.deleteFrom('regions').where('id', '=', id).execute();
    });
    reply.code(204).send();
  });
}
