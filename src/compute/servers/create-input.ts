/**
 * POST /servers body → a typed create command, checked as Nova's create schema (per
 * microversion) and its request parsing do: 400 badRequest naming the field for anything
 * malformed. Nothing here reads the store; lookups happen in create.ts.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.js';
import { normalizeIp } from '../../network/ipam/ip.js';
import { atLeast } from '../microversion.js';
import {
  booleanParam, descriptionString, invalid, isObject, isUuidLike, nameString, onlyKeys, pyRepr, type Body,
} from '../catalog/validate.js';
import { metadataMap, tagString } from './input-types.js';

export type NetworkEntry =
  | { readonly kind: 'network'; readonly networkId: string; readonly fixedIp: string | null; readonly tag: string | null }
  | { readonly kind: 'port'; readonly portId: string; readonly tag: string | null };

export interface SchedulerHints {
  /** The hints as given (kept on the server as Nova keeps its request spec). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly group: string | null;
  readonly sameHost: readonly string[];
  readonly differentHost: readonly string[];
}

export interface CreateCommand {
  readonly name: string;
  /** '' only for a boot from volume, which Kumo refuses later. */
  readonly imageRef: string;
  readonly flavorRef: string;
  readonly adminPass: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** undefined: not given (before 2.37: use the one available network). */
  readonly networks: 'auto' | 'none' | readonly NetworkEntry[] | undefined;
  readonly diskConfig: 'AUTO' | 'MANUAL';
  readonly accessIPv4: string | null;
  readonly accessIPv6: string | null;
  readonly availabilityZone: string | null;
  readonly configDrive: boolean;
  readonly keyName: string | null;
  readonly minCount: number;
  readonly maxCount: number;
  readonly returnReservationId: boolean;
  readonly securityGroups: readonly string[];
  readonly userData: string | null;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly trustedCerts: readonly string[] | null;
  readonly host: string | null;
  readonly hypervisorHostname: string | null;
  readonly personalityFiles: number;
  readonly hints: SchedulerHints;
  readonly volumeBacked: boolean;
  /** 2.90: the hostname asked for (else derived from the name). */
  readonly hostname: string | null;
}

const BASE_KEYS = ['name', 'imageRef', 'flavorRef', 'adminPass', 'metadata', 'networks', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6',
  'availability_zone', 'block_device_mapping', 'block_device_mapping_v2', 'config_drive', 'key_name', 'min_count', 'max_count',
  'return_reservation_id', 'security_groups', 'user_data'];

function allowedKeys(request: FastifyRequest): string[] {
  const keys = [...BASE_KEYS];
  if (!atLeast(request, '2.57')) keys.push('personality');
  if (atLeast(request, '2.19')) keys.push('description');
  if (atLeast(request, '2.52')) keys.push('tags');
  if (atLeast(request, '2.63')) keys.push('trusted_image_certificates');
  if (atLeast(request, '2.74')) keys.push('host', 'hypervisor_hostname');
  if (atLeast(request, '2.90')) keys.push('hostname');
  return keys;
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const FQDN = /^(?=.{1,255}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** 2.90's hostname: one DNS label; from 2.94 a fully qualified name. */
export function hostnameField(request: FastifyRequest, value: unknown): string | null {
  if (value === undefined) return null;
  const pattern = atLeast(request, '2.94') ? FQDN : HOSTNAME;
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid('hostname', value, `${pyRepr(value)} does not match '${pattern.source}'`);
  return value;
}

function optionalName(value: unknown, field: string): string | null {
  return value === undefined ? null : nameString(value, field);
}

/** parameter_types.positive_integer: an integer ≥ 1, or a string of digits. */
function positiveInteger(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < 1) throw invalid(field, value, `${value} is less than the minimum of 1`);
    return value;
  }
  if (typeof value === 'string' && /^[0-9]*$/.test(value) && value !== '') {
    const n = Number(value);
    if (n < 1) throw invalid(field, value, `'${value}' is less than the minimum of 1`);
    return n;
  }
  throw invalid(field, value, typeof value === 'string' ? `'${value}' does not match '^[0-9]*$'` : `${pyRepr(value)} is not of type 'integer', 'string'`);
}

