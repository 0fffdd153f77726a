/**
 * Nova's image proxy (/images, deprecated at 2.36): Glance's images as Nova showed them —
 * status ACTIVE/SAVING/ERROR, progress, minDisk/minRam, custom properties as metadata, the
 * server an image was made from — read and changed in Glance's tables under Glance's rules.
 */
import type { FastifyRequest } from 'fastify';
import { forbidden, notFound } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import { canModify, canSee } from '../../image/policy.js';
import type { ImageRow } from '../../store/schema-image.js';
import type { Db, Tx } from '../../store/store.js';
import { computeRoot, isoSeconds } from '../servers/views.js';

export const imageNotFound = () => notFound('Image not found.');

const STATUS: Readonly<Record<string, string>> = {
  active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', importing: 'SAVING', uploading: 'SAVING',
  deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR',
};
const PROGRESS: Readonly<Record<string, number>> = { queued: 25, saving: 50, active: 100 };

export function novaImageStatus(status: string): string {
  return STATUS[status] ?? 'UNKNOWN';
}

/** The image if the caller may see it (Glance's get_image rule), else Nova's 404. */
export async function visibleImage(db: Db | Tx, ctx: AuthContext, id: string): Promise<ImageRow> {
  const row = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw imageNotFound();
  const member = row.visibility === 'shared' && ctx.projectId
    ? await db.selectFrom('image_members').select('member_id').where('image_id', '=', id).where('member_id', '=', ctx.projectId).executeTakeFirst()
    : undefined;
  if (!canSee(ctx, row, member !== undefined)) throw imageNotFound();
  return row;
}

/** The image if the caller may change it; a visible image they may not change is a 403. */
export async function modifiableImage(db: Db | Tx, ctx: AuthContext, id: string): Promise<ImageRow> {
  const row = await visibleImage(db, ctx, id);
  if (!canModify(ctx, row)) throw forbidden('You are not authorized to access this image.');
  return row;
}

/** Images a Glance list shows the caller: admins all; others public, their own, shared with them (accepted). */
export async function listableImages(db: Db, ctx: AuthContext): Promise<ImageRow[]> {
  const rows = await db.selectFrom('images').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  if (isAdmin(ctx)) return rows;
  const accepted = new Set((await db.selectFrom('image_members').select('image_id').where('member_id', '=', ctx.projectId ?? '')
    .where('status', '=', 'accepted').execute()).map((m) => m.image_id));
  return rows.filter((r) => r.visibility === 'public' || (r.owner !== null && r.owner === ctx.projectId) || accepted.has(r.id));
}

export async function propertiesOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const map = new Map<string, Record<string, string>>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('image_properties').select(['image_id', 'name', 'value']).where('image_id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) (map.get(r.image_id) ?? map.set(r.image_id, {}).get(r.image_id) as Record<string, string>)[r.name] = r.value;
  }
  return map;
}

export function imageLinks(request: FastifyRequest, id: string): Record<string, string>[] {
  const root = computeRoot(request);
  return [
    { rel: 'self', href: `${root}/v2.1/images/${id}` },
    { rel: 'bookmark', href: `${root}/images/${id}` },
    { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${root.replace(/\/compute$/, '/image')}/images/${id}` },
  ];
}

export function imageBrief(request: FastifyRequest, row: ImageRow): Record<string, unknown> {
  return { id: row.id, name: row.name, links: imageLinks(request, row.id) };
}

export function imageDetail(request: FastifyRequest, row: ImageRow, props: Readonly<Record<string, string>>): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: row.id, name: row.name, minRam: row.min_ram, minDisk: row.min_disk, metadata: { ...props },
    created: isoSeconds(row.created_at), updated: isoSeconds(row.updated_at), status: novaImageStatus(row.status),
    progress: PROGRESS[row.status] ?? 0, links: imageLinks(request, row.id), 'OS-EXT-IMG-SIZE:size': row.size === null ? null : Number(row.size),
  };
  const server = props.instance_uuid;
  if (server) {
    const root = computeRoot(request);
    view.server = { id: server, links: [{ rel: 'self', href: `${root}/v2.1/servers/${server}` }, { rel: 'bookmark', href: `${root}/servers/${server}` }] };
  }
  return view;
}
