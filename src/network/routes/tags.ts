/**
 * The tags API of every taggable resource: /v2.0/{collection}/{id}/tags[/{tag}]. List, check one
 * (204), add one (201, no body), replace all, remove one, remove all. Tags are at most 255
 * characters, at most 50 per resource; each change bumps the resource's revision number, as
 * Neutron's tags are part of a resource's standard attributes. Readers of a resource may read
 * its tags; only its project's members (or an admin) change them; an invisible resource is a 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { SecurityGroupRow } from '../../store/schema-network.js';
import type { Db, Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { invalidInput, policyForbidden } from '../errors.js';
import { canWrite } from '../policy.js';
import { groupVisible, sharedGroupIds } from '../security-groups/access.js';
import type { NetworkService } from '../service.js';
import { isPlainObject } from '../../util/json.js';

export const MAX_TAG_LENGTH = 255;
export const MAX_TAGS = 50;

type Row = { id: string; project_id: string } & Record<string, unknown>;

interface Taggable {
  /** URL collection (security-groups) and Neutron's resource name in messages (security_groups). */
  readonly collection: string;
  readonly resource: string;
  readonly member: string;
  readonly table: string;
  visible(service: NetworkService, ctx: AuthContext, row: Row, db: Db | Tx): Promise<boolean>;
}

const owned = (ctx: AuthContext, row: Row): boolean => isAdmin(ctx) || row.project_id === ctx.projectId;

async function networkVisibleById(service: NetworkService, ctx: AuthContext, networkId: unknown, db: Db | Tx): Promise<boolean> {
  const net = await db.selectFrom('networks').select(['id', 'project_id', 'shared', 'external']).where('id', '=', String(networkId)).executeTakeFirst();
  return net !== undefined && service.networkVisible(ctx, net, await service.rbacGrants(ctx, db));
}

/** Every resource type Neutron's standard-attr-tag covers that Kumo has (routers and floating IPs once their tables exist). */
export const TAGGABLES: readonly Taggable[] = [
  { collection: 'networks', resource: 'networks', member: 'network', table: 'networks',
    visible: async (s, ctx, row, db) => owned(ctx, row) || networkVisibleById(s, ctx, row.id, db) },
  { collection: 'subnets', resource: 'subnets', member: 'subnet', table: 'subnets',
    visible: async (s, ctx, row, db) => owned(ctx, row) || networkVisibleById(s, ctx, row.network_id, db) },
  { collection: 'ports', resource: 'ports', member: 'port', table: 'ports',
    visible: async (_s, ctx, row, db) => owned(ctx, row)
      || (await db.selectFrom('networks').select('id').where('id', '=', String(row.network_id)).where('project_id', '=', ctx.projectId ?? '').executeTakeFirst()) !== undefined },
  { collection: 'security-groups', resource: 'security_groups', member: 'security_group', table: 'security_groups',
    visible: async (_s, ctx, row, db) => groupVisible(ctx, row as unknown as Pick<SecurityGroupRow, 'id' | 'project_id' | 'shared'>, await sharedGroupIds(db, ctx)) },
  { collection: 'subnetpools', resource: 'subnetpools', member: 'subnetpool', table: 'subnetpools',
    visible: async (_s, ctx, row) => owned(ctx, row) || row.shared === 1 },
  { collection: 'routers', resource: 'routers', member: 'router', table: 'routers', visible: async (_s, ctx, row) => owned(ctx, row) },
  { collection: 'floatingips', resource: 'floatingips', member: 'floatingip', table: 'floatingips', visible: async (_s, ctx, row) => owned(ctx, row) },
];

const tagInvalid = (message: string) => invalidInput(message);

function validateTag(tag: string): void {
  if (tag.length > MAX_TAG_LENGTH) throw tagInvalid(`'${tag}' exceeds maximum length of ${MAX_TAG_LENGTH}`);
}

/** The body of "replace all": {"tags": [unique strings of at most 255 characters]}. */
function parseTagsBody(body: unknown): string[] {
  if (!isPlainObject(body) || !('tags' in body)) throw tagInvalid('Invalid tags body');
  const tags = body.tags;
  if (!Array.isArray(tags)) throw tagInvalid(`'${JSON.stringify(tags)}' is not a list`);
  for (const t of tags) {
    if (typeof t !== 'string') throw tagInvalid(`'${JSON.stringify(t)}' is not a valid string`);
    validateTag(t);
  }
  const dups = tags.filter((t, i) => tags.indexOf(t) !== i);
  if (dups.length) throw tagInvalid(`Duplicate items in the list: '${[...new Set(dups)].join(', ')}'`);
  return tags as string[];
}

