/**
 * Image bytes on disk: one file per image under $KUMO_HOME/images/. An upload is streamed to a
 * hidden temporary file while its size, MD5 and SHA-512 are computed, flushed, and renamed into
 * place only when complete, so a failed or aborted upload never leaves a partial image behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, statSync, renameSync, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomSecret } from '../util/ids.js';

export interface ReceivedData {
  readonly tempPath: string;
  readonly size: number;
  readonly md5: string;
  readonly sha512: string;
  /** The virtual disk size when the data says it (raw: its size; qcow2: its header). */
  readonly virtualSize: number | null;
}

const TEMP_PREFIX = '.upload-';
const QCOW2_MAGIC = 0x514649fb;

/** A qcow2 header carries the virtual size at byte 24 (big-endian 64-bit). */
function qcow2VirtualSize(head: Buffer): number | null {
  if (head.length < 32 || head.readUInt32BE(0) !== QCOW2_MAGIC) return null;
  const size = head.readBigUInt64BE(24);
  return size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(size) : null;
}

export class ImageDataStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  path(imageId: string): string {
    return join(this.dir, imageId);
  }

  /** Writes the stream to a temporary file; on any failure the file is gone and the error rethrown. */
  async receive(imageId: string, source: Readable, diskFormat: string | null): Promise<ReceivedData> {
    const tempPath = join(this.dir, `${TEMP_PREFIX}${imageId}-${randomSecret(6)}`);
    const md5 = createHash('md5');
    const sha512 = createHash('sha512');
    let size = 0;
    let head = Buffer.alloc(0);
    try {
      await pipeline(
        source,
        async function* hash(chunks: AsyncIterable<Buffer | string>) {
          for await (const raw of chunks) {
            const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
            md5.update(chunk);
            sha512.update(chunk);
            size += chunk.length;
            if (head.length < 32) head = Buffer.concat([head, chunk.subarray(0, 32 - head.length)]);
            yield chunk;
          }
        },
        createWriteStream(tempPath, { flags: 'wx', mode: 0o600, flush: true }),
      );
    } catch (err) {
      rmSync(tempPath, { force: true });
      throw err;
    }
    const virtualSize = diskFormat === 'raw' ? size : diskFormat === 'qcow2' ? qcow2VirtualSize(head) : null;
    return { tempPath, size, md5: md5.digest('hex'), sha512: sha512.digest('hex'), virtualSize };
  }

  /** Moves a received upload into place as the image's data. */
  commit(received: ReceivedData, imageId: string): void {
    renameSync(received.tempPath, this.path(imageId));
  }

  discard(received: ReceivedData): void {
    rmSync(received.tempPath, { force: true });
  }

  remove(imageId: string): void {
    rmSync(this.path(imageId), { force: true });
  }

  /** Size of the stored data, or null when the image has none on disk. */
  storedSize(imageId: string): number | null {
    try {
      return statSync(this.path(imageId)).size;
    } catch {
      return null;
    }
  }

  /** A stream of bytes [start, end] (inclusive) of the image's data. */
  read(imageId: string, start?: number, end?: number): ReadStream {
    return createReadStream(this.path(imageId), { start, end });
  }

  /** Temporary files can only be left by a process that died mid-upload: delete them. */
  removeStaleUploads(): void {
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(TEMP_PREFIX)) rmSync(join(this.dir, name), { force: true });
    }
  }
}
