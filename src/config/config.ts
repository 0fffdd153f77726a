/** Runtime configuration: every knob comes from a KUMO_* environment variable with a safe default. */
import { resolve } from 'node:path';
import { parseDataplaneChoice, type DataplaneChoice } from '../dataplane/choice.js';

export interface KumoConfig {
  readonly home: string;
  /** Host and port the API listens on. Loopback unless the user says otherwise. */
  readonly listenHost: string;
  readonly listenPort: number;
  /** Base URL put in the catalog; clients see only these URLs. */
  readonly publicUrl: string;
  /** postgres://... selects PostgreSQL; otherwise the SQLite file in home. */
  readonly databaseUrl: string | null;
  readonly sqliteFile: string;
  readonly tokenTtlSeconds: number;
  readonly region: string;
  readonly adminPassword: string | null;
  readonly demoPassword: string | null;
  readonly logLevel: string;
  /** scrypt cost parameter N (power of two). */
  readonly passwordHashCost: number;
  readonly provisionDemo: boolean;
  /** KUMO_DATAPLANE: auto (linux as root, else fake), linux, fake, or off (no agent; the default unless npm start or bin/kumo set auto). */
  readonly dataplane: DataplaneChoice;
  /**
   * KUMO_HOST_ACCESS=1: one veth gives the root namespace an on-link address on each external
   * subnet (never a route, gateway, forwarding or NAT), so the machine reaches floating IPs.
   */
  readonly hostAccess: boolean;
}

function parseListen(value: string | undefined): { host: string; port: number } {
  const raw = value?.trim() || '127.0.0.1:5000';
  const match = /^(?:\[([^\]]+)\]|([^:]+))?(?::(\d+))?$/.exec(raw);
  if (!match) throw new Error(`KUMO_LISTEN must be HOST[:PORT], got ${JSON.stringify(raw)}`);
  const host = match[1] ?? match[2] ?? '127.0.0.1';
  const port = match[3] === undefined ? 5000 : Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`KUMO_LISTEN port out of range: ${raw}`);
  return { host, port };
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

function parseFlag(name: string, value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new Error(`${name} must be 0 or 1, got ${JSON.stringify(value)}`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<KumoConfig> = {}): KumoConfig {
  const home = resolve(env.KUMO_HOME || '.kumo');
  const { host, port } = parseListen(env.KUMO_LISTEN);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const base: KumoConfig = {
    home,
    listenHost: host,
    listenPort: port,
    publicUrl: env.KUMO_PUBLIC_URL?.replace(/\/+$/, '') || `http://${urlHost}:${port}`,
    databaseUrl: env.KUMO_DATABASE_URL || null,
    sqliteFile: resolve(home, 'kumo.sqlite'),
    tokenTtlSeconds: positiveInt('KUMO_TOKEN_TTL', env.KUMO_TOKEN_TTL, 3600),
    region: env.KUMO_REGION || 'RegionOne',
    adminPassword: env.KUMO_ADMIN_PASSWORD || null,
    demoPassword: env.KUMO_DEMO_PASSWORD || null,
    logLevel: env.KUMO_LOG_LEVEL || 'info',
    passwordHashCost: positiveInt('KUMO_PASSWORD_HASH_COST', env.KUMO_PASSWORD_HASH_COST, 1 << 15),
    provisionDemo: env.KUMO_PROVISION_DEMO !== '0',
    dataplane: parseDataplaneChoice(env.KUMO_DATAPLANE),
    hostAccess: parseFlag('KUMO_HOST_ACCESS', env.KUMO_HOST_ACCESS),
  };
  return { ...base, ...overrides };
}
