/**
 * Image data: PUT /v2/images/{id}/file streams the body to disk (queued → saving → active; a
 * failed or aborted upload goes back to queued with nothing kept), GET streams it back with
 * Content-MD5 and single byte-range support, 204 when there is no data.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import { isAdmin } from '../../policy/context.js';
import { nowIso } from '../../util/ids.js';
import type { ReceivedData } from '../data-store.js';
import { badRequest, conflict, forbidden, gone, notFound, policyForbidden } from '../errors.js';
import { canDownload, canModify } from '../policy.js';
import type { ImageService } from '../service.js';

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

function requireOctetStream(request: FastifyRequest): Readable {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/octet-stream' || !isStream(request.body)) {
    throw new ApiError('unsupportedMediaType', 'The request media type is not supported by this server.',
      { detail: `Content type ${type || 'None'} is not supported; use application/octet-stream.` });
  }
  return request.body;
}

/** Parses a single `bytes=` range against the data size; null when the header is absent. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = new ApiError('rangeNotSatisfiable', 'Requested range not satisfiable', { headers: { 'Content-Range': `bytes */${size}` } });
  if (!match || (match[1] === '' && match[2] === '')) throw unsatisfiable;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw unsatisfiable;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) throw unsatisfiable;
  return { start, end };
}

async function upload(service: ImageService, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const ctx = caller(request);
  const { id } = request.params as { id: string };
  const body = requireOctetStream(request);
  const image = await service.store.transaction(async (tx) => {
    const row = await service.visible(ctx, id, tx);
    if (!canModify(ctx, row)) throw forbidden(`Not allowed to upload image data for image ${id}`);
    if (row.status !== 'queued') throw conflict(`Image status transition from ${row.status} to saving is not allowed`);
    const missing = (['disk_format', 'container_format'] as const).filter((k) => !row[k]);
    if (missing.length) throw badRequest(`Propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')} must be set prior to saving data.`);
    // Only a queued image starts saving: a concurrent second upload finds it saving (409).
    const claimed = await tx.updateTable('images').set({ status: 'saving', updated_at: nowIso() })
      .where('id', '=', id).where('status', '=', 'queued').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw conflict(`Image status transition from saving to saving is not allowed`);
    return row;
  });

  let received: ReceivedData;
  try {
    received = await service.data.receive(id, body, image.disk_format);
  } catch (err) {
    await service.db.updateTable('images').set({ status: 'queued', size: null, virtual_size: null, updated_at: nowIso() })
      .where('id', '=', id).where('status', '=', 'saving').execute();
    request.log.info({ err, image: id }, 'image upload failed; image back to queued');
    throw badRequest(`Image data upload for ${id} was interrupted; the image is queued again.`);
  }
  service.data.commit(received, id);
  const saved = await service.db.updateTable('images').set({
    status: 'active', size: received.size, virtual_size: received.virtualSize, checksum: received.md5,
    os_hash_algo: 'sha512', os_hash_value: received.sha512, updated_at: nowIso(),
  }).where('id', '=', id).where('status', '=', 'saving').executeTakeFirst();
  if (Number(saved.numUpdatedRows) !== 1) {
    service.data.remove(id);
    throw gone(`Image ${id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`);
  }
  reply.code(204).send();
}

async function download(service: ImageService, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const ctx = caller(request);
  const { id } = request.params as { id: string };
  const row = await service.visible(ctx, id);
  if (row.status === 'deactivated' && !isAdmin(ctx)) {
    throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
  }
  const member = row.visibility === 'shared' ? await service.membership(id, ctx.projectId) : undefined;
  if (!canDownload(ctx, row, member !== undefined)) throw policyForbidden('download_image');
  const size = row.status === 'active' || row.status === 'deactivated' ? service.data.storedSize(id) : null;
  if (size === null) return reply.code(204).send();
  const range = parseRange(request.headers.range, size);
  reply.header('Content-Type', 'application/octet-stream');
  if (row.checksum) reply.header('Content-MD5', row.checksum);
  if (range) {
    reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${size}`).header('Content-Length', String(range.end - range.start + 1));
    return reply.send(service.data.read(id, range.start, range.end));
  }
  reply.header('Content-Length', String(size));
  return reply.send(service.data.read(id));
}

export async function dataRoutes(app: FastifyInstance, service: ImageService): Promise<void> {
  app.put('/v2/images/:id/file', (request, reply) => upload(service, request, reply));
  app.get('/v2/images/:id/file', (request, reply) => download(service, request, reply));
  // The staging area belongs to interoperable import, which this cloud does not offer.
  app.put('/v2/images/:id/stage', async (request) => {
    const { id } = request.params as { id: string };
    await service.visible(caller(request), id);
    throw notFound("'glance-direct' method is not available at this site.");
  });
}
