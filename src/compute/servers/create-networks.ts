/**
 * The network half of a create, checked at the API as Nova's validate_networks does: which
 * networks and ports the server gets (the one available network when none was named), ports
 * that are free and have an address, networks with a subnet and not another project's external
 * network, enough port quota, and the security groups resolved in the server's project.
 */
import { ApiError, badRequest, conflict, forbidden } from '../../api/errors.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import type { Tx } from '../../store/store.js';
import type { NetworkService } from '../../network/service.js';
import { quotaLimits, usage } from '../../network/quotas.js';
import { ensureDefaultSecurityGroup } from '../../network/security-groups/defaults.js';
import type { CreateCommand, NetworkEntry } from './create-input.js';
import type { RequestedGroup, RequestedNetwork } from './requested.js';

export const networkNotFound = (id: string) => badRequest(`Network ${id} could not be found.`);
export const portNotFound = (id: string) => badRequest(`Port id ${id} could not be found.`);

/** Networks a server of the project may land on when none is named: its own and the shared ones. */
async function availableNetworks(tx: Tx, projectId: string): Promise<string[]> {
  const rows = await tx.selectFrom('networks').select(['id', 'project_id', 'shared'])
    .where((eb) => eb.or([eb('project_id', '=', projectId), eb('shared', '=', 1)])).orderBy('created_at').execute();
  return rows.map((r) => r.id);
}

/** Checks one network the caller named and returns it. */
async function checkNetwork(tx: Tx, network: NetworkService, ctx: AuthContext, id: string): Promise<void> {
  const row = await tx.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
  const grants = await network.rbacGrants(ctx, tx);
  if (!row || !network.networkVisible(ctx, row, grants)) throw networkNotFound(id);
  if (row.external === 1 && !row.shared && !isAdmin(ctx) && row.project_id !== ctx.projectId && !grants.shared.has(id)) {
    throw forbidden(`It is not allowed to create an interface on external network ${id}`);
  }
  const subnet = await tx.selectFrom('subnets').select('id').where('network_id', '=', id).limit(1).executeTakeFirst();
  if (!subnet) throw badRequest(`Network ${id} requires a subnet in order to boot instances on.`);
}

/** Checks a port the caller named: theirs (or an admin's pick), unbound, with an address. */
async function checkPort(tx: Tx, ctx: AuthContext, id: string): Promise<void> {
  const port = await tx.selectFrom('ports').select(['id', 'project_id', 'device_id']).where('id', '=', id).executeTakeFirst();
  if (!port || (!isAdmin(ctx) && port.project_id !== ctx.projectId)) throw portNotFound(id);
  if (port.device_id !== '') throw conflict(`Port ${id} is still in use.`);
  const ip = await tx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', id).limit(1).executeTakeFirst();
  if (!ip) throw badRequest(`Port ${id} requires a FixedIP in order to be used.`);
}

async function checkFixedIp(tx: Tx, networkId: string, address: string): Promise<void> {
  const taken = await tx.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
    .select(['ports.device_id']).where('ip_allocations.network_id', '=', networkId).where('ip_allocations.ip_address', '=', address).executeTakeFirst();
  if (taken) throw badRequest(`Fixed IP address ${address} is already in use on instance ${taken.device_id}.`);
}

export interface ResolvedNetworks {
  readonly requested: RequestedNetwork[];
  /** How many of the servers asked for the project's port quota allows (at least min_count). */
  readonly allowedCount: number;
}

export async function resolveNetworks(tx: Tx, network: NetworkService, ctx: AuthContext, projectId: string, cmd: CreateCommand): Promise<ResolvedNetworks> {
  let entries: readonly NetworkEntry[];
  if (cmd.networks === 'none') {
    entries = [];
  } else if (cmd.networks === undefined || cmd.networks === 'auto' || cmd.networks.length === 0) {
    const nets = await availableNetworks(tx, projectId);
    if (nets.length > 1) throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
    if (nets.length === 0 && cmd.networks === 'auto') {
      throw badRequest(`Unable to automatically allocate a network for project ${projectId}`);
    }
    entries = nets.map((id) => ({ kind: 'network', networkId: id, fixedIp: null, tag: null }));
  } else {
    entries = cmd.networks;
  }
  const ports = entries.filter((e) => e.kind === 'port');
  if (ports.length > 0 && cmd.maxCount > 1) {
    throw badRequest('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
  }
  for (const e of entries) {
    if (e.kind === 'port') {
      await checkPort(tx, ctx, e.portId);
    } else {
      await checkNetwork(tx, network, ctx, e.networkId);
      if (e.fixedIp) {
        if (cmd.maxCount > 1) throw badRequest('max_count cannot be greater than 1 if an fixed_ip is specified.');
        await checkFixedIp(tx, e.networkId, e.fixedIp);
      }
    }
  }
  const needed = entries.filter((e) => e.kind === 'network').length;
  let allowedCount = cmd.maxCount;
  if (needed > 0) {
    const limit = (await quotaLimits(tx, projectId)).port ?? -1;
    if (limit >= 0) {
      const free = limit - await usage(tx, projectId, 'port');
      allowedCount = Math.min(cmd.maxCount, Math.floor(free / needed));
      if (allowedCount < cmd.minCount) throw forbidden('Maximum number of ports exceeded');
    }
  }
  return { requested: entries.map((e) => ({ ...e })), allowedCount };
}

/**
 * The groups a create named, looked up in the server's project by name (unique) or id, as
 * Nova does before accepting the create; none named means the project's default group.
 */
export async function resolveSecurityGroups(tx: Tx, projectId: string, names: readonly string[]): Promise<RequestedGroup[]> {
  if (names.length === 0) return [];
  const groups = await tx.selectFrom('security_groups').select(['id', 'name']).where('project_id', '=', projectId).execute();
  const resolved: RequestedGroup[] = [];
  for (const name of names) {
    let matches = groups.filter((g) => g.name === name);
    if (matches.length === 0 && name === 'default') {
      const id = await ensureDefaultSecurityGroup(tx, projectId);
      matches = [{ id, name: 'default' }];
    }
    if (matches.length > 1) throw new ApiError('conflict', `Multiple security groups found matching '${name}'. Use an ID to be more specific.`);
    const byId = matches[0] ?? groups.find((g) => g.id === name)
      ?? await tx.selectFrom('security_groups').select(['id', 'name']).where('id', '=', name).where('shared', '=', 1).executeTakeFirst();
    if (!byId) throw badRequest(`Security group ${name} not found for project ${projectId}.`);
    resolved.push({ name, id: byId.id });
  }
  return resolved;
}