function checkLimit(t: Taggable, tags: readonly string[]): void {
  if (new Set(tags).size > MAX_TAGS) {
    throw new ApiError('badRequest', `Bad ${t.resource} request: The number of tags exceed the per-resource limit of ${MAX_TAGS}.`, { type: 'BadRequest' });
  }
}

async function tagsOf(db: Db | Tx, id: string): Promise<string[]> {
  return (await db.selectFrom('resource_tags').select('tag').where('resource_id', '=', id).orderBy('tag').execute()).map((r) => r.tag);
}

async function bumpRevision(tx: Tx, t: Taggable, id: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await (tx as any).updateTable(t.table).set((eb: any) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowIso() })).where('id', '=', id).execute();
}

export async function tagRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const tables = new Set((await service.db.introspection.getTables()).map((t) => t.name));

  for (const t of TAGGABLES.filter((x) => tables.has(x.table))) {
    const base = `/v2.0/${t.collection}/:id/tags`;

    /** The resource if the caller may see it (and, for writes, change it). */
    const resource = async (request: FastifyRequest, db: Db | Tx, write: boolean): Promise<Row> => {
      const ctx = caller(request);
      const { id } = request.params as { id: string };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const row = (await (db as any).selectFrom(t.table).selectAll().where('id', '=', id).executeTakeFirst()) as Row | undefined;
      if (!row || !(await t.visible(service, ctx, row, db))) {
        throw new ApiError('notFound', `Resource ${t.resource} ${id} could not be found.`, { type: 'TagResourceNotFound' });
      }
      if (write && !canWrite(ctx, row.project_id)) throw policyForbidden(`update_${t.member}:tags`);
      return row;
    };
    const tagParam = (request: FastifyRequest): string => {
      const { tag } = request.params as { tag: string };
      validateTag(tag);
      return tag;
    };

    app.get(base, async (request) => {
      const row = await resource(request, service.db, false);
      return { tags: await tagsOf(service.db, row.id) };
    });

    app.get(`${base}/:tag`, async (request, reply) => {
      const tag = tagParam(request);
      const row = await resource(request, service.db, false);
      if (!(await tagsOf(service.db, row.id)).includes(tag)) throw new ApiError('notFound', `Tag ${tag} could not be found.`, { type: 'TagNotFound' });
      reply.code(204).send();
    });

    app.put(base, async (request) => {
      const tags = parseTagsBody(request.body);
      return service.store.transaction(async (tx) => {
        const row = await resource(request, tx, true);
        checkLimit(t, tags);
        const current = await tagsOf(tx, row.id);
        const removed = current.filter((x) => !tags.includes(x));
        const added = tags.filter((x) => !current.includes(x));
        if (removed.length) await tx.deleteFrom('resource_tags').where('resource_id', '=', row.id).where('tag', 'in', removed).execute();
        if (added.length) await tx.insertInto('resource_tags').values(added.map((tag) => ({ resource_id: row.id, tag }))).execute();
        if (removed.length || added.length) await bumpRevision(tx, t, row.id);
        return { tags };
      });
    });

    app.put(`${base}/:tag`, async (request, reply) => {
      const tag = tagParam(request);
      await service.store.transaction(async (tx) => {
        const row = await resource(request, tx, true);
        const current = await tagsOf(tx, row.id);
        checkLimit(t, [...current, tag]);
        if (current.includes(tag)) return;
        await tx.insertInto('resource_tags').values({ resource_id: row.id, tag }).onConflict((oc) => oc.doNothing()).execute();
        await bumpRevision(tx, t, row.id);
      });
      reply.code(201).send();
    });

    app.delete(base, async (request, reply) => {
      await service.store.transaction(async (tx) => {
        const row = await resource(request, tx, true);
        const result = await tx.deleteFrom('resource_tags').where('resource_id', '=', row.id).executeTakeFirst();
        if (Number(result.numDeletedRows) > 0) await bumpRevision(tx, t, row.id);
      });
      reply.code(204).send();
    });

    app.delete(`${base}/:tag`, async (request, reply) => {
      const tag = tagParam(request);
      await service.store.transaction(async (tx) => {
        const row = await resource(request, tx, true);
        const result = await tx.deleteFrom('resource_tags').where('resource_id', '=', row.id).where('tag', '=', tag).executeTakeFirst();
        if (Number(result.numDeletedRows) < 1) throw new ApiError('notFound', `Tag ${tag} could not be found.`, { type: 'TagNotFound' });
        await bumpRevision(tx, t, row.id);
      });
      reply.code(204).send();
    });
  }
}
