/**
 * Actions that make images or put a server away: createImage, createBackup (with rotation),
 * shelve, shelveOffload, unshelve. The image is queued in Glance in the same transaction as
 * the task is set, so the answer can name it; the conductor fills it.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest, conflict } from '../../../api/errors.js';
import type { AuthContext } from '../../../policy/context.js';
import { atLeast } from '../../microversion.js';
import { integerParam, invalid, isObject, nameString, onlyKeys, pyRepr } from '../../catalog/validate.js';
import { createSnapshotImage, setSystemMetadata, SNAPSHOT_KEY } from '../../lifecycle/snapshot.js';
import type { ComputeService } from '../../service.js';
import { metadataMap } from '../input-types.js';
import { ACTION_STATES, TaskState } from '../states.js';
import { transition } from './transition.js';
import { isAdmin } from '../../../policy/context.js';
import { hostZones } from '../../catalog/zones.js';
import { policyDenied } from '../access.js';

export interface ImageAnswer {
  readonly imageId: string;
}

/** createImage {name, metadata}: a snapshot of the server. */
export async function createImage(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<ImageAnswer> {
  if (!isObject(value)) throw invalid('createImage', value, `${pyRepr(value)} is not of type 'object'`);
  onlyKeys(value, ['name', 'metadata'], 'createImage');
  if (value.name === undefined) throw invalid('createImage', value, `'name' is a required property`);
  const name = nameString(value.name, 'name');
  const metadata = value.metadata === undefined ? {} : metadataMap(value.metadata, 'metadata');
  let imageId = '';
  await transition(service, request, ctx, id, { name: 'createImage', action: 'createImage', states: ACTION_STATES.createImage, task: TaskState.IMAGE_SNAPSHOT }, {
    prepare: async (tx, row) => {
      imageId = await createSnapshotImage(tx, row, { name, imageType: 'snapshot', metadata });
      await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, imageId);
    },
  });
  return { imageId };
}

/** createBackup {name, backup_type, rotation, metadata}: a snapshot kept `rotation` deep per type. */
export async function createBackup(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<ImageAnswer> {
  if (!isObject(value)) throw invalid('createBackup', value, `${pyRepr(value)} is not of type 'object'`);
  onlyKeys(value, ['name', 'backup_type', 'rotation', 'metadata'], 'createBackup');
  for (const key of ['name', 'backup_type', 'rotation']) if (value[key] === undefined) throw invalid('createBackup', value, `'${key}' is a required property`);
  const name = nameString(value.name, 'name');
  if (typeof value.backup_type !== 'string') throw invalid('backup_type', value.backup_type, `${pyRepr(value.backup_type)} is not of type 'string'`);
  const backupType = value.backup_type;
  const rotation = integerParam(value.rotation, 'rotation', 0);
  const metadata = value.metadata === undefined ? {} : metadataMap(value.metadata, 'metadata');
  let imageId = '';
  await transition(service, request, ctx, id, { name: 'createBackup', action: 'createBackup', states: ACTION_STATES.createImage, task: TaskState.IMAGE_BACKUP }, {
    prepare: async (tx, row) => {
      imageId = await createSnapshotImage(tx, row, { name, imageType: 'backup', backupType, rotation, metadata });
      await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, imageId);
      await setSystemMetadata(tx, row.uuid, 'backup', JSON.stringify({ type: backupType, rotation }));
    },
  });
  return { imageId };
}

/** The 202 answer of createImage/createBackup: a Location header before 2.45, {image_id} from it. */
export function imageAnswer(request: FastifyRequest, answer: ImageAnswer): { body: Record<string, unknown> | undefined; location: string | undefined } {
  if (atLeast(request, '2.45')) return { body: { image_id: answer.imageId }, location: undefined };
  return { body: undefined, location: `${request.protocol}://${request.headers.host ?? 'localhost'}/image/v2/images/${answer.imageId}` };
}

export async function shelve(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<void> {
  if (value !== null && !(isObject(value) && Object.keys(value).length === 0)) throw invalid('shelve', value, `${pyRepr(value)} is not of type 'null'`);
  await transition(service, request, ctx, id, { name: 'shelve', action: 'shelve', states: ACTION_STATES.shelve, task: TaskState.SHELVING }, {
    prepare: async (tx, row) => {
      const imageId = await createSnapshotImage(tx, row, { name: `${row.name}-shelved`, imageType: 'snapshot' });
      await setSystemMetadata(tx, row.uuid, SNAPSHOT_KEY, imageId);
    },
  });
}

export async function shelveOffload(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string): Promise<void> {
  if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-shelve:shelve_offload');
  await transition(service, request, ctx, id, { name: 'shelveOffload', action: 'shelveOffload', states: ACTION_STATES.shelveOffload, task: TaskState.SHELVING_OFFLOADING });
}

export async function unshelve(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown): Promise<void> {
  let az: string | null = null;
  let unpin = false;
  let host: string | null = null;
  if (value !== null && value !== undefined) {
    if (!atLeast(request, '2.77') || !isObject(value)) throw invalid('unshelve', value, `${pyRepr(value)} is not of type 'null'`);
    onlyKeys(value, atLeast(request, '2.91') ? ['availability_zone', 'host'] : ['availability_zone'], 'unshelve');
    if (value.availability_zone === null && atLeast(request, '2.91')) unpin = true;
    else if (value.availability_zone !== undefined) {
      az = nameString(value.availability_zone, 'availability_zone');
      if (![...(await hostZones(service.db)).values()].includes(az)) throw badRequest('The requested availability zone is not available');
    }
    if (value.host !== undefined) {
      // 2.91: an admin may name the host the server comes back on.
      if (!isAdmin(ctx)) throw policyDenied('os_compute_api:os-shelve:unshelve_to_host');
      host = nameString(value.host, 'host');
      const known = await service.db.selectFrom('hosts').select('name').where('name', '=', host).executeTakeFirst();
      if (!known) throw badRequest(`Compute host ${host} could not be found.`);
    }
  }
  await transition(service, request, ctx, id, { name: 'unshelve', action: 'unshelve', states: ACTION_STATES.unshelve, task: TaskState.UNSHELVING }, {
    prepare: async (tx, row) => {
      if (az === null && !unpin && host === null) return;
      // A zone or a host only means something for a server that must be scheduled again.
      if (row.vm_state !== 'shelved_offloaded') throw conflict(`The unshelve server operation on ${row.uuid} with an availability zone or host needs a shelved offloaded server.`);
      if (unpin) {
        await setSystemMetadata(tx, row.uuid, 'pinned_availability_zone', null);
        return { availability_zone: null, forced_host: host };
      }
      if (az !== null) await setSystemMetadata(tx, row.uuid, 'pinned_availability_zone', az);
      return { ...(az !== null ? { availability_zone: az } : {}), forced_host: host };
    },
  });
}
