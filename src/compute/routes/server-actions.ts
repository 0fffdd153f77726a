/**
 * POST /servers/{id}/action: the body's one key names the action. Power actions, reboot and
 * rebuild go through the conductor (202, then the task runs); lock/unlock, security groups and
 * console output answer directly. Unknown actions are Nova's 400.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.js';
import { caller } from '../../api/auth-hook.js';
import type { AuthContext } from '../../policy/context.js';
import { isAdmin } from '../../policy/context.js';
import { nowIso } from '../../util/ids.js';
import { atLeast } from '../microversion.js';
import { descriptionString, invalid, isObject, pyRepr } from '../catalog/validate.js';
import type { ComputeService } from '../service.js';
import { loadServer, policyDenied, requireMember, requireReader } from '../servers/access.js';
import { ACTION_STATES, checkState, TaskState } from '../servers/states.js';
import { TRANSITIONS, transition } from '../servers/actions/transition.js';
import { parseRebuild, rebuildServer } from '../servers/actions/rebuild.js';
import { changeSecurityGroup, groupName } from '../servers/actions/security-groups.js';
import { generatePassword } from '../servers/create.js';
import { startAction } from '../lifecycle/records.js';
import { showDocument } from './servers.js';
import { createBackup, createImage, imageAnswer, shelve, shelveOffload, unshelve } from '../servers/actions/snapshots.js';
import { findBootImage } from '../servers/images.js';
import { coldMigrate, liveMigrate, resetState } from '../servers/actions/admin.js';
import { associate, disassociate } from '../floating-ips/proxy.js';
import { isIP } from 'node:net';
import { setSystemMetadata } from '../lifecycle/snapshot.js';

type IdParams = { Params: { id: string } };
type Handler = (service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, value: unknown) => Promise<unknown>;

const REBOOT_TYPES = ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'];

function noBody(value: unknown, action: string): void {
  if (value !== null && !(isObject(value) && Object.keys(value).length === 0)) throw invalid(action, value, `${pyRepr(value)} is not of type 'null'`);
}

const reboot: Handler = async (service, request, ctx, id, value) => {
  if (!isObject(value)) throw invalid('reboot', value, `${pyRepr(value)} is not of type 'object'`);
  const type = value.type;
  if (type === undefined) throw invalid('reboot', value, `'type' is a required property`);
  if (typeof type !== 'string' || !REBOOT_TYPES.includes(type)) throw invalid('type', type, `${pyRepr(type)} is not one of ${pyRepr(REBOOT_TYPES)}`);
  const hard = type.toUpperCase() === 'HARD';
  await transition(service, request, ctx, id, {
    name: 'reboot', action: 'reboot', states: hard ? ACTION_STATES.rebootHard : ACTION_STATES.rebootSoft,
    task: hard ? TaskState.REBOOTING_HARD : TaskState.REBOOTING,
  });
  return undefined;
};

function simple(key: keyof typeof TRANSITIONS): Handler {
  return async (service, request, ctx, id, value) => {
    noBody(value, key);
    await transition(service, request, ctx, id, TRANSITIONS[key]);
    return undefined;
  };
}

const lock: Handler = async (service, request, ctx, id, value) => {
  let reason: string | null = null;
  if (value !== null) {
    if (!isObject(value)) throw invalid('lock', value, `${pyRepr(value)} is not of type 'object', 'null'`);
    const allowed = atLeast(request, '2.73') ? ['locked_reason'] : [];
    const extra = Object.keys(value).filter((k) => !allowed.includes(k));
    if (extra.length) throw invalid('lock', value, `Additional properties are not allowed ('${extra[0]}' was unexpected)`);
    if (value.locked_reason !== undefined) reason = descriptionString(value.locked_reason, 'locked_reason', 255);
  }
  await service.store.transaction(async (tx) => {
    const row = await loadServer(tx, ctx, id);
    if (row.locked_by === null) {
      const lockedBy = row.project_id === ctx.projectId ? 'owner' : 'admin';
      await tx.updateTable('instances').set({ locked_by: lockedBy, locked_reason: reason, updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
    }
    await startAction(tx, { uuid: row.uuid, action: 'lock', requestId: request.id, projectId: row.project_id, userId: ctx.userId });
  });
  return undefined;
};

const unlock: Handler = async (service, request, ctx, id, value) => {
  noBody(value, 'unlock');
  await service.store.transaction(async (tx) => {
    const row = await loadServer(tx, ctx, id);
    if (row.locked_by === 'admin' && !isAdmin(ctx)) throw policyDenied('os_compute_api:os-lock-server:unlock:unlock_override');
    await tx.updateTable('instances').set({ locked_by: null, locked_reason: null, updated_at: nowIso() }).where('uuid', '=', row.uuid).execute();
    await startAction(tx, { uuid: row.uuid, action: 'unlock', requestId: request.id, projectId: row.project_id, userId: ctx.userId });
  });
  return undefined;
};

const rebuild: Handler = async (service, request, ctx, id, value) => {
  const cmd = parseRebuild(request, value);
  const adminPass = cmd.adminPass ?? generatePassword();
  const row = await rebuildServer(service, request, ctx, id, cmd, adminPass);
  const server = await showDocument(service, request, row, !atLeast(request, '2.75'));
  if (atLeast(request, '2.54')) server.key_name = row.key_name;
  if (atLeast(request, '2.57')) server.user_data = row.user_data;
  if (atLeast(request, '2.75')) delete server['OS-EXT-SRV-ATTR:user_data'];
  server.adminPass = adminPass;
  return { server };
};

const securityGroup = (add: boolean): Handler => async (service, _request, ctx, id, value) => {
  await changeSecurityGroup(service, ctx, id, groupName(value, add ? 'addSecurityGroup' : 'removeSecurityGroup'), add);
  return undefined;
};

/** Nova's tail of a console log: the last `length` pieces of the log split at newlines. */
function tailLog(log: string, length: number | undefined): string {
  if (length === undefined || length === 0) return log;
  const lines = log.split('\n');
  return length > lines.length ? log : lines.slice(lines.length - length).join('\n');
}

