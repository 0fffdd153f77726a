/** The compute service's shared state: store, identity, network service, hosts. */
import type { Store } from '../store/store.js';
import type { IdentityService } from '../identity/service.js';
import type { NetworkService } from '../network/service.js';
import type { HostRegistry } from '../hosts/registry.js';
import type { KumoConfig } from '../config/config.js';

export class ComputeService {
  constructor(
    readonly store: Store,
    readonly config: KumoConfig,
    readonly identity: IdentityService,
    readonly network: NetworkService,
    readonly hosts: HostRegistry,
  ) {}

  get db() {
    return this.store.db;
  }
}
