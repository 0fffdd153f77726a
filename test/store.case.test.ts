/** The store's contract, one suite run against every dialect (SQLite and PostgreSQL). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { isUniqueViolation, type Store } from '../src/store/store.js';
import { migrationProvider } from '../src/store/migrations/index.js';
import type { UserRow } from '../src/store/schema.js';
import { storeBackends, withDatabase } from './helpers/store-backends.js';

/** Every table the identity service reads or writes (src/store/schema.ts). */
const IDENTITY_TABLES = [
  'meta', 'domains', 'projects', 'project_tags', 'users', 'groups', 'memberships', 'roles', 'implied_roles',
  'assignments', 'regions', 'services', 'endpoints', 'revocation_events', 'signing_keys', 'application_credentials',
  'access_rules', 'credentials', 'trusts', 'policies', 'endpoint_groups', 'project_endpoint_groups',
  'project_endpoints', 'consumers', 'domain_configs',
] as const;

const CREATED = '2026-11-22T00:44:58.123Z';

function domain(id: string, name = id) {
  return { id, name, description: '', enabled: 1 as const, extra: '{}', created_at: CREATED };
}

function project(id: string, domainId: string, name = id) {
  return { id, name, domain_id: domainId, parent_id: null, description: '', enabled: 1 as const, extra: '{}', created_at: CREATED };
}

