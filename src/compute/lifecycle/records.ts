/**
 * What the lifecycle writes besides states: instance actions and their events (os-instance-
 * actions), faults (the `fault` of an ERROR server), and compare-and-set updates of an
 * instance, so a step never overwrites a state another request set meanwhile (a delete that
 * arrived during a spawn wins).
 */
import type { InstanceRow } from '../../store/schema-servers.js';
import type { Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';

export interface ActionStart {
  readonly uuid: string;
  readonly action: string;
  readonly requestId: string;
  readonly projectId: string;
  readonly userId: string;
}

export async function startAction(tx: Tx, a: ActionStart): Promise<void> {
  const now = nowIso();
  await tx.insertInto('instance_actions').values({
    instance_uuid: a.uuid, action: a.action, request_id: a.requestId, project_id: a.projectId, user_id: a.userId,
    start_time: now, finish_time: null, message: null, updated_at: now,
  }).execute();
}

/** The instance's newest action not finished yet (the one the running step belongs to). */
async function openAction(tx: Tx, uuid: string): Promise<number | null> {
  const row = await tx.selectFrom('instance_actions').select('id').where('instance_uuid', '=', uuid)
    .where('finish_time', 'is', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** Records a finished event on the open action; with `finish`, the action ends too. */
export async function recordEvent(tx: Tx, uuid: string, event: string, host: string | null, startedAt: string,
  outcome: { ok: boolean; traceback?: string }, finish: boolean): Promise<void> {
  const actionId = await openAction(tx, uuid);
  if (actionId === null) return;
  const now = nowIso();
  await tx.insertInto('instance_action_events').values({
    action_id: actionId, event, start_time: startedAt, finish_time: now, result: outcome.ok ? 'Success' : 'Error',
    traceback: outcome.ok ? null : outcome.traceback ?? null, host,
  }).execute();
  const values: { updated_at: string; finish_time?: string; message?: string } = { updated_at: now };
  if (finish) values.finish_time = now;
  if (!outcome.ok) values.message = 'Error';
  await tx.updateTable('instance_actions').set(values).where('id', '=', actionId).execute();
}

export async function recordFault(tx: Tx, uuid: string, code: number, message: string, details: string, host: string | null): Promise<void> {
  await tx.insertInto('instance_faults').values({ instance_uuid: uuid, code, message, details, host, created_at: nowIso() }).execute();
}

export type InstanceUpdate = Partial<Omit<InstanceRow, 'id' | 'uuid' | 'created_at'>>;

/**
 * Updates the instance only if it is still in the task state the step started from (and not
 * deleted); false when someone else moved it on, and the caller then leaves it alone.
 */
export async function casUpdate(tx: Tx, uuid: string, expectedTask: string | null, values: InstanceUpdate): Promise<boolean> {
  let q = tx.updateTable('instances').set({ ...values, updated_at: nowIso() }).where('uuid', '=', uuid).where('deleted', '=', 0);
  q = expectedTask === null ? q.where('task_state', 'is', null) : q.where('task_state', '=', expectedTask);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
