/**
 * Nova's server documents, microversion by microversion: the create answer, list entries,
 * the full view (show, detail, and update/rebuild from 2.75) and the reduced view update and
 * rebuild answer with before 2.75. Tempest checks each against a schema that forbids extra
 * fields, so every key appears exactly from the microversion that introduced it.
 */
import type { FastifyRequest } from 'fastify';
import type { InstanceRow } from '../../store/schema-servers.js';
import { atLeast } from '../microversion.js';
import { parseJsonObject } from '../../util/json.js';
import { createHash } from 'node:crypto';
import type { ServerExtras } from './details.js';
import { statusOf } from './states.js';

export type View = Record<string, unknown>;

export interface FlavorSnapshot {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ram: number;
  readonly disk: number;
  readonly ephemeral: number;
  readonly swap: number;
  readonly extra_specs: Readonly<Record<string, string>>;
}

export function flavorSnapshot(row: Pick<InstanceRow, 'flavor'>): FlavorSnapshot {
  return parseJsonObject(row.flavor) as unknown as FlavorSnapshot;
}

/** http://host:port/compute: the root links are made from. */
export function computeRoot(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}/compute`;
}

export function serverLinks(request: FastifyRequest, id: string): View[] {
  const root = computeRoot(request);
  return [{ rel: 'self', href: `${root}/v2.1/servers/${id}` }, { rel: 'bookmark', href: `${root}/servers/${id}` }];
}

/** Nova's isotime: seconds precision with a Z. */
export function isoSeconds(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

/** A naive datetime as Nova's JSON prints it: microseconds, no zone. */
export function isoMicros(iso: string | null): string | null {
  return iso === null ? null : `${iso.slice(0, 19)}.${iso.slice(20, 23).padEnd(6, '0')}`;
}

/** instance-%08x from Nova's internal id. */
export function instanceName(id: number): string {
  return `instance-${id.toString(16).padStart(8, '0')}`;
}

const hostIds = new Map<string, string>();

/** sha224(project + host), '' before the server has a host: the same host looks different to each project. */
export function hostId(projectId: string, host: string | null): string {
  if (!host) return '';
  const key = `${projectId}${host}`;
  let id = hostIds.get(key);
  if (id === undefined) {
    id = createHash('sha224').update(key).digest('hex');
    // A bounded memo: lists repeat the same few (project, host) pairs thousands of times.
    if (hostIds.size > 10_000) hostIds.clear();
    hostIds.set(key, id);
  }
  return id;
}

export function createView(request: FastifyRequest, row: InstanceRow, securityGroups: readonly string[], adminPass: string | null): View {
  const server: View = {
    id: row.uuid,
    links: serverLinks(request, row.uuid),
    'OS-DCF:diskConfig': row.disk_config,
    security_groups: securityGroups.map((name) => ({ name })),
  };
  if (adminPass !== null) server.adminPass = adminPass;
  return server;
}

export function listEntry(request: FastifyRequest, row: InstanceRow): View {
  return { id: row.uuid, links: serverLinks(request, row.uuid), name: row.name };
}

function imageView(request: FastifyRequest, row: InstanceRow): View | string {
  if (!row.image_ref) return '';
  return { id: row.image_ref, links: [{ rel: 'bookmark', href: `${computeRoot(request)}/images/${row.image_ref}` }] };
}

function flavorView(request: FastifyRequest, row: InstanceRow): View {
  if (atLeast(request, '2.47')) {
    const f = flavorSnapshot(row);
    return { vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: f.ephemeral, swap: f.swap, original_name: f.name, extra_specs: { ...f.extra_specs } };
  }
  return { id: row.flavor_id, links: [{ rel: 'bookmark', href: `${computeRoot(request)}/flavors/${row.flavor_id}` }] };
}

/** addresses: {network: [{version, addr[, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr]}]}; empty while building. */
function addressesView(row: InstanceRow, extras: ServerExtras, extended: boolean): View {
  const out: Record<string, View[]> = {};
  if (row.vm_state === 'building') return out;
  for (const a of extras.addresses) {
    const entry: View = { version: a.version, addr: a.addr };
    if (extended) {
      entry['OS-EXT-IPS:type'] = a.type;
      entry['OS-EXT-IPS-MAC:mac_addr'] = a.mac;
    }
    (out[a.network] ??= []).push(entry);
  }
  return out;
}

const PROGRESS_STATUSES = ['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'];
const FAULT_STATUSES = ['ERROR', 'DELETED'];

export interface ViewOptions {
  readonly admin: boolean;
  /** The reduced document of update and rebuild before 2.75. */
  readonly reduced?: boolean;
  /** Show and update/rebuild carry server_groups from 2.71; list details do not. */
  readonly single?: boolean;
}

/** The server as show and detail present it (or update/rebuild's reduced form). */
export function serverView(request: FastifyRequest, row: InstanceRow, extras: ServerExtras, options: ViewOptions): View {
  const status = statusOf(row.vm_state, row.task_state, row.deleted === 1);
  const full = !options.reduced;
  const s: View = {
    id: row.uuid,
    name: row.name,
    status,
    tenant_id: row.project_id,
    user_id: row.user_id,
    metadata: { ...extras.metadata },
    hostId: hostId(row.project_id, row.host),
    image: imageView(request, row),
    flavor: flavorView(request, row),
    created: isoSeconds(row.created_at),
    updated: isoSeconds(row.updated_at),
    addresses: addressesView(row, extras, full),
    accessIPv4: row.access_ip_v4 ?? '',
    accessIPv6: row.access_ip_v6 ?? '',
    links: serverLinks(request, row.uuid),
    'OS-DCF:diskConfig': row.disk_config,
  };
  if (FAULT_STATUSES.includes(status) && extras.fault) {
    const f = extras.fault;
    const fault: View = { code: f.code, created: isoSeconds(f.created_at), message: f.message };
    // A 500's details are a traceback: only admins see them.
    if (f.details && (options.admin || f.code !== 500)) fault.details = f.details;
    s.fault = fault;
  }
  if (PROGRESS_STATUSES.includes(status)) s.progress = row.progress;
  if (full) {
    s['OS-EXT-AZ:availability_zone'] = row.availability_zone ?? '';
    s.config_drive = row.config_drive;
    s.key_name = row.key_name;
    s['OS-SRV-USG:launched_at'] = isoMicros(row.launched_at);
    s['OS-SRV-USG:terminated_at'] = isoMicros(row.terminated_at);
    if (extras.securityGroups.length) s.security_groups = extras.securityGroups.map((name) => ({ name }));
    if (options.admin) {
      s['OS-EXT-SRV-ATTR:host'] = row.host;
      s['OS-EXT-SRV-ATTR:instance_name'] = instanceName(Number(row.id));
      s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = row.node;
      if (atLeast(request, '2.3')) {
        s['OS-EXT-SRV-ATTR:reservation_id'] = row.reservation_id;
        s['OS-EXT-SRV-ATTR:launch_index'] = row.launch_index;
        s['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
        s['OS-EXT-SRV-ATTR:kernel_id'] = '';
        s['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
        s['OS-EXT-SRV-ATTR:root_device_name'] = row.root_device_name;
        s['OS-EXT-SRV-ATTR:user_data'] = row.user_data;
      }
    }
    // From 2.90 everyone sees the hostname they can now set.
    if (!options.admin && atLeast(request, '2.90')) s['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
    s['OS-EXT-STS:task_state'] = row.task_state;
    s['OS-EXT-STS:vm_state'] = row.vm_state;
    s['OS-EXT-STS:power_state'] = row.power_state;
    s['os-extended-volumes:volumes_attached'] = [];
    if (atLeast(request, '2.16') && options.admin) s.host_status = extras.hostStatus;
  }
  if (atLeast(request, '2.9')) s.locked = row.locked_by !== null;
  if (atLeast(request, '2.19')) s.description = row.description;
  if (atLeast(request, '2.26')) s.tags = [...extras.tags];
  if (atLeast(request, '2.63')) s.trusted_image_certificates = row.trusted_certs === null ? null : JSON.parse(row.trusted_certs) as string[];
  if (atLeast(request, '2.71') && options.single) s.server_groups = [...extras.serverGroups];
  if (atLeast(request, '2.73')) s.locked_reason = row.locked_reason;
  if (atLeast(request, '2.96')) s.pinned_availability_zone = extras.pinnedAvailabilityZone;
  return s;
}
