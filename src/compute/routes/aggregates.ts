/**
 * /os-aggregates (admin): host aggregates with metadata; the `availability_zone` metadata key
 * (also create/update's availability_zone) moves the aggregate's hosts into that zone. A host
 * is in one zone only, a zone cannot change under a host's servers, and an aggregate with
 * hosts cannot be deleted. UUIDs are shown from 2.41.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, conflict, notFound } from '../../api/errors.js';
import type { Db, Tx } from '../../store/store.js';
import { isUniqueViolation } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { requireAdmin } from '../catalog/policy.js';
import { queryOf, rejectUnknown } from '../catalog/query.js';
import { computeRecords } from '../catalog/services.js';
import { novaTime } from '../catalog/time.js';
import { azNameString, invalid, isObject, nameString, onlyKeys, pyRepr, requireKeys, wrapped, type Body } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

interface Aggregate {
  id: number;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
  hosts: string[];
  metadata: Record<string, string>;
}

const aggregateNotFound = (id: string | number) => notFound(`Aggregate ${id} could not be found.`);

function aggregateId(id: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(id)) throw badRequest('Invalid input received: id must be an integer');
  return Number(id);
}

async function load(db: Db | Tx, id: number): Promise<Aggregate> {
  const row = await db.selectFrom('aggregates').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw aggregateNotFound(id);
  const [hosts, meta] = await Promise.all([
    db.selectFrom('aggregate_hosts').select('host').where('aggregate_id', '=', id).orderBy('host').execute(),
    db.selectFrom('aggregate_metadata').select(['key', 'value']).where('aggregate_id', '=', id).execute(),
  ]);
  return { ...row, hosts: hosts.map((h) => h.host), metadata: Object.fromEntries(meta.map((m) => [m.key, m.value])) };
}

function view(request: FastifyRequest, a: Aggregate, full = true): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: a.id, name: a.name, availability_zone: a.metadata.availability_zone ?? null,
    created_at: novaTime(a.created_at), updated_at: a.updated_at ? novaTime(a.updated_at) : null, deleted_at: null, deleted: false,
  };
  if (full) {
    out.hosts = a.hosts;
    out.metadata = a.metadata;
  }
  if (atLeast(request, '2.41')) out.uuid = a.uuid;
  return out;
}

/** Nova's checks before an aggregate's zone applies to `hosts` (its own when not given). */
async function checkZoneChange(db: Db | Tx, a: Aggregate, zone: string | null | undefined, hosts: readonly string[], checkInstances: boolean, action: string): Promise<void> {
  if (zone === undefined) return;
  const refuse = (reason: string) => (action === 'add' ? conflict : badRequest)(
    action === 'add' ? `Cannot add host to aggregate ${a.id}. Reason: ${reason}.` : `Cannot update aggregate ${a.id}. Reason: ${reason}.`);
  if (!zone) throw refuse(`Aggregate ${a.name} does not support empty named availability zone`);
  if (hosts.length === 0) return;
  const others = await db.selectFrom('aggregate_hosts')
    .innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_metadata.value', 'aggregate_hosts.aggregate_id'])
    .where('aggregate_hosts.host', 'in', hosts as string[]).where('aggregate_metadata.key', '=', 'availability_zone').execute();
  const conflicting = [...new Set(others.filter((o) => o.value !== zone && Number(o.aggregate_id) !== a.id).map((o) => o.value))];
  if (conflicting.length) throw refuse(`One or more hosts already in availability zone(s) ${pyRepr(conflicting)}`);
  if (checkInstances && a.metadata.availability_zone !== zone) {
    const hosting = await db.selectFrom('instances').select('id').where('host', 'in', hosts as string[]).where('deleted', '=', 0).limit(1).executeTakeFirst();
    if (hosting) throw refuse('One or more hosts contain instances in this zone');
  }
}

async function writeMetadata(tx: Tx, id: number, metadata: Record<string, string | null>): Promise<void> {
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null) await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute();
    else await tx.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).onConflict((oc) => oc.columns(['aggregate_id', 'key']).doUpdateSet({ value })).execute();
  }
  await tx.updateTable('aggregates').set({ updated_at: nowIso() }).where('id', '=', id).execute();
}