async function migrationNames(store: Store): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kumo_migrations order by name`.execute(store.db);
  return rows.rows.map((r) => r.name);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the database to refuse the write');
}

for (const backend of storeBackends()) {
  describe(`store on ${backend.name}`, { skip: backend.unavailable ?? false }, () => {
    it('applies every migration to an empty database, and nothing more on reopen', async () => {
      await withDatabase(backend, async (_db, open) => {
        const expected = Object.keys(await migrationProvider.getMigrations()).sort();
        const first = await open();
        assert.equal(first.dialect, backend.name);
        assert.deepEqual(await migrationNames(first), expected);
        const tables = new Set((await first.db.introspection.getTables()).map((t) => t.name));
        for (const table of IDENTITY_TABLES) assert.ok(tables.has(table), `table ${table} exists`);
        const before = await sql<{ name: string; timestamp: string }>`select name, timestamp from kumo_migrations order by name`.execute(first.db);
        await first.close();

        const second = await open();
        const after = await sql<{ name: string; timestamp: string }>`select name, timestamp from kumo_migrations order by name`.execute(second.db);
        assert.deepEqual(after.rows, before.rows, 'reopening re-ran no migration');
      });
    });

    it('keeps a committed transaction across close and reopen', async () => {
      await withDatabase(backend, async (_db, open) => {
        const first = await open();
        await first.transaction(async (tx) => {
          await tx.insertInto('domains').values(domain('d1')).execute();
          await tx.insertInto('projects').values(project('p1', 'd1')).execute();
        });
        await first.close();

        const second = await open();
        assert.deepEqual(await second.db.selectFrom('domains').select(['id', 'name']).where('id', '=', 'd1').execute(), [{ id: 'd1', name: 'd1' }]);
        assert.deepEqual(await second.db.selectFrom('projects').select(['id', 'domain_id']).execute(), [{ id: 'p1', domain_id: 'd1' }]);
      });
    });

    it('leaves nothing of a transaction that throws, and stays usable', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        const err = await rejection(store.transaction(async (tx) => {
          await tx.insertInto('domains').values(domain('d1')).execute();
          await tx.insertInto('projects').values(project('p1', 'd1')).execute();
          throw new Error('boom');
        }));
        assert.equal((err as Error).message, 'boom');
        assert.deepEqual(await store.db.selectFrom('domains').selectAll().execute(), []);
        assert.deepEqual(await store.db.selectFrom('projects').selectAll().execute(), []);

        await store.transaction(async (tx) => {
          await tx.insertInto('domains').values(domain('d2')).execute();
        });
        assert.deepEqual(await store.db.selectFrom('domains').select('id').execute(), [{ id: 'd2' }]);
      });
    });

    it('rolls back a transaction that a unique violation aborts', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        await store.db.insertInto('domains').values(domain('d1', 'taken')).execute();
        const err = await rejection(store.transaction(async (tx) => {
          await tx.insertInto('domains').values(domain('d2', 'fresh')).execute();
          await tx.insertInto('domains').values(domain('d3', 'taken')).execute();
        }));
        assert.ok(isUniqueViolation(err), `recognised: ${String(err)}`);
        assert.deepEqual(await store.db.selectFrom('domains').select('id').execute(), [{ id: 'd1' }]);
      });
    });

    it('reports duplicate names and ids as unique violations, and other refusals as not', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        await store.db.insertInto('domains').values(domain('d1', 'one')).execute();
        await store.db.insertInto('projects').values(project('p1', 'd1', 'web')).execute();

        const duplicateName = await rejection(store.db.insertInto('domains').values(domain('d2', 'one')).execute());
        assert.ok(isUniqueViolation(duplicateName), `UNIQUE column: ${String(duplicateName)}`);
        const duplicateId = await rejection(store.db.insertInto('domains').values(domain('d1', 'other')).execute());
        assert.ok(isUniqueViolation(duplicateId), `primary key: ${String(duplicateId)}`);
        const duplicatePair = await rejection(store.db.insertInto('projects').values(project('p2', 'd1', 'web')).execute());
        assert.ok(isUniqueViolation(duplicatePair), `composite UNIQUE: ${String(duplicatePair)}`);
        const duplicateComposite = await rejection(store.db.insertInto('project_tags')
          .values([{ project_id: 'p1', tag: 'a' }, { project_id: 'p1', tag: 'a' }]).execute());
        assert.ok(isUniqueViolation(duplicateComposite), `composite primary key: ${String(duplicateComposite)}`);

        // The same name in another domain is fine: uniqueness is per (domain_id, name).
        await store.db.insertInto('domains').values(domain('d2', 'two')).execute();
        await store.db.insertInto('projects').values(project('p2', 'd2', 'web')).execute();

        const missingParent = await rejection(store.db.insertInto('projects').values(project('p3', 'no-such-domain')).execute());
        assert.equal(isUniqueViolation(missingParent), false, `foreign key: ${String(missingParent)}`);
        const missingValue = await rejection(sql`insert into domains (id, name, created_at) values ('d9', null, ${CREATED})`.execute(store.db));
        assert.equal(isUniqueViolation(missingValue), false, `not null: ${String(missingValue)}`);
        assert.equal(isUniqueViolation(new Error('duplicate key value')), false);
        assert.equal(isUniqueViolation(null), false);
      });
    });

    it('round-trips booleans, JSON text, timestamps and nulls exactly', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        await store.db.insertInto('domains').values(domain('default', 'Default')).execute();
        const json = '{"z":1,"a":[true,false,null,1.5,"ü ✓ 😀 \\"q\\" \\\\"],"nested":{"k":{}}}';
        const users: UserRow[] = [
          {
            id: 'u-off', name: 'Ünïcode ✓', domain_id: 'default', enabled: 0, default_project_id: null, password_hash: null,
            password_created_at: null, password_expires_at: null, description: '', email: null, options: json, extra: '{}', created_at: CREATED,
          },
          {
            id: 'u-on', name: "o'brien", domain_id: 'default', enabled: 1, default_project_id: 'p', password_hash: 'scrypt$x',
            password_created_at: '2026-01-02T03:04:05.006Z', password_expires_at: '2099-12-31T23:59:59.999Z', description: 'line\nbreak',
            email: 'a@example.org', options: '{}', extra: json, created_at: '2026-11-22T00:44:58.999Z',
          },
        ];
        await store.db.insertInto('users').values(users).execute();

        const back = await store.db.selectFrom('users').selectAll().orderBy('id').execute();
        assert.deepEqual(back, users);
        assert.equal(typeof back[0]?.enabled, 'number');
        assert.deepEqual(JSON.parse(back[0]?.options ?? ''), JSON.parse(json));
        const disabled = await store.db.selectFrom('users').select('id').where('enabled', '=', 0).execute();
        assert.deepEqual(disabled, [{ id: 'u-off' }]);
        // ISO-8601 UTC text sorts chronologically, so time comparisons can be done in SQL.
        const later = await store.db.selectFrom('users').select('id').where('created_at', '>', CREATED).execute();
        assert.deepEqual(later, [{ id: 'u-on' }]);
        // Column defaults come back in the same types as written values.
        await sql`insert into domains (id, name, created_at) values ('d2', 'd2', ${CREATED})`.execute(store.db);
        const defaulted = await store.db.selectFrom('domains').select(['enabled', 'extra', 'description']).where('id', '=', 'd2').executeTakeFirstOrThrow();
        assert.deepEqual(defaulted, { enabled: 1, extra: '{}', description: '' });
      });
    });

    it('numbers revocation events in increasing order and reads bigint times back as numbers', async () => {
      await withDatabase(backend, async (_db, open) => {
        const store = await open();
        const now = Date.now();
        const event = (offset: number) => ({
          audit_id: `a${offset}`, user_id: null, project_id: null, domain_id: null, trust_id: null, app_cred_id: null,
          issued_before: now + offset, expires_at: 4_102_444_800_000 + offset,
        });
        for (const offset of [0, 1, 2]) await store.db.insertInto('revocation_events').values(event(offset)).execute();
        const rows = await store.db.selectFrom('revocation_events').selectAll().orderBy('id').execute();
        assert.equal(rows.length, 3);
        for (const [i, row] of rows.entries()) {
          assert.equal(typeof row.id, 'number');
          assert.equal(typeof row.issued_before, 'number');
          assert.equal(row.issued_before, now + i);
          assert.equal(row.expires_at, 4_102_444_800_000 + i);
          if (i > 0) assert.ok(row.id > (rows[i - 1]?.id ?? Infinity), 'ids increase');
        }
        // A deleted newest id is never handed out again: readers remember the last id they saw.
        const newest = rows[2]?.id ?? 0;
        await store.db.deleteFrom('revocation_events').where('id', '=', newest).execute();
        await store.db.insertInto('revocation_events').values(event(3)).execute();
        const next = await store.db.selectFrom('revocation_events').select('id').where('audit_id', '=', 'a3').executeTakeFirstOrThrow();
        assert.ok(next.id > newest, `new id ${next.id} > deleted ${newest}`);
        const expired = await store.db.selectFrom('revocation_events').select('audit_id').where('issued_before', '<', now + 1).execute();
        assert.deepEqual(expired, [{ audit_id: 'a0' }]);
      });
    });
  });
}