function ipField(value: unknown, field: string, version: 4 | 6): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || isIP(value) !== version) throw invalid(field, value, `${pyRepr(value)} is not a 'ipv${version}'`);
  // Nova keeps addresses in canonical form (0000::babe:220.12.22.2 is shown as ::babe:dc0c:1602).
  return normalizeIp(value) ?? value;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function userDataField(value: unknown, nullable: boolean): string | null {
  if (value === undefined) return null;
  if (value === null && nullable) return null;
  if (typeof value !== 'string') throw invalid('user_data', value, `${pyRepr(value)} is not of type 'string'`);
  if (value.length > 65535) throw invalid('user_data', value, `'${value.slice(0, 20)}...' is too long`);
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) throw invalid('user_data', value, `'${value}' is not a 'base64'`);
  return value;
}

function networksField(request: FastifyRequest, value: unknown): CreateCommand['networks'] {
  const v237 = atLeast(request, '2.37');
  if (value === undefined) {
    if (v237) throw invalid('server', {}, `'networks' is a required property`);
    return undefined;
  }
  if (typeof value === 'string') {
    if (v237 && (value === 'auto' || value === 'none')) return value;
    throw invalid('networks', value, v237 ? `'${value}' is not one of ['none', 'auto']` : `'${value}' is not of type 'array'`);
  }
  if (!Array.isArray(value)) throw invalid('networks', value, `${pyRepr(value)} is not of type 'array'`);
  const tagAllowed = request.microversion.minor === 32 || atLeast(request, '2.42');
  const entries: NetworkEntry[] = [];
  for (const item of value) {
    if (!isObject(item)) throw invalid('networks', item, `${pyRepr(item)} is not of type 'object'`);
    onlyKeys(item, tagAllowed ? ['fixed_ip', 'port', 'uuid', 'tag'] : ['fixed_ip', 'port', 'uuid'], 'networks');
    const fixedIp = item.fixed_ip;
    if (fixedIp !== undefined && (typeof fixedIp !== 'string' || isIP(fixedIp) === 0)) throw invalid('fixed_ip', fixedIp, `${pyRepr(fixedIp)} is not valid under any of the given schemas`);
    const port = item.port;
    if (port !== undefined && port !== null && (typeof port !== 'string' || !isUuidLike(port))) throw invalid('port', port, `${pyRepr(port)} is not valid under any of the given schemas`);
    const tag = item.tag === undefined ? null : tagString(item.tag, 'tag');
    if (typeof port === 'string') {
      if (fixedIp !== undefined) {
        throw badRequest(`Specified Fixed IP '${String(fixedIp)}' cannot be used with port '${port}': the two cannot be specified together.`);
      }
      entries.push({ kind: 'port', portId: port, tag });
      continue;
    }
    const uuid = item.uuid;
    if (uuid === undefined) throw badRequest(`Bad network format: missing 'uuid'`);
    if (typeof uuid !== 'string') throw invalid('uuid', uuid, `${pyRepr(uuid)} is not of type 'string'`);
    if (!isUuidLike(uuid)) {
      if (v237) throw invalid('uuid', uuid, `'${uuid}' is not a 'uuid'`);
      throw badRequest(`Bad networks format: network uuid is not in proper format (${uuid})`);
    }
    entries.push({ kind: 'network', networkId: uuid, fixedIp: typeof fixedIp === 'string' ? fixedIp : null, tag });
  }
  return entries;
}

