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
