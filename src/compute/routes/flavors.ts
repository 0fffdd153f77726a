/**
 * /flavors: list (brief and detail, with Nova's filters, sorting and paging), show, create
 * and delete (admin), description update (2.55). Extra specs and access live in their own
 * route modules, registered from here.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { conflict } from '../../api/errors.js';
import { isUniqueViolation } from '../../store/store.js';
import { flavorNotFound, extraSpecsOf, visibleFlavor } from '../catalog/flavor-access.js';
import { flavorFromBody } from '../catalog/flavor-create.js';
import { listFlavors } from '../catalog/flavor-list.js';
import { flavorBrief, flavorDetail } from '../catalog/flavor-views.js';
import { nextLinks } from '../catalog/links.js';
import { requireAdmin } from '../catalog/policy.js';
import { queryOf, rejectUnknown } from '../catalog/query.js';
import { descriptionString, onlyKeys, requireKeys, wrapped } from '../catalog/validate.js';
import { requireMicroversion } from '../catalog/versions.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';
import { flavorAccessRoutes } from './flavor-access.js';
import { flavorExtraSpecRoutes } from './flavor-extra-specs.js';

export async function flavorRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;

  app.get('/flavors', async (request) => {
    const ctx = caller(request);
    const { rows, page } = await listFlavors(db, request, ctx);
    const links = nextLinks(request, 'flavors', page, rows.length, rows.at(-1)?.id);
    return { flavors: rows.map((r) => flavorBrief(request, r)), ...(links.length ? { flavors_links: links } : {}) };
  });

  app.get('/flavors/detail', async (request) => {
    const ctx = caller(request);
    const { rows, page } = await listFlavors(db, request, ctx);
    const specs = atLeast(request, '2.61') ? await extraSpecsOf(db, rows.map((r) => r.id)) : undefined;
    const links = nextLinks(request, 'flavors/detail', page, rows.length, rows.at(-1)?.id);
    return { flavors: rows.map((r) => flavorDetail(request, r, specs?.get(r.id))), ...(links.length ? { flavors_links: links } : {}) };
  });

  app.get('/flavors/:id', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    if (atLeast(request, '2.102')) rejectUnknown(request, queryOf(request), [], '2.102');
    const row = await visibleFlavor(db, ctx, id);
    const specs = atLeast(request, '2.61') ? (await extraSpecsOf(db, [row.id])).get(row.id) : undefined;
    return { flavor: flavorDetail(request, row, specs) };
  });

  // Nova answers 200 (not 201) here, for compatibility.
  app.post('/flavors', async (request) => {
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-manage:create');
    const row = flavorFromBody(request, request.body);
    try {
      await service.store.transaction(async (tx) => {
        if (await tx.selectFrom('flavors').select('id').where('id', '=', row.id).executeTakeFirst()) {
          throw conflict(`Flavor with ID ${row.id} already exists.`);
        }
        if (await tx.selectFrom('flavors').select('id').where('name', '=', row.name).executeTakeFirst()) {
          throw conflict(`Flavor with name ${row.name} already exists.`);
        }
        await tx.insertInto('flavors').values(row).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Flavor with name ${row.name} already exists.`);
      throw err;
    }
    return { flavor: flavorDetail(request, row, {}) };
  });

  app.put('/flavors/:id', async (request) => {
    requireMicroversion(request, '2.55');
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-manage:update');
    const { id } = request.params as { id: string };
    const f = wrapped(request.body, 'flavor');
    onlyKeys(f, ['description'], 'flavor');
    requireKeys(f, ['description'], 'flavor');
    const description = descriptionString(f.description, 'description', 65535);
    const row = await service.store.transaction(async (tx) => {
      const current = await tx.selectFrom('flavors').selectAll().where('id', '=', id).executeTakeFirst();
      if (!current) throw flavorNotFound(id);
      const updated = { ...current, description, updated_at: new Date().toISOString() };
      await tx.updateTable('flavors').set({ description, updated_at: updated.updated_at }).where('id', '=', id).execute();
      return updated;
    });
    const specs = atLeast(request, '2.61') ? (await extraSpecsOf(db, [row.id])).get(row.id) : undefined;
    return { flavor: flavorDetail(request, row, specs) };
  });

  app.delete('/flavors/:id', async (request, reply) => {
    const ctx = caller(request);
    requireAdmin(ctx, 'os_compute_api:os-flavor-manage:delete');
    const { id } = request.params as { id: string };
    await service.store.transaction(async (tx) => {
      if (!(await tx.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst())) throw flavorNotFound(id);
      await tx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', id).execute();
      await tx.deleteFrom('flavor_projects').where('flavor_id', '=', id).execute();
      await tx.deleteFrom('flavors').where('id', '=', id).execute();
    });
    reply.code(202).send();
  });

  await flavorExtraSpecRoutes(app, service);
  await flavorAccessRoutes(app, service);
}
