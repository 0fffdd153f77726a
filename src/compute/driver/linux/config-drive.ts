/**
 * The instance's metadata as a config-drive-like directory (mounted read-only at /run/kumo in
 * the guest): meta_data.json as OpenStack's config drive has it, plus the plain files a busybox
 * init can read without a JSON parser (hostname, public_keys, user_data). The metadata
 * *service* (169.254.169.254) is a later step; this is what the guest boots from.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceSpec } from '../driver.js';

/** Nova stores user_data base64-encoded; the guest gets the decoded bytes. */
function decodeUserData(data: string): Buffer {
  const compact = data.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(compact) && compact.length % 4 === 0) return Buffer.from(compact, 'base64');
  return Buffer.from(data);
}

export function writeConfigDrive(dir: string, spec: InstanceSpec): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const meta = {
    uuid: spec.uuid, name: spec.hostname, hostname: spec.hostname, availability_zone: 'nova', launch_index: 0,
    meta: spec.metadata, public_keys: spec.keyData ? { key: spec.keyData.trim() } : {},
    ...(spec.adminPass ? { admin_pass: spec.adminPass } : {}),
  };
  writeFileSync(join(dir, 'meta_data.json'), `${JSON.stringify(meta)}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'hostname'), `${spec.hostname}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'public_keys'), spec.keyData ? `${spec.keyData.trim()}\n` : '', { mode: 0o644 });
  writeFileSync(join(dir, 'user_data'), spec.userData ? decodeUserData(spec.userData) : '', { mode: 0o600 });
}