function hintsOf(body: Body): SchedulerHints {
  const raw = body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints'];
  if (raw === undefined) return { raw: {}, group: null, sameHost: [], differentHost: [] };
  if (!isObject(raw)) throw invalid('os:scheduler_hints', raw, `${pyRepr(raw)} is not of type 'object'`);
  const group = raw.group;
  if (group !== undefined && (typeof group !== 'string' || !isUuidLike(group))) throw invalid('group', group, `${pyRepr(group)} is not a 'uuid'`);
  const list = (v: unknown, field: string): string[] => {
    if (v === undefined) return [];
    const items = Array.isArray(v) ? v : [v];
    for (const i of items) if (typeof i !== 'string' || !isUuidLike(i)) throw invalid(field, i, `${pyRepr(i)} is not a 'uuid'`);
    return items as string[];
  };
  return { raw, group: typeof group === 'string' ? group : null, sameHost: list(raw.same_host, 'same_host'), differentHost: list(raw.different_host, 'different_host') };
}

/** Block device mappings: an image-backed local root is the image; anything needing volumes is refused. */
function bootImageFromBdm(server: Body): { imageRef: string | null; volumeBacked: boolean } {
  const v2 = server.block_device_mapping_v2;
  const v1 = server.block_device_mapping;
  if (v1 !== undefined && !Array.isArray(v1)) throw invalid('block_device_mapping', v1, `${pyRepr(v1)} is not of type 'array'`);
  if (v2 === undefined) return { imageRef: null, volumeBacked: Array.isArray(v1) && v1.length > 0 };
  if (!Array.isArray(v2)) throw invalid('block_device_mapping_v2', v2, `${pyRepr(v2)} is not of type 'array'`);
  let imageRef: string | null = null;
  let volumeBacked = false;
  for (const bdm of v2) {
    if (!isObject(bdm)) throw invalid('block_device_mapping_v2', bdm, `${pyRepr(bdm)} is not of type 'object'`);
    const dest = bdm.destination_type ?? 'local';
    if (bdm.source_type === 'image' && dest === 'local' && typeof bdm.uuid === 'string') imageRef = bdm.uuid;
    else if (dest === 'volume' || bdm.source_type === 'volume' || bdm.source_type === 'snapshot') volumeBacked = true;
  }
  return { imageRef, volumeBacked };
}

