/**
 * The rebuild action: a new image (checked against the flavor as at create), and optionally a
 * new name, metadata (replacing the old), access IPs, description (2.19), key pair (2.54),
 * user_data (2.57); then task_state rebuilding and the conductor respawns the instance.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { normalizeIp } from '../../../network/ipam/ip.js';
import { badRequest } from '../../../api/errors.js';
import type { AuthContext } from '../../../policy/context.js';
import { atLeast } from '../../microversion.js';
import { booleanParam, descriptionString, invalid, isObject, isUuidLike, nameString, onlyKeys, pyRepr } from '../../catalog/validate.js';
import { userQuotas } from '../../catalog/quotas.js';
import type { ComputeService } from '../../service.js';
import type { InstanceUpdate } from '../../lifecycle/records.js';
import { findBootImage } from '../images.js';
import { metadataMap } from '../input-types.js';
import { hostnameField, userDataField } from '../create-input.js';
import { ACTION_STATES } from '../states.js';
import { flavorSnapshot } from '../views.js';
import { transition } from './transition.js';
import type { InstanceRow } from '../../../store/schema-servers.js';
import { forbidden } from '../../../api/errors.js';

const GIB = 1024 ** 3;

export interface RebuildCommand {
  readonly imageRef: string;
  readonly name?: string;
  readonly adminPass?: string;
  readonly metadata?: Record<string, string>;
  readonly diskConfig?: string;
  readonly accessIPv4?: string | null;
  readonly accessIPv6?: string | null;
  readonly description?: string | null;
  /** null: remove the key pair; undefined: keep it. */
  readonly keyName?: string | null;
  readonly userData?: string | null;
  readonly personalityFiles: number;
  readonly hostname?: string;
}

export function parseRebuild(request: FastifyRequest, value: unknown): RebuildCommand {
  if (!isObject(value)) throw invalid('rebuild', value, `${pyRepr(value)} is not of type 'object'`);
  const keys = ['imageRef', 'name', 'adminPass', 'metadata', 'preserve_ephemeral', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6'];
  if (!atLeast(request, '2.57')) keys.push('personality');
  if (atLeast(request, '2.19')) keys.push('description');
  if (atLeast(request, '2.54')) keys.push('key_name');
  if (atLeast(request, '2.57')) keys.push('user_data');
  if (atLeast(request, '2.63')) keys.push('trusted_image_certificates');
  if (atLeast(request, '2.90')) keys.push('hostname');
  onlyKeys(value, keys, 'rebuild');
  const image = value.imageRef;
  if (image === undefined) throw invalid('rebuild', value, `'imageRef' is a required property`);
  if (typeof image !== 'string' || !isUuidLike(image.replace(/\/+$/, '').split('/').pop() ?? '')) throw invalid('imageRef', image, `${pyRepr(image)} is not a 'uuid'`);
  const cmd: { -readonly [K in keyof RebuildCommand]: RebuildCommand[K] } = { imageRef: image, personalityFiles: 0 };
  if (value.name !== undefined) cmd.name = nameString(value.name, 'name');
  if (value.adminPass !== undefined) {
    if (typeof value.adminPass !== 'string') throw invalid('adminPass', value.adminPass, `${pyRepr(value.adminPass)} is not of type 'string'`);
    cmd.adminPass = value.adminPass;
  }
  if (value.metadata !== undefined) cmd.metadata = metadataMap(value.metadata, 'metadata');
  if (value.preserve_ephemeral !== undefined) booleanParam(value.preserve_ephemeral, 'preserve_ephemeral');
  const disk = value['OS-DCF:diskConfig'];
  if (disk !== undefined) {
    if (disk !== 'AUTO' && disk !== 'MANUAL') throw invalid('OS-DCF:diskConfig', disk, `${pyRepr(disk)} is not one of ['AUTO', 'MANUAL']`);
    cmd.diskConfig = disk;
  }
  for (const [field, version] of [['accessIPv4', 4], ['accessIPv6', 6]] as const) {
    const v = value[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || (v !== '' && isIP(v) !== version)) throw invalid(field, v, `${pyRepr(v)} is not a 'ipv${version}'`);
    cmd[field] = v === '' ? null : normalizeIp(v) ?? v;
  }
  if (value.description !== undefined) cmd.description = descriptionString(value.description, 'description', 255);
  if (value.key_name !== undefined) cmd.keyName = value.key_name === null ? null : nameString(value.key_name, 'key_name');
  if (value.user_data !== undefined) cmd.userData = userDataField(value.user_data, true);
  const hostname = hostnameField(request, value.hostname);
  if (hostname !== null) cmd.hostname = hostname;
  if (value.personality !== undefined) {
    if (!Array.isArray(value.personality)) throw invalid('personality', value.personality, `${pyRepr(value.personality)} is not of type 'array'`);
    cmd.personalityFiles = value.personality.length;
  }
  return cmd;
}

export async function rebuildServer(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, cmd: RebuildCommand, adminPass: string): Promise<InstanceRow> {
  const row = await transition(service, request, ctx, id, { name: 'rebuild', action: 'rebuild', states: ACTION_STATES.rebuild, task: 'rebuilding' }, {
    adminPass,
    prepare: async (tx, current) => {
      const image = await findBootImage(tx, ctx, cmd.imageRef);
      if (!image) throw badRequest('Can not find requested image');
      if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
      const flavor = flavorSnapshot(current);
      if (image.minRam > flavor.ram) throw badRequest("Flavor's memory is too small for requested image.");
      if (flavor.disk > 0 && image.size !== null && image.size > flavor.disk * GIB) {
        throw badRequest(`Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * GIB} bytes, image is ${image.size} bytes.`);
      }
      if (flavor.disk > 0 && image.minDisk > flavor.disk) {
        throw badRequest(`Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * GIB} bytes, minimum size is ${image.minDisk * GIB} bytes.`);
      }
      const limits = await userQuotas(tx, current.project_id, ctx.userId);
      if (cmd.metadata && (limits.metadata_items ?? -1) >= 0 && Object.keys(cmd.metadata).length > (limits.metadata_items ?? 0)) {
        throw forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(cmd.metadata).length}, but already used 0 of ${limits.metadata_items} metadata_items`);
      }
      const changes: InstanceUpdate = { image_ref: image.id };
      if (cmd.keyName !== undefined) {
        if (cmd.keyName === null) {
          changes.key_name = null;
          changes.key_data = null;
        } else {
          const key = await tx.selectFrom('keypairs').select('public_key').where('user_id', '=', current.user_id).where('name', '=', cmd.keyName).executeTakeFirst();
          if (!key) throw badRequest('Invalid key_name provided.');
          changes.key_name = cmd.keyName;
          changes.key_data = key.public_key;
        }
      }
      if (cmd.name !== undefined) changes.name = cmd.name;
      if (cmd.diskConfig !== undefined) changes.disk_config = cmd.diskConfig;
      if (cmd.accessIPv4 !== undefined) changes.access_ip_v4 = cmd.accessIPv4;
      if (cmd.accessIPv6 !== undefined) changes.access_ip_v6 = cmd.accessIPv6;
      if (cmd.description !== undefined) changes.description = cmd.description;
      if (cmd.userData !== undefined) changes.user_data = cmd.userData;
      if (cmd.hostname !== undefined) changes.hostname = cmd.hostname;
      if (cmd.metadata) {
        await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', current.uuid).execute();
        const entries = Object.entries(cmd.metadata);
        if (entries.length) await tx.insertInto('instance_metadata').values(entries.map(([key, value]) => ({ instance_uuid: current.uuid, key, value }))).execute();
      }
      return changes;
    },
  });
  return row;
}