const consoleOutput: Handler = async (service, _request, ctx, id, value) => {
  let length: number | undefined;
  if (value !== null && value !== undefined) {
    if (!isObject(value)) throw invalid('os-getConsoleOutput', value, `${pyRepr(value)} is not of type 'object'`);
    const raw = value.length;
    if (raw !== undefined && raw !== null) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?[0-9]+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < -1) throw invalid('length', raw, `${pyRepr(raw)} is not valid under any of the given schemas`);
      length = n === -1 ? undefined : n;
    }
  }
  const row = await loadServer(service.db, ctx, id);
  checkState(row, ACTION_STATES.consoleOutput, 'get_console_output');
  if (!row.host) throw badRequest(`Instance ${row.uuid} has not been scheduled to a host yet.`);
  const log = await service.driver.consoleOutput(row.host, row.uuid).catch(() => {
    throw badRequest(`Guest does not have a console available.`);
  });
  return { output: tailLog(log, length).replace(/[\x00-\x08\x0b-\x1f]/g, '') };
};

const changePassword: Handler = async (service, request, ctx, id, value) => {
  if (!isObject(value)) throw invalid('changePassword', value, `${pyRepr(value)} is not of type 'object'`);
  const pass = value.adminPass;
  if (pass === undefined) throw invalid('changePassword', value, `'adminPass' is a required property`);
  if (typeof pass !== 'string') throw invalid('adminPass', pass, `${pyRepr(pass)} is not of type 'string'`);
  await transition(service, request, ctx, id, {
    name: 'set_admin_password', action: 'changePassword', states: ACTION_STATES.changePassword, task: TaskState.UPDATING_PASSWORD,
  }, { adminPass: pass });
  return undefined;
};

/** An action's answer that also sets response headers. */
class WithHeaders {
  constructor(readonly body: unknown, readonly headers: Readonly<Record<string, string>>) {}
}

const imageAction = (make: typeof createImage): Handler => async (service, request, ctx, id, value) => {
  const answer = imageAnswer(request, await make(service, request, ctx, id, value));
  return answer.location ? new WithHeaders(answer.body, { location: answer.location }) : answer.body;
};

