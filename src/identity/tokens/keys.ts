/**
 * Signing keys live in the store so every controller sharing it signs and checks alike.
 * The newest key signs; all keys verify. Created on first start.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.js';
import { hexId, nowIso } from '../../util/ids.js';
import type { SigningKey } from './format.js';

export class KeyRing {
  private keys = new Map<string, SigningKey>();
  private current: SigningKey | null = null;

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    let rows = await this.store.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
    if (rows.length === 0) {
      await this.store.db
        .insertInto('signing_keys')
        .values({ id: hexId().slice(0, 8), secret: randomBytes(32).toString('base64'), created_at: nowIso() })
        .onConflict((oc) => oc.doNothing())
        .execute();
      rows = await this.store.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
    }
    this.keys = new Map(rows.map((r) => [r.id, { id: r.id, secret: Buffer.from(r.secret, 'base64') }]));
    const newest = rows[rows.length - 1];
    this.current = newest ? (this.keys.get(newest.id) ?? null) : null;
  }

  get signingKey(): SigningKey {
    if (!this.current) throw new Error('signing keys not loaded');
    return this.current;
  }

  get all(): ReadonlyMap<string, SigningKey> {
    return this.keys;
  }
}
