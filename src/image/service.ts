/** The image service's shared state (store, data directory) and the lookups every route needs. */
import { join } from 'node:path';
import type { KumoConfig } from '../config/config.js';
import type { IdentityService } from '../identity/service.js';
import type { AuthContext } from '../policy/context.js';
import type { ImageMemberRow, ImageRow } from '../store/schema-image.js';
import type { Db, Store, Tx } from '../store/store.js';
import { nowIso } from '../util/ids.js';
import { bootstrapCirros } from './bootstrap.js';
import { ImageDataStore } from './data-store.js';
import { seedResourceTypes } from './metadefs/common.js';
import { notFound } from './errors.js';
import { canSee } from './policy.js';
import { imageView, type ImageView } from './views.js';

/** Glance's per-image limits (image_property_quota, image_tag_quota, image_member_quota). */
export const LIMITS = { properties: 128, tags: 128, members: 128 } as const;

export class ImageService {
  readonly data: ImageDataStore;

  constructor(
    readonly store: Store,
    readonly config: KumoConfig,
    readonly identity: IdentityService,
  ) {
    this.data = new ImageDataStore(join(config.home, 'images'));
  }

  get db(): Db {
    return this.store.db;
  }

  /** Recovery, then what a first start provides: the metadef resource types and the cirros image. */
  async start(): Promise<void> {
    await this.recover();
    await seedResourceTypes(this.db);
    await bootstrapCirros(this);
  }

  /**
   * Start-up recovery: no upload survives a restart, so an image left `saving` by a process that
   * died mid-upload goes back to `queued` (as a failed upload does) and stray temp files go.
   */
  async recover(): Promise<void> {
    this.data.removeStaleUploads();
    await this.db.updateTable('images')
      .set({ status: 'queued', size: null, virtual_size: null, updated_at: nowIso() })
      .where('status', '=', 'saving').execute();
  }

  async find(id: string, db: Db | Tx = this.db): Promise<ImageRow | undefined> {
    return db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async membership(imageId: string, projectId: string | null, db: Db | Tx = this.db): Promise<ImageMemberRow | undefined> {
    if (!projectId) return undefined;
    return db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).where('member_id', '=', projectId).executeTakeFirst();
  }

  /** The image if the caller may see it, else Glance's 404. */
  async visible(ctx: AuthContext, id: string, db: Db | Tx = this.db): Promise<ImageRow> {
    const row = await this.find(id, db);
    if (row) {
      const member = row.visibility === 'shared' ? await this.membership(id, ctx.projectId, db) : undefined;
      if (canSee(ctx, row, member !== undefined)) return row;
    }
    throw notFound(`No image found with ID ${id}`);
  }

  async propertiesOf(ids: readonly string[], db: Db | Tx = this.db): Promise<Map<string, Record<string, string>>> {
    const map = new Map<string, Record<string, string>>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db.selectFrom('image_properties').selectAll().where('image_id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) {
        const props = map.get(r.image_id) ?? {};
        props[r.name] = r.value;
        map.set(r.image_id, props);
      }
    }
    return map;
  }

  async tagsOf(ids: readonly string[], db: Db | Tx = this.db): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db.selectFrom('image_tags').selectAll().where('image_id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) map.set(r.image_id, [...(map.get(r.image_id) ?? []), r.tag]);
    }
    for (const list of map.values()) list.sort();
    return map;
  }

  async views(rows: readonly ImageRow[], db: Db | Tx = this.db): Promise<ImageView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [props, tags] = await Promise.all([this.propertiesOf(ids, db), this.tagsOf(ids, db)]);
    return rows.map((r) => imageView(r, props.get(r.id) ?? {}, tags.get(r.id) ?? []));
  }

  async view(row: ImageRow, db: Db | Tx = this.db): Promise<ImageView> {
    const [view] = await this.views([row], db);
    return view as ImageView;
  }
}
