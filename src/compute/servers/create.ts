/**
 * Server create: every check Nova makes before it accepts a create (flavor, image against
 * flavor, key pair, availability zone and forced host, networks and ports, security groups,
 * server group, quotas), then the instances written in BUILD/scheduling in one transaction.
 * The conductor takes them from there. A refused create writes nothing.
 */
import { randomInt } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { badRequest, forbidden } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { extraSpecsOf, findVisibleFlavor } from '../catalog/flavor-access.js';
import { hostZones } from '../catalog/zones.js';
import { checkComputeQuota, checkServerGroupMembersQuota, userQuotas } from '../catalog/quotas.js';
import type { ComputeService } from '../service.js';
import { startAction } from '../lifecycle/records.js';
import { PowerState } from '../driver/driver.js';
import type { CreateCommand } from './create-input.js';
import { resolveNetworks, resolveSecurityGroups } from './create-networks.js';
import { findBootImage } from './images.js';
import { policyDenied } from './access.js';
import { TaskState, VmState } from './states.js';
import type { FlavorSnapshot } from './views.js';

export interface Created {
  readonly rows: InstanceRow[];
  readonly adminPass: string;
  readonly securityGroups: string[];
}

const GIB = 1024 ** 3;
const PASSWORD_CHARS = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Nova's generate_password: 12 characters without look-alikes. */
export function generatePassword(length = 12): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_CHARS[randomInt(PASSWORD_CHARS.length)];
  return out;
}

/** Nova's sanitize_hostname: the display name made a valid host label. */
export function sanitizeHostname(name: string, uuidText: string): string {
  const h = name.replace(/[ _.]/g, '-').replace(/[^\w.-]+/g, '').toLowerCase().replace(/^[.-]+|[.-]+$/g, '').slice(0, 63).replace(/[.-]+$/, '');
  return h || `server-${uuidText}`;
}

/** Nova's checks of an image against the flavor it boots with. */
async function checkImage(tx: Tx, ctx: AuthContext, cmd: CreateCommand, flavor: FlavorSnapshot): Promise<string> {
  if (cmd.volumeBacked) throw badRequest('Block Device Mapping is Invalid: this cloud has no volume service to boot from.');
  if (!cmd.imageRef) throw badRequest('Missing imageRef attribute');
  const image = await findBootImage(tx, ctx, cmd.imageRef);
  if (!image) throw badRequest('Can not find requested image');
  if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
  if (image.minRam > flavor.ram) throw badRequest("Flavor's memory is too small for requested image.");
  if (flavor.disk > 0) {
    if (image.size !== null && image.size > flavor.disk * GIB) {
      throw badRequest(`Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * GIB} bytes, image is ${image.size} bytes.`);
    }
    if (image.minDisk > flavor.disk) {
      throw badRequest(`Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * GIB} bytes, minimum size is ${image.minDisk * GIB} bytes.`);
    }
  } else if (!isAdmin(ctx)) {
    throw forbidden('Only volume-backed servers are allowed for flavors with zero disk.');
  }
  return image.id;
}

interface Placement {
  readonly availabilityZone: string | null;
  readonly forcedHost: string | null;
  readonly forcedNode: string | null;
}

/** availability_zone as `az`, `az:host` or `az:host:node` (forcing a host is for admins), or 2.74's host. */
async function placement(tx: Tx, ctx: AuthContext, cmd: CreateCommand): Promise<Placement> {
  let az = cmd.availabilityZone;
  let host: string | null = null;
  let node: string | null = null;
  if (az !== null && az.includes(':')) {
    const [zone, h, n] = az.split(':');
    az = zone || null;
    host = h || null;
    node = n || null;
    if ((host || node) && !isAdmin(ctx)) throw policyDenied('os_compute_api:servers:create:forced_host');
  }
  if (cmd.host !== null || cmd.hypervisorHostname !== null) {
    if (!isAdmin(ctx)) throw policyDenied('compute:servers:create:requested_destination');
    const name = cmd.host ?? cmd.hypervisorHostname as string;
    const known = await tx.selectFrom('hosts').select('name').where('name', '=', name).executeTakeFirst();
    if (!known) throw badRequest(cmd.host !== null ? `Compute host ${name} could not be found.` : `Compute node ${name} could not be found.`);
    host = name;
  }
  if (az !== null && ![...(await hostZones(tx)).values()].includes(az)) throw badRequest('The requested availability zone is not available');
  return { availabilityZone: az, forcedHost: host ?? node, forcedNode: node };
}

