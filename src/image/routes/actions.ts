/** Image actions (deactivate, reactivate) and image import, which no method is enabled for. */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { nowIso } from '../../util/ids.js';
import { badRequest, forbidden, policyForbidden } from '../errors.js';
import { canModify } from '../policy.js';
import type { ImageService } from '../service.js';

/** The import methods this cloud offers (reported by /v2/info/import). */
export const IMPORT_METHODS: readonly string[] = [];

export async function actionRoutes(app: FastifyInstance, service: ImageService): Promise<void> {
  for (const [action, from, to] of [['deactivate', 'active', 'deactivated'], ['reactivate', 'deactivated', 'active']] as const) {
    app.post(`/v2/images/:id/actions/${action}`, async (request, reply) => {
      const ctx = caller(request);
      const { id } = request.params as { id: string };
      await service.store.transaction(async (tx) => {
        const row = await service.visible(ctx, id, tx);
        if (!canModify(ctx, row)) throw policyForbidden(action);
        // Repeating the action is a no-op; from any other state it is refused.
        if (row.status === to) return;
        if (row.status !== from) throw forbidden(`Not allowed to ${action} image in status '${row.status}'`);
        await tx.updateTable('images').set({ status: to, updated_at: nowIso() }).where('id', '=', id).execute();
      });
      reply.code(204).send();
    });
  }

  app.post('/v2/images/:id/import', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const body = request.body as { method?: { name?: unknown } } | undefined;
    if (body === undefined || body === null || typeof body !== 'object') throw badRequest('Body expected in request.');
    if (body.method === undefined) throw badRequest("Import request requires a 'method' field.");
    if (typeof body.method !== 'object' || body.method === null || body.method.name === undefined) throw badRequest("Import request requires a 'name' field.");
    await service.visible(ctx, id);
    throw badRequest(`Unknown import method name '${String(body.method.name)}'.`);
  });
}