const rescue: Handler = async (service, request, ctx, id, value) => {
  let pass: string | undefined;
  let image: string | undefined;
  if (value !== null && value !== undefined) {
    if (!isObject(value)) throw invalid('rescue', value, `${pyRepr(value)} is not of type 'object', 'null'`);
    const extra = Object.keys(value).filter((k) => !['adminPass', 'rescue_image_ref'].includes(k));
    if (extra.length) throw invalid('rescue', value, `Additional properties are not allowed ('${extra[0]}' was unexpected)`);
    if (value.adminPass !== undefined) {
      if (typeof value.adminPass !== 'string') throw invalid('adminPass', value.adminPass, `${pyRepr(value.adminPass)} is not of type 'string'`);
      pass = value.adminPass;
    }
    if (value.rescue_image_ref !== undefined) {
      if (typeof value.rescue_image_ref !== 'string') throw invalid('rescue_image_ref', value.rescue_image_ref, `${pyRepr(value.rescue_image_ref)} is not a 'uuid'`);
      image = value.rescue_image_ref;
    }
  }
  const adminPass = pass ?? generatePassword();
  await transition(service, request, ctx, id, { name: 'rescue', action: 'rescue', states: ACTION_STATES.rescue, task: TaskState.RESCUING }, {
    adminPass,
    prepare: async (tx, row) => {
      if (image !== undefined) {
        const found = await findBootImage(tx, ctx, image);
        if (!found) throw badRequest(`Image ${image} could not be found.`);
        await setSystemMetadata(tx, row.uuid, 'rescue_image_ref', found.id);
      }
    },
  });
  return { adminPass };
};

const unrescue: Handler = async (service, request, ctx, id, value) => {
  noBody(value, 'unrescue');
  await transition(service, request, ctx, id, { name: 'unrescue', action: 'unrescue', states: ACTION_STATES.unrescue, task: TaskState.UNRESCUING });
  return undefined;
};

/** forceDelete and restore act on soft-deleted servers, which Kumo never has (reclaim_instance_interval 0). */
const softDeleted = (name: string): Handler => async (service, _request, ctx, id, value) => {
  noBody(value, name);
  const row = await loadServer(service.db, ctx, id);
  checkState(row, ACTION_STATES.softDeleted, name === 'forceDelete' ? 'forceDelete' : 'restore');
  return undefined;
};

/** addFloatingIp / removeFloatingIp (until 2.44): Nova's proxy to Neutron floating IP association. */
const floatingIpAction = (add: boolean): Handler => async (service, request, ctx, id, value) => {
  const name = add ? 'addFloatingIp' : 'removeFloatingIp';
  if (atLeast(request, '2.44')) throw badRequest(`There is no such action: ${name}`);
  if (!isObject(value)) throw invalid(name, value ?? null, `${pyRepr(value ?? null)} is not of type 'object'`);
  const address = value.address;
  if (typeof address !== 'string' || isIP(address) === 0) throw invalid('address', address ?? null, `${pyRepr(address ?? null)} is not valid under any of the given schemas`);
  const fixed = value.fixed_address;
  if (fixed !== undefined && (typeof fixed !== 'string' || isIP(fixed) === 0)) throw invalid('fixed_address', fixed, `${pyRepr(fixed)} is not valid under any of the given schemas`);
  await service.store.transaction(async (tx) => {
    const row = await loadServer(tx, ctx, id);
    if (add) await associate(tx, ctx, row.uuid, address, typeof fixed === 'string' ? fixed : null);
    else await disassociate(tx, ctx, row.uuid, address);
  });
  return undefined;
};

