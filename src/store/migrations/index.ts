/** Every schema version, in order. A migration is never edited once released: add a new one. */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_identity.js';

const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
