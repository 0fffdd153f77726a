/**
 * The read-only lower layer of instances' overlays: an image's root-filesystem tarball unpacked
 * once per image under `$KUMO_HOME/images-unpacked/<image id>/` (into a temporary directory,
 * then renamed, so a half-unpacked image is never used) and shared by all its instances.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../dataplane/linux/exec.js';

const IMAGE_ID = /^[A-Za-z0-9-]+$/;

export class ImageLayers {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(readonly home: string, readonly imagesDir: string) {}

  lowerDir(imageId: string): string {
    return join(this.home, 'images-unpacked', imageId);
  }

  /** The unpacked image, unpacking it first if needed (concurrent callers share one unpack). */
  async ensure(imageId: string): Promise<string> {
    if (!IMAGE_ID.test(imageId)) throw new Error(`bad image id ${JSON.stringify(imageId)}`);
    const dir = this.lowerDir(imageId);
    if (existsSync(dir)) return dir;
    let p = this.pending.get(imageId);
    if (!p) {
      p = this.unpack(imageId, dir).finally(() => this.pending.delete(imageId));
      this.pending.set(imageId, p);
    }
    return p;
  }

  private async unpack(imageId: string, dir: string): Promise<string> {
    const data = join(this.imagesDir, imageId);
    if (!existsSync(data)) throw new Error(`image ${imageId} has no data on this host (${data})`);
    const tmp = `${dir}.unpacking-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o755 });
    try {
      await run(['tar', '--numeric-owner', '-xpf', data, '-C', tmp], { timeoutMs: 120_000 });
      if (!existsSync(join(tmp, 'sbin', 'init'))) throw new Error(`image ${imageId} is not a bootable root filesystem tarball (no /sbin/init)`);
      try {
        renameSync(tmp, dir);
      } catch (err) {
        if (!existsSync(dir)) throw err;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return dir;
  }
}
