/**
 * /os-keypairs: a user's key pairs. Create generates an RSA pair (the private key is returned
 * once; not from 2.92) or imports a public key (ssh, or x509 from 2.2); admins act for another
 * user with user_id (2.10); list pages by name with limit/marker (2.35). Names are Nova's safe
 * characters ('@' and '.' too from 2.92); a user's names are unique; the key_pairs quota counts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { conflict, notFound } from '../../api/errors.js';
import { isAdmin, type AuthContext } from '../../policy/context.js';
import type { KeypairRow } from '../../store/schema-compute.js';
import { isUniqueViolation } from '../../store/store.js';
import { nowIso } from '../../util/ids.js';
import { nextLinks } from '../catalog/links.js';
import { policyRefused } from '../catalog/policy.js';
import { markerNotFound, pageOf, param, queryOf, rejectUnknown } from '../catalog/query.js';
import { checkKeypairQuota } from '../catalog/quotas.js';
import { generateSshKeypair, sshFingerprint, type GeneratedKeypair } from '../catalog/ssh-keys.js';
import { novaTime } from '../catalog/time.js';
import { invalid, nameString, onlyKeys, pyRepr, requireKeys, wrapped } from '../catalog/validate.js';
import { generateX509Keypair, x509Fingerprint } from '../catalog/x509.js';
import { atLeast } from '../microversion.js';
import type { ComputeService } from '../service.js';

const notFoundFor = (name: string, userId: string) => notFound(`Keypair ${name} not found for user ${userId}`);

/** The user a request acts for: its own, or (2.10, admin) the user_id it names. */
function targetUser(request: FastifyRequest, ctx: AuthContext, asked: unknown, action: string): string {
  const userId = atLeast(request, '2.10') && typeof asked === 'string' ? asked : ctx.userId;
  if (userId !== ctx.userId && !isAdmin(ctx)) throw policyRefused(`os_compute_api:os-keypairs:${action}`);
  return userId;
}

function keypairName(request: FastifyRequest, value: unknown): string {
  const name = nameString(value, 'name');
  const pattern = atLeast(request, '2.92') ? /^[_\-@. a-zA-Z0-9]+$/ : /^[_\- a-zA-Z0-9]+$/;
  if (!pattern.test(name)) throw invalid('name', name, `'${name}' does not match '${pattern.source}'`);
  return name;
}

function brief(request: FastifyRequest, row: KeypairRow): Record<string, unknown> {
  const view: Record<string, unknown> = { name: row.name, public_key: row.public_key, fingerprint: row.fingerprint };
  if (atLeast(request, '2.2')) view.type = row.type;
  return view;
}

function detail(request: FastifyRequest, row: KeypairRow): Record<string, unknown> {
  return {
    ...brief(request, row), user_id: row.user_id, created_at: novaTime(row.created_at), updated_at: null,
    deleted: false, deleted_at: null, id: row.id ?? 0,
  };
}

export async function keypairRoutes(app: FastifyInstance, service: ComputeService): Promise<void> {
  const db = service.db;

  app.get('/os-keypairs', async (request) => {
    const ctx = caller(request);
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id', 'limit', 'marker']);
    const userId = targetUser(request, ctx, param(query, 'user_id'), 'index');
    const paged = atLeast(request, '2.35');
    const page = paged ? pageOf(query) : { limit: Number.MAX_SAFE_INTEGER, marker: undefined };
    let q = db.selectFrom('keypairs').selectAll().where('user_id', '=', userId).orderBy('name');
    if (page.marker !== undefined) {
      const marker = await db.selectFrom('keypairs').select('name').where('user_id', '=', userId).where('name', '=', page.marker).executeTakeFirst();
      if (!marker) throw markerNotFound(page.marker);
      q = q.where('name', '>', page.marker);
    }
    const rows = await q.limit(page.limit).execute();
    const links = paged ? nextLinks(request, 'os-keypairs', page, rows.length, rows.at(-1)?.name) : [];
    return { keypairs: rows.map((r) => ({ keypair: brief(request, r) })), ...(links.length ? { keypairs_links: links } : {}) };
  });

  app.get('/os-keypairs/:name', async (request) => {
    const ctx = caller(request);
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id']);
    const { name } = request.params as { name: string };
    const userId = targetUser(request, ctx, param(query, 'user_id'), 'show');
    const row = await db.selectFrom('keypairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (!row) throw notFoundFor(name, userId);
    return { keypair: detail(request, row) };
  });

  app.post('/os-keypairs', async (request, reply) => {
    const ctx = caller(request);
    const k = wrapped(request.body, 'keypair');
    const allowed = ['name', 'public_key'];
    if (atLeast(request, '2.2')) allowed.push('type');
    if (atLeast(request, '2.10')) allowed.push('user_id');
    onlyKeys(k, allowed, 'keypair');
    requireKeys(k, atLeast(request, '2.92') ? ['name', 'public_key'] : ['name'], 'keypair');
    const name = keypairName(request, k.name);
    if (k.public_key !== undefined && typeof k.public_key !== 'string') throw invalid('public_key', k.public_key, `${pyRepr(k.public_key)} is not of type 'string'`);
    if (k.type !== undefined && k.type !== 'ssh' && k.type !== 'x509') throw invalid('type', k.type, `${pyRepr(k.type)} is not one of ['ssh', 'x509']`);
    if (k.user_id !== undefined && typeof k.user_id !== 'string') throw invalid('user_id', k.user_id, `${pyRepr(k.user_id)} is not of type 'string'`);
    const type = (k.type as string | undefined) ?? 'ssh';
    const userId = targetUser(request, ctx, k.user_id, 'create');

    // Everything that can fail on the input is checked before a key is generated.
    await checkKeypairQuota(db, ctx.projectId, userId);
    let publicKey = k.public_key as string | undefined;
    let generated: GeneratedKeypair | undefined;
    let fingerprint: string;
    if (publicKey !== undefined) {
      fingerprint = type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
    } else {
      generated = type === 'x509' ? await generateX509Keypair(userId) : await generateSshKeypair();
      publicKey = generated.publicKey;
      fingerprint = generated.fingerprint;
    }

    let row: KeypairRow;
    try {
      row = await service.store.transaction(async (tx) => {
        await checkKeypairQuota(tx, ctx.projectId, userId);
        if (await tx.selectFrom('keypairs').select('name').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst()) {
          throw conflict(`Key pair '${name}' already exists.`);
        }
        const top = await tx.selectFrom('keypairs').select((eb) => eb.fn.max('id').as('top')).executeTakeFirst();
        const created: KeypairRow = {
          id: Number(top?.top ?? 0) + 1, user_id: userId, name, type, public_key: publicKey as string, fingerprint, created_at: nowIso(),
        };
        await tx.insertInto('keypairs').values(created).execute();
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Key pair '${name}' already exists.`);
      throw err;
    }
    const view: Record<string, unknown> = { ...brief(request, row), user_id: row.user_id };
    if (generated) view.private_key = generated.privateKey;
    reply.code(atLeast(request, '2.2') ? 201 : 200);
    return { keypair: view };
  });

  app.delete('/os-keypairs/:name', async (request, reply) => {
    const ctx = caller(request);
    const query = queryOf(request);
    rejectUnknown(request, query, ['user_id']);
    const { name } = request.params as { name: string };
    const userId = targetUser(request, ctx, param(query, 'user_id'), 'delete');
    const gone = await service.store.transaction((tx) => tx.deleteFrom('keypairs').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst());
    if (Number(gone.numDeletedRows) === 0) throw notFoundFor(name, userId);
    reply.code(atLeast(request, '2.2') ? 204 : 202).send();
  });

}
