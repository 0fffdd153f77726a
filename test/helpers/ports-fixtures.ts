/**
 * Fixtures for the port tests: networks and subnets through the API as a user would make them,
 * and small readers of the store for what the API does not show (allocations).
 */
import assert from 'node:assert/strict';
import type { TestCloud } from './cloud.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function newNetwork(cloud: TestCloud, token: string, body: Record<string, unknown> = {}): Promise<Json> {
  const res = await cloud.request('POST', '/network/v2.0/networks', { token, body: { network: { name: 'net', ...body } } });
  assert.equal(res.status, 201, res.text);
  return res.body.network;
}

export interface SubnetOptions {
  readonly ipVersion?: 4 | 6;
  readonly pools?: readonly { start: string; end: string }[];
  readonly gateway?: string | null;
  readonly enableDhcp?: boolean;
  readonly ipv6AddressMode?: string;
  readonly name?: string;
}

/** POST /v2.0/subnets (DHCP off unless asked, so pools hold only what the test allocates). */
export async function newSubnet(cloud: TestCloud, token: string, networkId: string, cidr: string, options: SubnetOptions = {}): Promise<Json> {
  const body: Record<string, unknown> = {
    network_id: networkId, cidr, ip_version: options.ipVersion ?? (cidr.includes(':') ? 6 : 4), enable_dhcp: options.enableDhcp ?? false,
  };
  if (options.pools) body.allocation_pools = options.pools;
  if (options.gateway !== undefined) body.gateway_ip = options.gateway;
  if (options.ipv6AddressMode) {
    body.ipv6_address_mode = options.ipv6AddressMode;
    body.ipv6_ra_mode = options.ipv6AddressMode;
  }
  if (options.name) body.name = options.name;
  const res = await cloud.request('POST', '/network/v2.0/subnets', { token, body: { subnet: body } });
  if (res.status === 404 && res.body?.NeutronError?.type === 'HTTPNotFound') return insertSubnet(cloud, networkId, cidr, options);
  assert.equal(res.status, 201, res.text);
  return res.body.subnet;
}

export async function newPort(cloud: TestCloud, token: string, body: Record<string, unknown>): Promise<Json> {
  const res = await cloud.request('POST', '/network/v2.0/ports', { token, body: { port: body } });
  assert.equal(res.status, 201, res.text);
  return res.body.port;
}

export async function allocationsOf(cloud: TestCloud, subnetId: string): Promise<string[]> {
  const rows = await cloud.store.db.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnetId).execute();
  return rows.map((r) => r.ip_address).sort();
}

export function neutronError(res: { status: number; body: Json; text: string }, status: number, type: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.NeutronError?.type, type, res.text);
}

// TEMPORARY until the subnets API lands: the row the API would write.
import { formatIp, lastAddress, parseCidr } from '../../src/network/ipam/ip.js';
import { randomUUID } from 'node:crypto';
async function insertSubnet(cloud: TestCloud, networkId: string, cidr: string, options: SubnetOptions): Promise<Json> {
  const c = parseCidr(cidr);
  assert.ok(c);
  const net = await cloud.store.db.selectFrom('networks').selectAll().where('id', '=', networkId).executeTakeFirstOrThrow();
  const gateway = options.gateway === undefined ? formatIp(c.version, c.network + 1n) : options.gateway;
  const pools = options.pools ?? [{ start: formatIp(c.version, c.network + 2n), end: formatIp(c.version, c.version === 4 ? lastAddress(c) - 1n : lastAddress(c)) }];
  const now = new Date().toISOString();
  const row = {
    id: randomUUID(), project_id: net.project_id, network_id: networkId, name: options.name ?? '', description: '', ip_version: c.version, cidr,
    gateway_ip: gateway, enable_dhcp: 0, ipv6_ra_mode: options.ipv6AddressMode ?? null, ipv6_address_mode: options.ipv6AddressMode ?? null,
    subnetpool_id: null, segment_id: null, dns_nameservers: '[]', host_routes: '[]', allocation_pools: JSON.stringify(pools), service_types: '[]',
    dns_publish_fixed_ip: 0, created_at: now, updated_at: now, revision_number: 1,
  } as const;
  await cloud.store.db.insertInto('subnets').values(row).execute();
  return { ...row, allocation_pools: pools };
}
