/**
 * /flavors/{id}/os-extra_specs[/{key}]: anyone who sees the flavor reads its extra specs;
 * admins set (POST merges), update one key (PUT, the body's only key must be the URL's) and
 * unset them. Keys are Nova's metadata keys; values strings (numbers accepted and stored as
 * text) of at most 255 characters; known specs are validated from microversion 2.86.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { badRequest, notFound } from '../../api/errors.js';
import type { Tx } from '../../store/store.js';
import { extraSpecsOf, flavorNotFound, visibleFlavor } from '../catalog/flavor-access.js';
import { validateExtraSpec } from '../catalog/extra-spec-rules.js';
import { requireAdmin } from '../catalog/policy.js';
import { queryOf, rejectUnknown } from '../catalog/query.js';
import { invalid, isObject, pyRepr, type Body } from '../catalog/validate.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

const KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;

/** Checks a {key: value} map as Nova's metadata schema (numbers allowed) and returns it as text. */
function specsOf(request: FastifyRequest, specs: Body, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(specs)) {
    if (!KEY.test(key)) throw invalid(field, specs, `Additional properties are not allowed ('${key}' was unexpected)`);
    let text: string;
    if (typeof value === 'string') {
      if (value.length > 255) throw invalid(key, value, `'${value}' is too long`);
      text = value;
    } else if (typeof value === 'number') {
      // Nova keeps Python's spelling of the number.
      text = Number.isInteger(value) && !Object.is(value, -0) ? String(value) : pyRepr(value);
      if (text.length > 255) throw badRequest('Invalid input received: extra_specs value has more than 255 characters.');
    } else {
      throw invalid(key, value, `${pyRepr(value)} is not of type 'string', 'number'`);
    }
    if (atLeast(request, '2.86')) validateExtraSpec(key, text);
    out[key] = text;
  }
  return out;
}

async function storeSpecs(tx: Tx, flavorId: string, specs: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(specs)) {
    await tx.insertInto('flavor_extra_specs').values({ flavor_id: flavorId, key, value })
      .onConflict((oc) => oc.columns(['flavor_id', 'key']).doUpdateSet({ value })).execute();
  }
}

const noSuchSpec = (flavorId: string, key: string) => notFound(`Flavor ${flavorId} has no extra specs with key ${key}.`);

export async function flavorExtraSpecRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;

  app.get('/flavors/:id/os-extra_specs', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    rejectUnknown(request, queryOf(request), [], '2.102');
    const flavor = await visibleFlavor(db, ctx, id);
    return { extra_specs: (await extraSpecsOf(db, [flavor.id])).get(flavor.id) ?? {} };
  });

  app.get('/flavors/:id/os-extra_specs/:key', async (request) => {
    const ctx = caller(request);
    const { id, key } = request.params as { id: string; key: string };
    rejectUnknown(request, queryOf(request), [], '2.102');
    const flavor = await visibleFlavor(db, ctx, id);
    const row = await db.selectFrom('flavor_extra_specs').select('value').where('flavor_id', '=', flavor.id).where('key', '=', key).executeTakeFirst();
    if (!row) throw noSuchSpec(id, key);
    return { [key]: row.value };
  });

  // Nova answers 200 with the request body echoed.
  app.post('/flavors/:id/os-extra_specs', async (request) => {
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-extra-specs:create');
    const { id } = request.params as { id: string };
    const body = request.body;
    if (!isObject(body) || !('extra_specs' in body)) throw invalid('extra_specs', body ?? null, `'extra_specs' is a required property`);
    const extra = Object.keys(body).filter((k) => k !== 'extra_specs');
    if (extra.length) throw invalid('extra_specs', body, `Additional properties are not allowed ('${extra[0]}' was unexpected)`);
    if (!isObject(body.extra_specs)) throw invalid('extra_specs', body.extra_specs, `${pyRepr(body.extra_specs)} is not of type 'object'`);
    const specs = specsOf(request, body.extra_specs, 'extra_specs');
    await service.store.transaction(async (tx) => {
      if (!(await tx.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst())) throw flavorNotFound(id);
      await storeSpecs(tx, id, specs);
    });
    return body;
  });

  app.put('/flavors/:id/os-extra_specs/:key', async (request) => {
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-extra-specs:update');
    const { id, key } = request.params as { id: string; key: string };
    const body = request.body;
    if (!isObject(body)) throw invalid('body', body ?? null, `${pyRepr(body ?? null)} is not of type 'object'`);
    const count = Object.keys(body).length;
    if (count < 1) throw invalid('body', body, '{} does not have enough properties');
    if (count > 1) throw invalid('body', body, `${pyRepr(body)} has too many properties`);
    const specs = specsOf(request, body, 'body');
    if (!(key in specs)) throw badRequest('Request body and URI mismatch');
    await service.store.transaction(async (tx) => {
      if (!(await tx.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst())) throw flavorNotFound(id);
      await storeSpecs(tx, id, specs);
    });
    return body;
  });

  app.delete('/flavors/:id/os-extra_specs/:key', async (request, reply) => {
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-extra-specs:delete');
    const { id, key } = request.params as { id: string; key: string };
    await service.store.transaction(async (tx) => {
      if (!(await tx.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst())) throw flavorNotFound(id);
      const gone = await tx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', id).where('key', '=', key).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw noSuchSpec(id, key);
    });
    // Nova answers 200 with no body here.
    reply.code(200).send();
  });
}
