/** Picks the compute driver named by KUMO_COMPUTE_DRIVER (only `fake` exists until the Linux driver lands). */
import type { ComputeDriver } from './driver.js';
import { FakeDriver } from './fake/fake-driver.js';

export function createDriver(env: NodeJS.ProcessEnv): ComputeDriver {
  const name = env.KUMO_COMPUTE_DRIVER || 'fake';
  switch (name) {
    case 'fake': return new FakeDriver();
    default: throw new Error(`KUMO_COMPUTE_DRIVER must be one of: fake (got ${JSON.stringify(name)})`);
  }
}
