/**
 * The conductor: takes each server from the state the API left it in to the state that state
 * leads to, one server at a time per key (level-triggered: it reads the row, does the next
 * step, commits, and reads again until nothing is left to do). The API kicks it after each
 * write; at start it resumes every server left mid-task and makes the hosts match the store.
 */
import type { Store } from '../../store/store.js';
import type { ComputeDriver } from '../driver/driver.js';
import { TaskState, VmState } from '../servers/states.js';
import { allocateNetworking, schedule, spawn } from './build.js';
import { Mutex, type LifecycleContext, type Logger } from './context.js';
import { deleteStep, passwordStep, powerStep, POWER_STEPS, rebuildStep } from './operations.js';
import { syncHosts } from './sync.js';
import { ImageDataStore } from '../../image/data-store.js';
import { offloadStep, rescueStep, shelveStep, unrescueStep, unshelveStep } from './shelve.js';
import { snapshotStep } from './image-steps.js';
import { migrateStep } from './migrate.js';

export interface ConductorOptions {
  /**
   * How long a new build waits before scheduling starts. Real Nova answers a create long
   * before its scheduler has run, and clients read the server right after creating it (OSC
   * prints it: status BUILD, task_state scheduling, as seed 003 shows); a short wait keeps
   * that true with an instant driver while BUILD → ACTIVE still takes a few milliseconds.
   */
  readonly buildDelayMs: number;
  /** Glance's image directory (snapshots are written there). */
  readonly imagesDir: string;
}

const RETRY_DELAYS_MS = [50, 200, 1000, 5000];
const MAX_STEPS = 16;

export class Conductor {
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly adminPasses = new Map<string, string>();
  private readonly keyLocks = new Map<string, { mutex: Mutex; users: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly ctx: LifecycleContext;

  constructor(readonly store: Store, readonly driver: ComputeDriver, readonly log: Logger, readonly options: ConductorOptions) {
    this.ctx = {
      store, driver, log, schedulerLock: new Mutex(), images: new ImageDataStore(options.imagesDir),
      takeAdminPass: (uuid) => {
        const pass = this.adminPasses.get(uuid) ?? null;
        this.adminPasses.delete(uuid);
        return pass;
      },
    };
  }

  /** Glance's data store, for image deletes through Nova's image proxy. */
  get imageData(): ImageDataStore {
    return this.ctx.images;
  }

  /** Resumes what a previous run left unfinished and converges the hosts with the store. */
  async start(): Promise<void> {
    await syncHosts(this.ctx);
    const pending = await this.store.db.selectFrom('instances').select('uuid').where('deleted', '=', 0)
      .where((eb) => eb.or([eb('task_state', 'is not', null), eb('vm_state', '=', VmState.BUILDING)])).execute();
    for (const p of pending) this.kick(p.uuid);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  /** Resolves once no server has work in progress (tests wait on it). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.timers.size > 0) {
      await Promise.all([...this.running.values()]);
      if (this.timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Remembers the password a create or rebuild asked for until the driver takes it. */
  rememberAdminPass(uuid: string, pass: string): void {
    this.adminPasses.set(uuid, pass);
  }

  /** Asks the conductor to look at the server (again). */
  kick(uuid: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.kick(uuid);
      }, delayMs);
      this.timers.add(timer);
      return;
    }
    if (this.running.has(uuid)) {
      this.dirty.add(uuid);
      return;
    }
    const run = this.exclusive(uuid, () => this.converge(uuid)).finally(() => {
      this.running.delete(uuid);
      if (this.dirty.delete(uuid)) this.kick(uuid);
    });
    this.running.set(uuid, run);
  }

  /** A new build: scheduling starts after the configured delay. */
  kickBuild(uuid: string): void {
    this.kick(uuid, this.options.buildDelayMs);
  }

  /** Runs fn with no lifecycle step of the same server running (interface attach and detach). */
  exclusive<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.keyLocks.get(uuid);
    if (!lock) {
      lock = { mutex: new Mutex(), users: 0 };
      this.keyLocks.set(uuid, lock);
    }
    const held = lock;
    held.users++;
    return held.mutex.run(fn).finally(() => {
      if (--held.users === 0) this.keyLocks.delete(uuid);
    });
  }

  private async converge(uuid: string): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        // Each step commits and the row is read again; the bound only guards against a step
        // that fails to move the server on.
        for (let steps = 0; steps < MAX_STEPS && !this.stopped && await this.step(uuid); steps++) { /* next */ }
        return;
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        this.log.error({ err, server: uuid, attempt }, 'lifecycle step failed');
        if (delay === undefined) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Does the next step for the server; false when there is nothing (more) to do. */
  private async step(uuid: string): Promise<boolean> {
    const row = await this.store.db.selectFrom('instances').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
    if (!row || row.task_state === null) return false;
    const task = row.task_state;
    switch (task) {
      case TaskState.SCHEDULING: await schedule(this.ctx, row); break;
      case TaskState.NETWORKING: await allocateNetworking(this.ctx, row); break;
      case TaskState.SPAWNING: await spawn(this.ctx, row); break;
      case TaskState.DELETING: await deleteStep(this.ctx, row); break;
      case TaskState.REBUILDING: await rebuildStep(this.ctx, row); break;
      case TaskState.UPDATING_PASSWORD: await passwordStep(this.ctx, row); break;
      case TaskState.IMAGE_SNAPSHOT:
      case TaskState.IMAGE_BACKUP: await snapshotStep(this.ctx, row, task); break;
      case TaskState.SHELVING: await shelveStep(this.ctx, row); break;
      case TaskState.SHELVING_OFFLOADING: await offloadStep(this.ctx, row); break;
      case TaskState.UNSHELVING: await unshelveStep(this.ctx, row); break;
      case TaskState.RESCUING: await rescueStep(this.ctx, row); break;
      case TaskState.UNRESCUING: await unrescueStep(this.ctx, row); break;
      case TaskState.MIGRATING: await migrateStep(this.ctx, row); break;
      default:
        if (!POWER_STEPS[task]) {
          this.log.warn({ server: uuid, task }, 'no lifecycle step for task state');
          return false;
        }
        await powerStep(this.ctx, row, task);
    }
    return true;
  }
}
