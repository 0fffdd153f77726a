/** The compute service's shared state: store, identity, network service, hosts, driver, conductor. */
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { IdentityService } from '../identity/service.js';
import type { NetworkService } from '../network/service.js';
import type { HostRegistry } from '../hosts/registry.js';
import type { KumoConfig } from '../config/config.js';
import type { ComputeDriver } from './driver/driver.js';
import { createDriver } from './driver/select.js';
import { Conductor } from './lifecycle/conductor.js';
import type { Logger } from './lifecycle/context.js';

export class ComputeService {
  /** The driver of the compute hosts this process runs (KUMO_COMPUTE_DRIVER; linux with the Linux data plane, else fake). */
  readonly driver: ComputeDriver;
  private lifecycle: Conductor | null = null;

  constructor(
    readonly store: Store,
    readonly config: KumoConfig,
    readonly identity: IdentityService,
    readonly network: NetworkService,
    readonly hosts: HostRegistry,
    driver?: ComputeDriver,
  ) {
    this.driver = driver ?? createDriver(process.env, { home: config.home });
  }

  get db() {
    return this.store.db;
  }

  /** The server lifecycle; started with the compute plugin. */
  get conductor(): Conductor {
    if (!this.lifecycle) throw new Error('the compute lifecycle is not started');
    return this.lifecycle;
  }

  /** Starts the lifecycle: resumes unfinished work and converges the hosts with the store. */
  async startLifecycle(log: Logger): Promise<void> {
    if (this.lifecycle) return;
    const delay = Number(process.env.KUMO_COMPUTE_BUILD_DELAY_MS ?? 20);
    this.lifecycle = new Conductor(this.store, this.driver, log, {
      buildDelayMs: Number.isFinite(delay) && delay >= 0 ? delay : 20,
      imagesDir: join(this.config.home, 'images'),
    });
    await this.lifecycle.start();
  }

  async stopLifecycle(): Promise<void> {
    await this.lifecycle?.stop();
  }
}
