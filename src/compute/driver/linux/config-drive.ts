/**
 * The instance's config drive as a directory the guest sees read-only at /run/kumo: OpenStack's
 * layout (openstack/<version>/meta_data.json, user_data, network_data.json, ...; ec2/<version>/
 * meta-data.json, user-data), rendered by the metadata module from the same tree the metadata
 * service serves. Without a config drive the directory stays empty and the guest asks
 * 169.254.169.254 instead.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from '../driver.js';

const SAFE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function writeConfigDrive(dir: string, spec: Pick<InstanceSpec, 'configDrive'>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const f of spec.configDrive ?? []) {
    if (!SAFE.test(f.path) || f.path.split('/').some((p) => p === '.' || p === '..')) throw new Error(`config drive: bad path ${JSON.stringify(f.path)}`);
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, f.body, { mode: 0o644 });
  }
}
