/** Fixtures for the L3 tests: external networks, routers, interfaces and floating IPs through the API. */
import assert from 'node:assert/strict';
import type { TestCloud } from './cloud.js';
import { newNetwork, newSubnet, type Json } from './ports-fixtures.js';

export const V2 = '/network/v2.0';

/** An admin-owned external network with one IPv4 subnet (no DHCP) and a pool. */
export async function externalNetwork(cloud: TestCloud, admin: string, cidr: string, pool: { start: string; end: string }): Promise<{ network: Json; subnet: Json }> {
  const network = await newNetwork(cloud, admin, { name: 'ext', 'router:external': true });
  const subnet = await newSubnet(cloud, admin, network.id, cidr, { pools: [pool] });
  return { network, subnet };
}

/** A project network with one subnet (DHCP off, so addresses are predictable). */
export async function projectSubnet(cloud: TestCloud, token: string, cidr: string, options: Parameters<typeof newSubnet>[4] = {}): Promise<{ network: Json; subnet: Json }> {
  const network = await newNetwork(cloud, token);
  const subnet = await newSubnet(cloud, token, network.id, cidr, options);
  return { network, subnet };
}

export async function newRouter(cloud: TestCloud, token: string, body: Record<string, unknown> = {}): Promise<Json> {
  const res = await cloud.request('POST', `${V2}/routers`, { token, body: { router: { name: 'r', ...body } } });
  assert.equal(res.status, 201, res.text);
  return res.body.router;
}

export async function addInterface(cloud: TestCloud, token: string, routerId: string, body: Record<string, unknown>): Promise<Json> {
  const res = await cloud.request('PUT', `${V2}/routers/${routerId}/add_router_interface`, { token, body });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

export async function newFloatingIp(cloud: TestCloud, token: string, body: Record<string, unknown>): Promise<Json> {
  const res = await cloud.request('POST', `${V2}/floatingips`, { token, body: { floatingip: body } });
  assert.equal(res.status, 201, res.text);
  return res.body.floatingip;
}

export async function getJson(cloud: TestCloud, token: string, path: string): Promise<Json> {
  const res = await cloud.request('GET', `${V2}${path}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.body;
}
