/**
 * Nova's view of Glance: an image the caller may boot from (Glance's visibility rules: public
 * and community for everyone, private for its owner, shared for its owner and members), with
 * what the boot checks need (status, min_disk, min_ram, size).
 */
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { Db, Tx } from '../../store/store.js';

export interface BootImage {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly minDisk: number;
  readonly minRam: number;
  readonly size: number | null;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The image id inside an imageRef, which may be a bare id or a URL ending with it. */
export function imageIdFromRef(ref: string): string {
  const tail = ref.replace(/\/+$/, '').split('/').pop() ?? '';
  return tail;
}

export async function findBootImage(db: Db | Tx, ctx: AuthContext, ref: string): Promise<BootImage | null> {
  const id = imageIdFromRef(ref);
  if (!UUID.test(id)) return null;
  const row = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  let visible = isAdmin(ctx) || row.visibility === 'public' || row.visibility === 'community' || (row.owner !== null && row.owner === ctx.projectId);
  if (!visible && row.visibility === 'shared' && ctx.projectId) {
    const member = await db.selectFrom('image_members').select('member_id').where('image_id', '=', id).where('member_id', '=', ctx.projectId).executeTakeFirst();
    visible = member !== undefined;
  }
  if (!visible) return null;
  return { id: row.id, name: row.name, status: row.status, minDisk: row.min_disk, minRam: row.min_ram, size: row.size === null ? null : Number(row.size) };
}
