/**
 * The guest's password write-back, as Nova has it: a guest may POST its (encrypted) password to
 * /openstack/<version>/password once; the owner reads it with GET os-server-password and clears
 * it with DELETE, after which the guest may post again. Kept in the server's system metadata.
 */
import type { Db } from '../store/store.js';

const KEY = 'password';
/** Nova's limit on what a guest may post. */
export const MAX_PASSWORD_BYTES = 256;

export async function readPassword(db: Db, uuid: string): Promise<string> {
  const row = await db.selectFrom('instance_system_metadata').select('value').where('instance_uuid', '=', uuid).where('key', '=', KEY).executeTakeFirst();
  return row?.value ?? '';
}

/** Stores the password unless one is there already (then false: the guest gets 409). */
export async function postPassword(db: Db, uuid: string, password: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('instance_system_metadata').select('value').where('instance_uuid', '=', uuid).where('key', '=', KEY).executeTakeFirst();
    if (row && row.value !== '') return false;
    if (row) await tx.updateTable('instance_system_metadata').set({ value: password }).where('instance_uuid', '=', uuid).where('key', '=', KEY).execute();
    else await tx.insertInto('instance_system_metadata').values({ instance_uuid: uuid, key: KEY, value: password }).execute();
    return true;
  });
}

export async function clearPassword(db: Db, uuid: string): Promise<void> {
  await db.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).where('key', '=', KEY).execute();
}
