/**
 * Router create, update and delete. distributed and ha are admin-only (defaults from
 * KUMO_ROUTER_DISTRIBUTED / KUMO_L3_HA, off unless set) and change only while the router is
 * administratively down, moving its interfaces to the matching device_owner. A new router is
 * scheduled to an L3 agent; a router with interfaces cannot be deleted (RouterInUse).
 */
import { ApiError } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { RouterRow } from '../../store/schema-l3.js';
import type { Store, Tx } from '../../store/store.js';
import { nowIso, uuid } from '../../util/ids.js';
import { policyForbidden } from '../errors.js';
import { owningProject, requireMember, requireWrite } from '../policy.js';
import { checkQuotaLocked } from '../ports/tx.js';
import { deletePortRows } from '../ports/delete.js';
import type { NetworkService } from '../service.js';
import { bad, notUpdatable, onlyKnown, optBool, optString, optStringList, type Body } from '../validate.js';
import { scheduleRouter } from '../agents/scheduler.js';
import { INTERFACE_OWNERS, interfaceOwner, lockRouter, visibleRouter } from './access.js';
import { badL3Request, routerInUse } from './errors.js';
import { applyGateway, clearGateway } from './gateway.js';
import { checkNexthops, parseGatewayInfo, parseRoutes, type Route } from './input.js';
import { connectedNets, routerPorts } from './router-ports.js';

const CREATE_ATTRS = ['name', 'description', 'admin_state_up', 'external_gateway_info', 'distributed', 'ha', 'availability_zone_hints',
  'flavor_id', 'tenant_id', 'project_id'];
const UPDATE_ATTRS = ['name', 'description', 'admin_state_up', 'external_gateway_info', 'distributed', 'ha', 'routes'];
const READ_ONLY = ['id', 'tenant_id', 'project_id', 'status', 'availability_zone_hints', 'availability_zones', 'flavor_id', 'created_at',
  'updated_at', 'revision_number', 'tags'];

const envFlag = (name: string) => /^(1|true|yes)$/i.test(process.env[name] ?? '');

export const routerDefaults = () => ({ distributed: envFlag('KUMO_ROUTER_DISTRIBUTED'), ha: envFlag('KUMO_L3_HA') });

function availabilityZoneHints(item: Body): string[] {
  const hints = optStringList(item, 'availability_zone_hints') ?? [];
  const unknown = hints.filter((az) => az !== 'nova');
  if (unknown.length) throw new ApiError('notFound', `AvailabilityZone ${unknown[0]} could not be found.`, { type: 'AvailabilityZoneNotFound' });
  return hints;
}

export async function createRouter(service: NetworkService, ctx: AuthContext, tx: Tx, item: Body): Promise<RouterRow> {
  if (item.routes !== undefined) throw bad("Attribute 'routes' not allowed in POST");
  onlyKnown(item, CREATE_ATTRS);
  requireMember(ctx, 'create_router');
  const projectId = owningProject(ctx, item, 'create_router');
  const name = optString(item, 'name') ?? '';
  const description = optString(item, 'description') ?? '';
  const adminUp = optBool(item, 'admin_state_up') ?? true;
  const distributed = optBool(item, 'distributed');
  const ha = optBool(item, 'ha');
  if (distributed !== undefined && !isAdmin(ctx)) throw policyForbidden('create_router:distributed');
  if (ha !== undefined && !isAdmin(ctx)) throw policyForbidden('create_router:ha');
  if (item.flavor_id !== undefined && item.flavor_id !== null) throw bad('Invalid input for flavor_id. Reason: router flavors are not supported.');
  const hints = availabilityZoneHints(item);
  const gateway = parseGatewayInfo(ctx, item.external_gateway_info, 'create_router');
  await checkQuotaLocked(service.store, tx, projectId, 'router');
  const defaults = routerDefaults();
  const now = nowIso();
  let row: RouterRow = {
    id: uuid(), project_id: projectId, name, description, admin_state_up: adminUp ? 1 : 0, status: 'ACTIVE', gw_port_id: null, enable_snat: 1,
    distributed: (distributed ?? defaults.distributed) ? 1 : 0, ha: (ha ?? defaults.ha) ? 1 : 0,
    availability_zone_hints: JSON.stringify(hints), created_at: now, updated_at: now, revision_number: 1,
  };
  await tx.insertInto('routers').values(row).execute();
  if (gateway) {
    const changes = await applyGateway(service, ctx, tx, row, gateway);
    await tx.updateTable('routers').set(changes).where('id', '=', row.id).execute();
    row = { ...row, ...changes };
  }
  await scheduleRouter(tx, row);
  return row;
}

