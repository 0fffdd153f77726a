/**
 * The identity service's shared state: the store, the token machinery, the cached catalog.
 * Other services reach Keystone through this object in-process (token validation, catalog,
 * project lookups), never over HTTP.
 */
import type { KumoConfig } from '../config/config.js';
import type { Store } from '../store/store.js';
import { Cached } from '../util/cached.js';
import { loadCatalog, type CatalogEntry } from './catalog.js';
import { KeyRing } from './tokens/keys.js';
import { TokenProvider } from './tokens/provider.js';
import { RevocationList } from './tokens/revocation.js';

export class IdentityService {
  readonly keys: KeyRing;
  readonly revocations: RevocationList;
  readonly tokens: TokenProvider;
  readonly catalog: Cached<CatalogEntry[]>;

  constructor(
    readonly store: Store,
    readonly config: KumoConfig,
  ) {
    const ttl = () => config.tokenTtlSeconds * 1000;
    this.keys = new KeyRing(store);
    this.revocations = new RevocationList(store, ttl);
    this.tokens = new TokenProvider(store.db, this.keys, this.revocations, ttl);
    this.catalog = new Cached(() => loadCatalog(store.db));
  }

  async start(): Promise<void> {
    await this.keys.load();
    await this.revocations.load();
  }

  /** Called after every identity write: cached validations and the catalog may be stale. */
  changed(): void {
    this.tokens.invalidate();
    this.catalog.invalidate();
  }
}
