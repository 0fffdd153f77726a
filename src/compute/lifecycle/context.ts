/** What the lifecycle's steps share: the store, the driver, the scheduler's lock, a logger. */
import type { Store } from '../../store/store.js';
import type { ComputeDriver } from '../driver/driver.js';
import type { ImageDataStore } from '../../image/data-store.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Runs async functions one after another. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export interface LifecycleContext {
  readonly store: Store;
  readonly driver: ComputeDriver;
  /** Glance's data store, where snapshots go. */
  readonly images: ImageDataStore;
  readonly schedulerLock: Mutex;
  readonly log: Logger;
  /**
   * The admin password a create or rebuild asked for, handed to the driver once. Like Nova,
   * Kumo never stores it: a build resumed after a restart boots without it.
   */
  takeAdminPass(uuid: string): string | null;
}
