/** Every schema version, in order. A migration is never edited once released: add a new one. */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_identity.js';
import * as m0002 from './0002_network.js';
import * as m0004 from './0004_hosts.js';
import * as m0006 from './0006_compute.js';
import * as m0005 from './0005_image.js';
import * as m0007 from './0007_servers.js';
import * as m0009 from './0009_compute_catalog.js';
import * as m0008 from './0008_l3.js';
import * as m0010 from './0010_server_system_metadata.js';
import * as m0011 from './0011_compute_aggregates.js';
import * as m0012 from './0012_server_migrations.js';
import * as m0013 from './0013_network_lookups.js';
import * as m0014 from './0014_address_groups.js';

const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
  '0002_network': m0002,
  '0004_hosts': m0004,
  '0006_compute': m0006,
  '0005_image': m0005,
  '0007_servers': m0007,
  '0009_compute_catalog': m0009,
  '0008_l3': m0008,
  '0010_server_system_metadata': m0010,
  '0011_compute_aggregates': m0011,
  '0012_server_migrations': m0012,
  '0013_network_lookups': m0013,
  '0014_address_groups': m0014,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
