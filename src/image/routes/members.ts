/**
 * /v2/images/{id}/members: the owner shares a `shared` image with projects; each member project
 * accepts or rejects it (only accepted images appear in its default list). The owner sees every
 * membership, a member only its own.
 */
import type { FastifyInstance } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isAdmin, isMember, type AuthContext } from '../../policy/context.js';
import type { ImageMemberRow, ImageRow } from '../../store/schema-image.js';
import { isUniqueViolation, type Db, type Tx } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { badRequest, conflict, forbidden, notFound, tooLarge } from '../errors.js';
import { canModify, ownsImage } from '../policy.js';
import { MEMBER_STATUSES } from '../schemas.js';
import { LIMITS, type ImageService } from '../service.js';
import { memberView } from '../views.js';

function requireShared(row: ImageRow, refusal: string): void {
  if (row.visibility !== 'shared') throw forbidden(refusal);
}

/** Owner (any role that can read), admin, or the member itself may look at a membership. */
function mayReadMember(ctx: AuthContext, row: ImageRow, memberId: string): boolean {
  return isAdmin(ctx) || ownsImage(ctx, row) || ctx.projectId === memberId;
}

async function findMember(db: Db | Tx, imageId: string, memberId: string): Promise<ImageMemberRow> {
  const member = await db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).where('member_id', '=', memberId).executeTakeFirst();
  if (!member) throw notFound(`${memberId} not found in the member list of the image ${imageId}.`);
  return member;
}

function bodyObject(body: unknown, form: string): Record<string, unknown> {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`Expected a ${form}`);
  return body as Record<string, unknown>;
}

export async function memberRoutes(app: FastifyInstance, service: ImageService): Promise<void> {
  app.get('/v2/images/:id/members', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const row = await service.visible(ctx, id);
    requireShared(row, `Not allowed to list members for image ${id}: Only shared images have members.`);
    let query = service.db.selectFrom('image_members').selectAll().where('image_id', '=', id);
    if (!isAdmin(ctx) && !ownsImage(ctx, row)) query = query.where('member_id', '=', ctx.projectId ?? '');
    const members = await query.orderBy('created_at').orderBy('member_id').execute();
    return { members: members.map(memberView), schema: '/v2/schemas/members' };
  });

  app.post('/v2/images/:id/members', async (request) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    const body = bodyObject(request.body, 'member in the form: {"member": "image_id"}');
    if (!('member' in body)) throw badRequest('Member to be added not specified');
    const memberId = body.member;
    if (memberId === null || memberId === '' || memberId === false || memberId === 0) throw badRequest("Member can't be empty");
    if (typeof memberId !== 'string') throw badRequest('Expected a member in the form: {"member": "image_id"}');
    const member = await service.store.transaction(async (tx) => {
      const row = await service.visible(ctx, id, tx);
      requireShared(row, `Not allowed to create members for image ${id}.`);
      if (!canModify(ctx, row)) throw forbidden(`Not allowed to create members for image ${id}.`);
      const count = await tx.selectFrom('image_members').select((eb) => eb.fn.countAll<number>().as('n')).where('image_id', '=', id).executeTakeFirst();
      if (Number(count?.n ?? 0) >= LIMITS.members) throw tooLarge(`Image member limit exceeded for image ${id}: Maximum number of members exceeded (${LIMITS.members}).`);
      const now = nowIso();
      const created: ImageMemberRow = { image_id: id, member_id: memberId, status: 'pending', created_at: now, updated_at: now };
      try {
        await tx.insertInto('image_members').values(created).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`Member ${memberId} is duplicated for image ${id}`);
        throw err;
      }
      return created;
    });
    return memberView(member);
  });

  app.get('/v2/images/:id/members/:member', async (request) => {
    const ctx = caller(request);
    const { id, member } = request.params as { id: string; member: string };
    const row = await service.visible(ctx, id);
    // Glance answers 404 rather than 403 here, so as not to reveal memberships.
    if (row.visibility !== 'shared') throw notFound('Only shared images have members.');
    if (!mayReadMember(ctx, row, member)) throw notFound(`${member} not found in the member list of the image ${id}.`);
    return memberView(await findMember(service.db, id, member));
  });

  app.put('/v2/images/:id/members/:member', async (request) => {
    const ctx = caller(request);
    const { id, member } = request.params as { id: string; member: string };
    const body = bodyObject(request.body, 'status in the form: {"status": "status"}');
    if (!('status' in body)) throw badRequest('Status not specified');
    const updated = await service.store.transaction(async (tx) => {
      const row = await service.visible(ctx, id, tx);
      requireShared(row, `Not allowed to update members for image ${id}.`);
      if (!mayReadMember(ctx, row, member)) throw notFound(`${member} not found in the member list of the image ${id}.`);
      const current = await findMember(tx, id, member);
      // Only the member project itself (or an admin) answers an invitation; never the owner.
      if (!isAdmin(ctx) && !(isMember(ctx) && ctx.projectId === member)) throw forbidden(`Not allowed to update members for image ${id}.`);
      if (!MEMBER_STATUSES.includes(body.status as (typeof MEMBER_STATUSES)[number])) {
        throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
      }
      const next = { ...current, status: body.status as string, updated_at: nowIso() };
      await tx.updateTable('image_members').set({ status: next.status, updated_at: next.updated_at })
        .where('image_id', '=', id).where('member_id', '=', member).execute();
      return next;
    });
    return memberView(updated);
  });

  app.delete('/v2/images/:id/members/:member', async (request, reply) => {
    const ctx = caller(request);
    const { id, member } = request.params as { id: string; member: string };
    await service.store.transaction(async (tx) => {
      const row = await service.visible(ctx, id, tx);
      requireShared(row, `Not allowed to delete members for image ${id}.`);
      if (!mayReadMember(ctx, row, member)) throw notFound(`${member} not found in the member list of the image ${id}.`);
      await findMember(tx, id, member);
      if (!canModify(ctx, row)) throw forbidden(`Not allowed to delete members for image ${id}.`);
      await tx.deleteFrom('image_members').where('image_id', '=', id).where('member_id', '=', member).execute();
    });
    reply.code(204).send();
  });
}