export function parseCreate(request: FastifyRequest, body: unknown): CreateCommand {
  if (!isObject(body)) throw badRequest(`Invalid input for field/attribute body. Value: ${pyRepr(body ?? null)}. ${pyRepr(body ?? null)} is not of type 'object'`);
  const extra = Object.keys(body).filter((k) => !['server', 'os:scheduler_hints', 'OS-SCH-HNT:scheduler_hints'].includes(k));
  if (extra.length) throw badRequest(`Invalid input for field/attribute body. Value: ${pyRepr(body)}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  const server = body.server;
  if (server === undefined) throw badRequest(`Invalid input for field/attribute body. Value: ${pyRepr(body)}. 'server' is a required property`);
  if (!isObject(server)) throw invalid('server', server, `${pyRepr(server)} is not of type 'object'`);
  onlyKeys(server, allowedKeys(request), 'server');
  if (server.name === undefined) throw invalid('server', server, `'name' is a required property`);
  if (server.flavorRef === undefined) throw invalid('server', server, `'flavorRef' is a required property`);
  const name = nameString(server.name, 'name');
  const flavorRef = server.flavorRef;
  if ((typeof flavorRef !== 'string' && !(typeof flavorRef === 'number' && Number.isInteger(flavorRef))) || flavorRef === '') {
    throw invalid('flavorRef', flavorRef, `${pyRepr(flavorRef)} is not valid under any of the given schemas`);
  }
  const image = server.imageRef;
  if (image !== undefined && (typeof image !== 'string' || (image !== '' && !isUuidLike(imageTail(image))))) {
    throw invalid('imageRef', image, `${pyRepr(image)} is not valid under any of the given schemas`);
  }
  const bdm = bootImageFromBdm(server);
  const adminPass = server.adminPass;
  if (adminPass !== undefined && typeof adminPass !== 'string') throw invalid('adminPass', adminPass, `${pyRepr(adminPass)} is not of type 'string'`);
  const diskConfig = server['OS-DCF:diskConfig'] ?? 'MANUAL';
  if (diskConfig !== 'AUTO' && diskConfig !== 'MANUAL') throw invalid('OS-DCF:diskConfig', diskConfig, `${pyRepr(diskConfig)} is not one of ['AUTO', 'MANUAL']`);
  const minCount = server.min_count === undefined ? 1 : positiveInteger(server.min_count, 'min_count');
  const maxCount = server.max_count === undefined ? minCount : positiveInteger(server.max_count, 'max_count');
  if (minCount > maxCount) throw badRequest('min_count must be <= max_count');
  const groups = server.security_groups;
  if (groups !== undefined && !Array.isArray(groups)) throw invalid('security_groups', groups, `${pyRepr(groups)} is not of type 'array'`);
  const securityGroups: string[] = [];
  for (const g of groups ?? []) {
    if (!isObject(g)) throw invalid('security_groups', g, `${pyRepr(g)} is not of type 'object'`);
    onlyKeys(g, ['name'], 'security_groups');
    if (g.name !== undefined) securityGroups.push(nameString(g.name, 'name'));
  }
  const personality = server.personality;
  if (personality !== undefined && !Array.isArray(personality)) throw invalid('personality', personality, `${pyRepr(personality)} is not of type 'array'`);
  const tags = server.tags;
  if (tags !== undefined && !Array.isArray(tags)) throw invalid('tags', tags, `${pyRepr(tags)} is not of type 'array'`);
  if (Array.isArray(tags) && tags.length > 50) throw invalid('tags', tags, 'is too long');
  const certs = server.trusted_image_certificates;
  if (certs !== undefined && certs !== null && (!Array.isArray(certs) || certs.length < 1 || certs.length > 50
    || certs.some((c) => typeof c !== 'string' || c === '') || new Set(certs).size !== certs.length)) {
    throw invalid('trusted_image_certificates', certs, `${pyRepr(certs)} is not valid under any of the given schemas`);
  }
  const host = server.host;
  const node = server.hypervisor_hostname;
  for (const [field, v] of [['host', host], ['hypervisor_hostname', node]] as const) {
    if (v !== undefined && (typeof v !== 'string' || !/^[a-zA-Z0-9-._]{1,255}$/.test(v))) throw invalid(field, v, `${pyRepr(v)} does not match the hostname pattern`);
  }
  return {
    name,
    imageRef: typeof image === 'string' && image !== '' ? image : bdm.imageRef ?? '',
    flavorRef: String(flavorRef),
    adminPass: typeof adminPass === 'string' ? adminPass : null,
    metadata: server.metadata === undefined ? {} : metadataMap(server.metadata, 'metadata'),
    networks: networksField(request, server.networks),
    diskConfig,
    accessIPv4: ipField(server.accessIPv4, 'accessIPv4', 4),
    accessIPv6: ipField(server.accessIPv6, 'accessIPv6', 6),
    availabilityZone: optionalName(server.availability_zone, 'availability_zone'),
    configDrive: server.config_drive === undefined ? false : booleanParam(server.config_drive, 'config_drive'),
    keyName: optionalName(server.key_name, 'key_name'),
    minCount,
    maxCount,
    returnReservationId: server.return_reservation_id === undefined ? false : booleanParam(server.return_reservation_id, 'return_reservation_id'),
    securityGroups,
    userData: userDataField(server.user_data, false),
    description: server.description === undefined ? null : descriptionString(server.description, 'description', 255),
    tags: Array.isArray(tags) ? [...new Set(tags.map((t) => tagString(t, 'tags')))] : [],
    trustedCerts: Array.isArray(certs) ? certs as string[] : null,
    host: typeof host === 'string' ? host : null,
    hypervisorHostname: typeof node === 'string' ? node : null,
    personalityFiles: Array.isArray(personality) ? personality.length : 0,
    hints: hintsOf(body),
    volumeBacked: bdm.volumeBacked,
    hostname: hostnameField(request, server.hostname),
  };
}

function imageTail(ref: string): string {
  return ref.replace(/\/+$/, '').split('/').pop() ?? '';
}
