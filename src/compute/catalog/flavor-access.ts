/**
 * Who sees which flavor: an admin sees every flavor; anyone else sees the public ones and the
 * private ones their project was given access to. Anything else is a 404, as Nova answers.
 * The server create path uses visibleFlavor too (a private flavor without access is a 400 there).
 */
import { notFound } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { FlavorRow } from '../../store/schema-compute.js';
import type { Db, Tx } from '../../store/store.js';

export const flavorNotFound = (id: string) => notFound(`Flavor ${id} could not be found.`);

/** The flavor if the caller may see it, else undefined. */
export async function findVisibleFlavor(db: Db | Tx, ctx: AuthContext, id: string): Promise<FlavorRow | undefined> {
  const row = await db.selectFrom('flavors').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  if (row.is_public === 1 || isAdmin(ctx)) return row;
  const access = await db.selectFrom('flavor_projects').select('project_id')
    .where('flavor_id', '=', id).where('project_id', '=', ctx.projectId ?? '').executeTakeFirst();
  return access ? row : undefined;
}

export async function visibleFlavor(db: Db | Tx, ctx: AuthContext, id: string): Promise<FlavorRow> {
  const row = await findVisibleFlavor(db, ctx, id);
  if (!row) throw flavorNotFound(id);
  return row;
}

/** Extra specs of several flavors at once, as {flavorId: {key: value}}. */
export async function extraSpecsOf(db: Db | Tx, flavorIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const id of flavorIds) out.set(id, {});
  if (flavorIds.length === 0) return out;
  const rows = await db.selectFrom('flavor_extra_specs').selectAll().where('flavor_id', 'in', flavorIds as string[]).execute();
  for (const r of rows) (out.get(r.flavor_id) as Record<string, string>)[r.key] = r.value;
  return out;
}
