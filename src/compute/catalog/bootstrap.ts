/**
 * Compute bootstrap, run at every start and idempotent: the usual flavors (m1.nano id 0 as the
 * install guide makes it and seed 003 shows, then m1.tiny … m1.xlarge with ids 1–5 and
 * OpenStack's classic sizes), created only where neither the id nor the name is taken, so an
 * admin's changes survive; and the controller's nova-scheduler and nova-conductor services.
 */
import type { Store } from '../../store/store.js';
import { bootstrapControllerServices } from './services.js';

interface FlavorSpec {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ram: number;
  readonly disk: number;
}

export const BOOTSTRAP_FLAVORS: readonly FlavorSpec[] = [
  { id: '0', name: 'm1.nano', vcpus: 1, ram: 64, disk: 1 },
  { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 },
  { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
  { id: '4', name: 'm1.large', vcpus: 4, ram: 8192, disk: 80 },
  { id: '5', name: 'm1.xlarge', vcpus: 8, ram: 16384, disk: 160 },
];

export async function bootstrapFlavors(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    const taken = await tx.selectFrom('flavors').select(['id', 'name']).execute();
    const ids = new Set(taken.map((t) => t.id));
    const names = new Set(taken.map((t) => t.name));
    const missing = BOOTSTRAP_FLAVORS.filter((f) => !ids.has(f.id) && !names.has(f.name));
    if (missing.length === 0) return;
    const base = Date.now();
    // Distinct creation times keep Nova's creation order (its sort key `id`) stable.
    await tx.insertInto('flavors').values(missing.map((f, i) => ({
      id: f.id, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: 0, swap: 0, rxtx_factor: 1, is_public: 1 as const,
      disabled: 0 as const, description: null, created_at: new Date(base + i).toISOString(), updated_at: null,
    }))).execute();
  });
}

export async function bootstrapCompute(store: Store, controllerHost: string): Promise<void> {
  await bootstrapFlavors(store);
  await bootstrapControllerServices(store, controllerHost);
}