function hostOf(body: unknown, action: string): string {
  const inner = wrapped(body, action);
  onlyKeys(inner, ['host'], action);
  requireKeys(inner, ['host'], action);
  if (typeof inner.host !== 'string' || inner.host.length < 1 || inner.host.length > 255) throw invalid('host', inner.host, `${pyRepr(inner.host)} is not a valid hostname`);
  return inner.host;
}

function metadataOf(body: unknown): Record<string, string | null> {
  const inner = wrapped(body, 'set_metadata');
  onlyKeys(inner, ['metadata'], 'set_metadata');
  requireKeys(inner, ['metadata'], 'set_metadata');
  const metadata = inner.metadata;
  if (!isObject(metadata)) throw invalid('metadata', metadata, `${pyRepr(metadata)} is not of type 'object'`);
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(metadata as Body)) {
    if (!/^[a-zA-Z0-9-_:. ]{1,255}$/.test(key)) throw invalid('metadata', metadata, `Additional properties are not allowed ('${key}' was unexpected)`);
    if (value !== null && (typeof value !== 'string' || value.length > 255)) throw invalid(key, value, `${pyRepr(value)} is not of type 'string', 'null'`);
    out[key] = value as string | null;
  }
  if ('availability_zone' in out && out.availability_zone !== null) azNameString(out.availability_zone, 'availability_zone');
  return out;
}

