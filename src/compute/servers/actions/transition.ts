/**
 * The common shape of an action that hands work to the conductor: check the lock and the
 * state, set the task_state (only if nobody set one meanwhile), record the instance action,
 * commit, kick. Stop, start, reboot, pause, unpause, suspend, resume use it as is.
 */
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../../policy/context.js';
import type { Tx } from '../../../store/store.js';
import { casUpdate, startAction, type InstanceUpdate } from '../../lifecycle/records.js';
import type { ComputeService } from '../../service.js';
import { checkNotLocked, loadServer } from '../access.js';
import { checkState, invalidState, type StateCheck } from '../states.js';
import type { InstanceRow } from '../../../store/schema-servers.js';

export interface Transition {
  /** The name Nova's 409 uses ("Cannot 'stop' instance ..."). */
  readonly name: string;
  /** The instance action recorded (os-instance-actions). */
  readonly action: string;
  readonly states: StateCheck;
  readonly task: string;
}

export const TRANSITIONS = {
  'os-stop': { name: 'stop', action: 'stop', states: { vmStates: ['active', 'error'], taskStates: [null] }, task: 'powering-off' },
  'os-start': { name: 'start', action: 'start', states: { vmStates: ['stopped'], taskStates: [null] }, task: 'powering-on' },
  pause: { name: 'pause', action: 'pause', states: { vmStates: ['active'], taskStates: [null] }, task: 'pausing' },
  unpause: { name: 'unpause', action: 'unpause', states: { vmStates: ['paused'], taskStates: [null] }, task: 'unpausing' },
  suspend: { name: 'suspend', action: 'suspend', states: { vmStates: ['active'], taskStates: [null] }, task: 'suspending' },
  resume: { name: 'resume', action: 'resume', states: { vmStates: ['suspended'], taskStates: [null] }, task: 'resuming' },
} satisfies Record<string, Transition>;

export interface TransitionOptions {
  /** Extra checks or column changes made in the same transaction. */
  readonly prepare?: (tx: Tx, row: InstanceRow) => Promise<InstanceUpdate | void>;
  /** A password for the driver (rebuild, changePassword), handed over before the conductor starts. */
  readonly adminPass?: string;
}

/** Runs the transition for the caller; 404, 409 (locked or wrong state) leave everything as it was. */
export async function transition(service: ComputeService, request: FastifyRequest, ctx: AuthContext, id: string, t: Transition, options: TransitionOptions = {}): Promise<InstanceRow> {
  const row = await service.store.transaction(async (tx) => {
    const current = await loadServer(tx, ctx, id);
    checkNotLocked(ctx, current);
    checkState(current, t.states, t.name);
    const extra = (await options.prepare?.(tx, current)) ?? {};
    if (!await casUpdate(tx, current.uuid, current.task_state, { ...extra, task_state: t.task })) {
      throw invalidState(t.name, current.uuid, 'task_state', 'changing');
    }
    await startAction(tx, { uuid: current.uuid, action: t.action, requestId: request.id, projectId: current.project_id, userId: ctx.userId });
    return loadServer(tx, ctx, current.uuid);
  });
  if (options.adminPass !== undefined) service.conductor.rememberAdminPass(row.uuid, options.adminPass);
  service.conductor.kick(row.uuid);
  return row;
}