/** Which handler each action key runs, with the policy that guards it. */
const ACTIONS: Readonly<Record<string, { handler: Handler; rule: string; reader?: boolean }>> = {
  reboot: { handler: reboot, rule: 'os_compute_api:servers:reboot' },
  'os-stop': { handler: simple('os-stop'), rule: 'os_compute_api:servers:stop' },
  'os-start': { handler: simple('os-start'), rule: 'os_compute_api:servers:start' },
  pause: { handler: simple('pause'), rule: 'os_compute_api:os-pause-server:pause' },
  unpause: { handler: simple('unpause'), rule: 'os_compute_api:os-pause-server:unpause' },
  suspend: { handler: simple('suspend'), rule: 'os_compute_api:os-suspend-server:suspend' },
  resume: { handler: simple('resume'), rule: 'os_compute_api:os-suspend-server:resume' },
  lock: { handler: lock, rule: 'os_compute_api:os-lock-server:lock' },
  unlock: { handler: unlock, rule: 'os_compute_api:os-lock-server:unlock' },
  rebuild: { handler: rebuild, rule: 'os_compute_api:servers:rebuild' },
  addSecurityGroup: { handler: securityGroup(true), rule: 'os_compute_api:os-security-groups:add' },
  removeSecurityGroup: { handler: securityGroup(false), rule: 'os_compute_api:os-security-groups:remove' },
  'os-getConsoleOutput': { handler: consoleOutput, rule: 'os_compute_api:os-console-output', reader: false },
  changePassword: { handler: changePassword, rule: 'os_compute_api:os-admin-password' },
  createImage: { handler: imageAction(createImage), rule: 'os_compute_api:servers:create_image' },
  createBackup: { handler: imageAction(createBackup), rule: 'os_compute_api:os-create-backup' },
  shelve: { handler: async (s, r, c, i, v) => { await shelve(s, r, c, i, v); return undefined; }, rule: 'os_compute_api:os-shelve:shelve' },
  shelveOffload: { handler: async (s, r, c, i, v) => { noBody(v, 'shelveOffload'); await shelveOffload(s, r, c, i); return undefined; }, rule: 'os_compute_api:os-shelve:shelve_offload' },
  unshelve: { handler: async (s, r, c, i, v) => { await unshelve(s, r, c, i, v); return undefined; }, rule: 'os_compute_api:os-shelve:unshelve' },
  rescue: { handler: rescue, rule: 'os_compute_api:os-rescue' },
  unrescue: { handler: unrescue, rule: 'os_compute_api:os-unrescue' },
  'os-resetState': { handler: async (s, r, c, i, v) => { await resetState(s, r, c, i, v); return undefined; }, rule: 'os_compute_api:os-admin-actions:reset_state' },
  'os-migrateLive': { handler: async (s, r, c, i, v) => { await liveMigrate(s, r, c, i, v); return undefined; }, rule: 'os_compute_api:os-migrate-server:migrate_live' },
  migrate: { handler: async (s, r, c, i, v) => { await coldMigrate(s, r, c, i, v); return undefined; }, rule: 'os_compute_api:os-migrate-server:migrate' },
  addFloatingIp: { handler: floatingIpAction(true), rule: 'os_compute_api:os-floating-ips:add' },
  removeFloatingIp: { handler: floatingIpAction(false), rule: 'os_compute_api:os-floating-ips:remove' },
  forceDelete: { handler: softDeleted('forceDelete'), rule: 'os_compute_api:os-deferred-delete:force' },
  restore: { handler: softDeleted('restore'), rule: 'os_compute_api:os-deferred-delete:restore' },
};

export async function serverActionRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  app.post<IdParams>('/servers/:id/action', async (request, reply) => {
    const ctx = caller(request);
    const body = request.body;
    if (!isObject(body)) throw badRequest('Malformed request body');
    const keys = Object.keys(body);
    const key = keys.find((k) => k in ACTIONS);
    if (keys.length !== 1 || key === undefined) throw badRequest(`There is no such action: ${keys.join(', ') || 'None'}`);
    const action = ACTIONS[key] as (typeof ACTIONS)[string];
    if (action.reader) requireReader(ctx, action.rule);
    else requireMember(ctx, action.rule);
    const result = await action.handler(service, request, ctx, request.params.id, body[key]);
    reply.code(key === 'os-getConsoleOutput' || key === 'rescue' ? 200 : 202);
    if (result instanceof WithHeaders) {
      for (const [name, value] of Object.entries(result.headers)) reply.header(name, value);
      return result.body === undefined ? reply.send() : result.body;
    }
    return result === undefined ? reply.send() : result;
  });
}
