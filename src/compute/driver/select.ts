/**
 * Picks the compute driver: KUMO_COMPUTE_DRIVER when set (`fake` or `linux`), otherwise `linux`
 * when the data plane is the Linux one (instances need its bridges) and `fake` when it is not.
 */
import { join } from 'node:path';
import type { ComputeDriver } from './driver.js';
import { FakeDriver } from './fake/fake-driver.js';
import { LinuxComputeDriver } from './linux/linux-driver.js';

export interface DriverContext {
  /** KUMO_HOME (instances and unpacked images live under it); defaults to env.KUMO_HOME. */
  readonly home?: string;
  /** Glance's data directory; defaults to <home>/images. */
  readonly imagesDir?: string;
  /** True when the local data plane is the Linux driver. */
  readonly linuxDataplane?: boolean;
}

export function createDriver(env: NodeJS.ProcessEnv, context: DriverContext = {}): ComputeDriver {
  const name = env.KUMO_COMPUTE_DRIVER || (context.linuxDataplane ? 'linux' : 'fake');
  switch (name) {
    case 'fake': return new FakeDriver();
    case 'linux': {
      const home = context.home ?? env.KUMO_HOME;
      if (!home) throw new Error('the linux compute driver needs KUMO_HOME');
      return new LinuxComputeDriver({ home, imagesDir: context.imagesDir ?? join(home, 'images') });
    }
    default: throw new Error(`KUMO_COMPUTE_DRIVER must be one of: fake, linux (got ${JSON.stringify(name)})`);
  }
}