export async function aggregateRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;
  const store = service.store;

  app.get('/os-aggregates', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-aggregates:index');
    rejectUnknown(request, queryOf(request), [], '2.102');
    const ids = await db.selectFrom('aggregates').select('id').orderBy('id').execute();
    const all = await Promise.all(ids.map((r) => load(db, r.id)));
    return { aggregates: all.map((a) => view(request, a)) };
  });

  app.post('/os-aggregates', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-aggregates:create');
    const a = wrapped(request.body, 'aggregate');
    onlyKeys(a, ['name', 'availability_zone'], 'aggregate');
    requireKeys(a, ['name'], 'aggregate');
    const name = nameString(a.name, 'name');
    const zone = a.availability_zone === undefined || a.availability_zone === null ? null : azNameString(a.availability_zone, 'availability_zone');
    const conflictName = () => conflict(`Aggregate ${name} already exists.`);
    try {
      const created = await store.transaction(async (tx) => {
        if (await tx.selectFrom('aggregates').select('id').where('name', '=', name).executeTakeFirst()) throw conflictName();
        const row = await tx.insertInto('aggregates').values({ uuid: uuid(), name, created_at: nowIso(), updated_at: null }).returning('id').executeTakeFirstOrThrow();
        if (zone) await tx.insertInto('aggregate_metadata').values({ aggregate_id: row.id, key: 'availability_zone', value: zone }).execute();
        return load(tx, row.id);
      });
      return { aggregate: view(request, created, false) };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflictName();
      throw err;
    }
  });

  app.get('/os-aggregates/:id', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-aggregates:show');
    rejectUnknown(request, queryOf(request), [], '2.102');
    const { id } = request.params as { id: string };
    return { aggregate: view(request, await load(db, aggregateId(id))) };
  });

  app.put('/os-aggregates/:id', async (request) => {
    requireAdmin(caller(request), 'os_compute_api:os-aggregates:update');
    const { id } = request.params as { id: string };
    const a = wrapped(request.body, 'aggregate');
    onlyKeys(a, ['name', 'availability_zone'], 'aggregate');
    if (!('name' in a) && !('availability_zone' in a)) throw invalid('aggregate', a, `${pyRepr(a)} is not valid under any of the given schemas`);
    // Nova strips the new name (its update schema allows edge spaces).
    const name = a.name === undefined ? undefined : nameString(typeof a.name === 'string' ? a.name.trim() : a.name, 'name');
    const zone = a.availability_zone === undefined ? undefined : a.availability_zone === null ? null : azNameString(a.availability_zone, 'availability_zone');
    const numericId = aggregateId(id);
    try {
      const updated = await store.transaction(async (tx) => {
        const current = await load(tx, numericId);
        if (name !== undefined && name !== current.name) {
          if (await tx.selectFrom('aggregates').select('id').where('name', '=', name).executeTakeFirst()) throw conflict(`Aggregate ${name} already exists.`);
          await tx.updateTable('aggregates').set({ name, updated_at: nowIso() }).where('id', '=', numericId).execute();
        }
        if (zone !== undefined) {
          await checkZoneChange(tx, current, zone, current.hosts, true, 'update');
          await writeMetadata(tx, numericId, { availability_zone: zone });
        }
        return load(tx, numericId);
      });
      return { aggregate: view(request, updated) };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Aggregate ${String(name)} already exists.`);
      throw err;
    }
  });

  // Nova answers 200 with no body here.
  app.delete('/os-aggregates/:id', async (request, reply) => {
    requireAdmin(caller(request), 'os_compute_api:os-aggregates:delete');
    const { id } = request.params as { id: string };
    const numericId = aggregateId(id);
    await store.transaction(async (tx) => {
      const current = await load(tx, numericId);
      if (current.hosts.length) throw badRequest(`Cannot remove aggregate ${numericId}. Reason: Host aggregate is not empty.`);
      await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', numericId).execute();
      await tx.deleteFrom('aggregates').where('id', '=', numericId).execute();
    });
    reply.code(200).send();
  });

  app.post('/os-aggregates/:id/action', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const body = request.body;
    if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
    const action = Object.keys(body)[0] as string;
    if (!['add_host', 'remove_host', 'set_metadata'].includes(action)) throw badRequest(`There is no such action: ${action}`);
    requireAdmin(ctx, `os_compute_api:os-aggregates:${action}`);
    const numericId = aggregateId(id);

    if (action === 'set_metadata') {
      const metadata = metadataOf(body);
      const updated = await store.transaction(async (tx) => {
        const current = await load(tx, numericId);
        if ('availability_zone' in metadata && metadata.availability_zone !== null) {
          await checkZoneChange(tx, current, metadata.availability_zone, current.hosts, true, 'update');
        }
        await writeMetadata(tx, numericId, metadata);
        return load(tx, numericId);
      });
      return { aggregate: view(request, updated) };
    }

    const host = hostOf(body, action);
    if (action === 'add_host') {
      // Only compute hosts (with a live nova-compute service) can join.
      if (!(await computeRecords(store)).some((r) => r.hostName === host)) throw notFound(`Compute host ${host} could not be found.`);
      const updated = await store.transaction(async (tx) => {
        const current = await load(tx, numericId);
        if (current.hosts.includes(host)) throw conflict(`Aggregate ${numericId} already has host ${host}.`);
        await checkZoneChange(tx, current, current.metadata.availability_zone, [host], false, 'add');
        if (current.metadata.availability_zone) {
          const hosting = await tx.selectFrom('instances').select('availability_zone').where('host', '=', host).where('deleted', '=', 0).execute();
          if (hosting.some((i) => i.availability_zone !== current.metadata.availability_zone)) {
            throw conflict(`Cannot add host to aggregate ${numericId}. Reason: The host cannot be added to the aggregate as the availability zone of the host would change but the host already has ${hosting.length} instance(s).`);
          }
        }
        await tx.insertInto('aggregate_hosts').values({ aggregate_id: numericId, host }).execute();
        await tx.updateTable('aggregates').set({ updated_at: nowIso() }).where('id', '=', numericId).execute();
        return load(tx, numericId);
      });
      return { aggregate: view(request, updated) };
    }

    const updated = await store.transaction(async (tx) => {
      const current = await tx.selectFrom('aggregates').select('id').where('id', '=', numericId).executeTakeFirst();
      const member = current && await tx.selectFrom('aggregate_hosts').select('host').where('aggregate_id', '=', numericId).where('host', '=', host).executeTakeFirst();
      if (!member) throw notFound(`Cannot remove host ${host} in aggregate ${numericId}`);
      const zone = (await load(tx, numericId)).metadata.availability_zone;
      if (zone) {
        const hosting = await tx.selectFrom('instances').select('id').where('host', '=', host).where('deleted', '=', 0).limit(1).executeTakeFirst();
        if (hosting) throw conflict(`Cannot remove host from aggregate ${numericId}. Reason: The host cannot be removed from the aggregate as its availability zone would change and it has instances.`);
      }
      await tx.deleteFrom('aggregate_hosts').where('aggregate_id', '=', numericId).where('host', '=', host).execute();
      await tx.updateTable('aggregates').set({ updated_at: nowIso() }).where('id', '=', numericId).execute();
      return load(tx, numericId);
    });
    return { aggregate: view(request, updated) };
  });
}
