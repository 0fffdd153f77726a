/**
 * DELETE /servers/{id}: the server goes to task_state deleting (whatever it was doing) with a
 * delete action, and the conductor destroys it on its host, releases its ports and marks it
 * deleted. Deleting a server already being deleted changes nothing.
 */
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../policy/context.js';
import { nowIso } from '../../util/ids.js';
import { startAction } from '../lifecycle/records.js';
import type { ComputeService } from '../service.js';
import { TaskState } from './states.js';

export async function deleteServer(service: ComputeService, request: FastifyRequest, ctx: AuthContext, uuid: string): Promise<void> {
  const changed = await service.store.transaction(async (tx) => {
    const row = await tx.selectFrom('instances').select(['project_id', 'task_state']).where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
    if (!row || row.task_state === TaskState.DELETING) return false;
    await tx.updateTable('instances').set({ task_state: TaskState.DELETING, updated_at: nowIso() }).where('uuid', '=', uuid).execute();
    await startAction(tx, { uuid, action: 'delete', requestId: request.id, projectId: row.project_id, userId: ctx.userId });
    return true;
  });
  if (changed) service.conductor.kick(uuid);
}