/** Replaces the router's extra routes after checking every nexthop is reachable. */
export async function setRoutes(tx: Tx, routerId: string, routes: readonly Route[]): Promise<void> {
  if (routes.length) {
    const nets = await connectedNets(tx, await routerPorts(tx, routerId));
    checkNexthops(routes, nets.cidrs, nets.ips);
  }
  await tx.deleteFrom('router_routes').where('router_id', '=', routerId).execute();
  if (routes.length) await tx.insertInto('router_routes').values(routes.map((r) => ({ router_id: routerId, ...r }))).execute();
}

/** Moves the router's interfaces to the device_owner its (new) distributed/ha flags call for. */
async function retagInterfaces(tx: Tx, router: RouterRow): Promise<void> {
  const owner = interfaceOwner(router);
  const ports = (await routerPorts(tx, router.id)).filter((p) => (INTERFACE_OWNERS as readonly string[]).includes(p.portType) && p.portType !== owner);
  if (ports.length === 0) return;
  const ids = ports.map((p) => p.portId);
  await tx.updateTable('router_ports').set({ port_type: owner }).where('port_id', 'in', ids).execute();
  await tx.updateTable('ports').set((eb) => ({ device_owner: owner, revision_number: eb('revision_number', '+', 1), updated_at: nowIso() }))
    .where('id', 'in', ids).execute();
}

export async function updateRouter(service: NetworkService, ctx: AuthContext, tx: Tx, id: string, item: Body): Promise<RouterRow> {
  notUpdatable(item, READ_ONLY);
  onlyKnown(item, UPDATE_ATTRS);
  const name = optString(item, 'name');
  const description = optString(item, 'description');
  const adminUp = optBool(item, 'admin_state_up');
  const distributed = optBool(item, 'distributed');
  const ha = optBool(item, 'ha');
  const routes = parseRoutes(item.routes);
  const current = await visibleRouter(ctx, id, tx);
  requireWrite(ctx, current.project_id, 'update_router');
  if (distributed !== undefined && !isAdmin(ctx)) throw policyForbidden('update_router:distributed');
  if (ha !== undefined && !isAdmin(ctx)) throw policyForbidden('update_router:ha');
  const gateway = parseGatewayInfo(ctx, item.external_gateway_info, 'update_router');
  await lockRouter(service.store, tx, id);
  const changes: Partial<RouterRow> = {};
  if (name !== undefined) changes.name = name;
  if (description !== undefined) changes.description = description;
  if (adminUp !== undefined) changes.admin_state_up = adminUp ? 1 : 0;
  const desiredUp = (changes.admin_state_up ?? current.admin_state_up) === 1;
  if (distributed !== undefined && (distributed ? 1 : 0) !== current.distributed) {
    if (desiredUp) {
      throw badL3Request('router', "Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade");
    }
    changes.distributed = distributed ? 1 : 0;
  }
  if (ha !== undefined && (ha ? 1 : 0) !== current.ha) {
    if (desiredUp) throw badL3Request('router', 'Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade');
    changes.ha = ha ? 1 : 0;
  }
  let row: RouterRow = { ...current, ...changes };
  if (gateway !== undefined) Object.assign(changes, await applyGateway(service, ctx, tx, row, gateway));
  row = { ...row, ...changes, updated_at: nowIso(), revision_number: current.revision_number + 1 };
  await tx.updateTable('routers').set({ ...changes, updated_at: row.updated_at, revision_number: row.revision_number }).where('id', '=', id).execute();
  if (routes !== undefined) await setRoutes(tx, id, routes);
  if (changes.distributed !== undefined || changes.ha !== undefined) await retagInterfaces(tx, row);
  if (changes.ha === 1) await tx.deleteFrom('router_l3_agent_bindings').where('router_id', '=', id).execute();
  await scheduleRouter(tx, row);
  return row;
}

export async function deleteRouter(store: Store, ctx: AuthContext, tx: Tx, id: string): Promise<void> {
  const router = await visibleRouter(ctx, id, tx);
  requireWrite(ctx, router.project_id, 'delete_router');
  await lockRouter(store, tx, id);
  const ports = await routerPorts(tx, id);
  const interfaces = ports.filter((p) => (INTERFACE_OWNERS as readonly string[]).includes(p.portType));
  if (interfaces.length) throw routerInUse(id, `has ports still attached: ${interfaces.map((p) => p.portId).join(', ')}`);
  await clearGateway(tx, router);
  const leftovers = ports.filter((p) => p.portId !== router.gw_port_id).map((p) => p.portId);
  await deletePortRows(tx, leftovers);
  await tx.deleteFrom('resource_tags').where('resource_id', '=', id).execute();
  await tx.deleteFrom('routers').where('id', '=', id).execute();
}