/** The most servers (between min and max count) the quotas allow, as Nova creates as many as fit. */
async function quotaCount(tx: Tx, ctx: AuthContext, projectId: string, flavor: FlavorSnapshot, min: number, max: number): Promise<number> {
  const check = (n: number) => checkComputeQuota(tx, projectId, ctx.userId, { instances: n, cores: n * flavor.vcpus, ram: n * flavor.ram });
  try {
    await check(max);
    return max;
  } catch (err) {
    if (min === max) throw err;
    try {
      await check(min);
    } catch {
      throw err;
    }
    let lo = min;
    let hi = max - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      try {
        await check(mid);
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    return lo;
  }
}

export async function createServers(service: ComputeService, request: FastifyRequest, ctx: AuthContext, cmd: CreateCommand): Promise<Created> {
  const projectId = ctx.projectId;
  if (!projectId) throw forbidden('Creating a server needs a project-scoped token.');
  return service.store.transaction(async (tx) => {
    const flavorRow = await findVisibleFlavor(tx, ctx, cmd.flavorRef);
    if (!flavorRow || flavorRow.disabled === 1) throw badRequest(`Flavor ${cmd.flavorRef} could not be found.`);
    const flavor: FlavorSnapshot = {
      id: flavorRow.id, name: flavorRow.name, vcpus: flavorRow.vcpus, ram: flavorRow.ram, disk: flavorRow.disk,
      ephemeral: flavorRow.ephemeral, swap: flavorRow.swap, extra_specs: (await extraSpecsOf(tx, [flavorRow.id])).get(flavorRow.id) ?? {},
    };
    const imageId = await checkImage(tx, ctx, cmd, flavor);
    let keyData: string | null = null;
    if (cmd.keyName !== null) {
      const key = await tx.selectFrom('keypairs').select('public_key').where('user_id', '=', ctx.userId).where('name', '=', cmd.keyName).executeTakeFirst();
      if (!key) throw badRequest('Invalid key_name provided.');
      keyData = key.public_key;
    }
    const where = await placement(tx, ctx, cmd);
    const limits = await userQuotas(tx, projectId, ctx.userId);
    const metaLimit = limits.metadata_items ?? -1;
    if (metaLimit >= 0 && Object.keys(cmd.metadata).length > metaLimit) throw forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(cmd.metadata).length}, but already used 0 of ${metaLimit} metadata_items`);
    const fileLimit = limits.injected_files ?? -1;
    if (fileLimit >= 0 && cmd.personalityFiles > fileLimit) throw forbidden('Personality file limit exceeded');
    let group: { id: string } | undefined;
    if (cmd.hints.group !== null) {
      group = await tx.selectFrom('server_groups').select(['id']).where('id', '=', cmd.hints.group)
        .where((eb) => (isAdmin(ctx) ? eb.val(true) : eb('project_id', '=', projectId))).executeTakeFirst();
      if (!group) throw badRequest(`Invalid server group ${cmd.hints.group}`);
    }
    const networks = await resolveNetworks(tx, service.network, ctx, projectId, cmd);
    const groups = await resolveSecurityGroups(tx, projectId, cmd.securityGroups);
    if (cmd.hostname !== null && cmd.maxCount > 1) throw badRequest('Unable to set hostname with multiple servers: a hostname names one server.');
    const count = await quotaCount(tx, ctx, projectId, flavor, cmd.minCount, Math.min(cmd.maxCount, networks.allowedCount));
    if (group) await checkServerGroupMembersQuota(tx, projectId, ctx.userId, group.id, count);

    const now = nowIso();
    const reservationId = `r-${Math.random().toString(36).slice(2, 10).padEnd(8, '0')}`;
    const rows: InstanceRow[] = [];
    for (let i = 0; i < count; i++) {
      const id = uuid();
      const name = count > 1 ? `${cmd.name}-${i + 1}` : cmd.name;
      const values = {
        uuid: id, name, description: cmd.description, hostname: cmd.hostname ?? sanitizeHostname(name, id), project_id: projectId, user_id: ctx.userId,
        image_ref: imageId, flavor_id: flavor.id, flavor: JSON.stringify(flavor), vcpus: flavor.vcpus, memory_mb: flavor.ram,
        root_gb: flavor.disk, ephemeral_gb: flavor.ephemeral, vm_state: VmState.BUILDING, task_state: TaskState.SCHEDULING,
        power_state: PowerState.NOSTATE, host: null, node: null, availability_zone: where.availabilityZone, key_name: cmd.keyName,
        key_data: keyData, user_data: cmd.userData, config_drive: cmd.configDrive ? 'True' : '', access_ip_v4: cmd.accessIPv4,
        access_ip_v6: cmd.accessIPv6, disk_config: cmd.diskConfig, locked_by: null, locked_reason: null, progress: 0, launch_index: i,
        reservation_id: reservationId, root_device_name: null, requested_networks: JSON.stringify(networks.requested),
        requested_security_groups: JSON.stringify(groups), scheduler_hints: JSON.stringify(cmd.hints.raw), forced_host: where.forcedHost,
        forced_node: where.forcedNode, trusted_certs: cmd.trustedCerts ? JSON.stringify(cmd.trustedCerts) : null, launched_at: null,
        terminated_at: null, created_at: now, updated_at: now, deleted_at: null, deleted: 0 as const,
      };
      const inserted = await tx.insertInto('instances').values(values).returning('id').executeTakeFirstOrThrow();
      rows.push({ ...values, id: Number(inserted.id) });
      if (Object.keys(cmd.metadata).length) {
        await tx.insertInto('instance_metadata').values(Object.entries(cmd.metadata).map(([key, value]) => ({ instance_uuid: id, key, value }))).execute();
      }
      if (cmd.tags.length) await tx.insertInto('instance_tags').values(cmd.tags.map((tag) => ({ instance_uuid: id, tag }))).execute();
      if (group) await tx.insertInto('server_group_members').values({ group_id: group.id, server_id: id }).execute();
      // The zone the server was asked to live in stays its pinned zone (2.96), whatever host it lands on.
      if (where.availabilityZone !== null) await tx.insertInto('instance_system_metadata').values({ instance_uuid: id, key: 'pinned_availability_zone', value: where.availabilityZone }).execute();
      await startAction(tx, { uuid: id, action: 'create', requestId: request.id, projectId, userId: ctx.userId });
    }
    return { rows, adminPass: cmd.adminPass ?? generatePassword(), securityGroups: cmd.securityGroups.length ? [...cmd.securityGroups] : ['default'] };
  });
}
