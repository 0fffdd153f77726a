/**
 * Fixtures for the server tests: a project network with a subnet, the bootstrap cirros image,
 * booting a server through the API and waiting for the conductor to finish with it.
 */
import assert from 'node:assert/strict';
import type { TestCloud } from './cloud.js';
import { nova, startCloudWithNovaClients, type Nova } from './compute-catalog.js';
import type { FakeDriver } from '../../src/compute/driver/fake/fake-driver.js';

export { nova, startCloudWithNovaClients, type Nova };

/** The in-process fake driver the cloud runs (tests read what it was asked). */
export function fakeDriver(cloud: TestCloud): FakeDriver {
  return cloud.compute.driver as FakeDriver;
}

/** Waits until the conductor has nothing left to do. */
export async function settle(cloud: TestCloud): Promise<void> {
  await cloud.compute.conductor.idle();
}

export async function cirrosId(cloud: TestCloud): Promise<string> {
  const res = await cloud.request('GET', '/image/v2/images?name=cirros', { token: await cloud.token('admin') });
  assert.equal(res.status, 200, res.text);
  return res.body.images[0].id as string;
}

/** A network with one IPv4 subnet, owned by the token's project. */
export async function makeNetwork(cloud: TestCloud, token: string, name = 'net1', cidr = '10.10.0.0/24'): Promise<{ networkId: string; subnetId: string }> {
  const net = await cloud.request('POST', '/network/v2.0/networks', { token, body: { network: { name } } });
  assert.equal(net.status, 201, net.text);
  const sub = await cloud.request('POST', '/network/v2.0/subnets', { token, body: { subnet: { network_id: net.body.network.id, cidr, ip_version: 4, name: `${name}-sub` } } });
  assert.equal(sub.status, 201, sub.text);
  return { networkId: net.body.network.id, subnetId: sub.body.subnet.id };
}

export interface BootOptions {
  readonly name?: string;
  readonly flavorRef?: string;
  readonly imageRef?: string;
  readonly networks?: unknown;
  readonly extra?: Record<string, unknown>;
  readonly version?: string;
  readonly hints?: Record<string, unknown>;
}

/** POST /servers; asserts the 202 and returns the create answer's server. */
export async function boot(cloud: TestCloud, api: Nova, networkId: string | null, options: BootOptions = {}): Promise<Record<string, any>> {
  const server: Record<string, unknown> = {
    name: options.name ?? 'vm', flavorRef: options.flavorRef ?? '0', imageRef: options.imageRef ?? await cirrosId(cloud),
    ...(options.networks !== undefined ? { networks: options.networks } : networkId ? { networks: [{ uuid: networkId }] } : {}),
    ...(options.extra ?? {}),
  };
  const body: Record<string, unknown> = { server };
  if (options.hints) body['os:scheduler_hints'] = options.hints;
  const res = await api('POST', '/servers', { body, version: options.version });
  assert.equal(res.status, 202, res.text);
  return res.body.server;
}

export async function show(api: Nova, id: string, version?: string): Promise<Record<string, any>> {
  const res = await api('GET', `/servers/${id}`, { version });
  assert.equal(res.status, 200, res.text);
  return res.body.server;
}

/** Boots a server and waits until the conductor is done with it. */
export async function bootActive(cloud: TestCloud, api: Nova, networkId: string | null, options: BootOptions = {}): Promise<Record<string, any>> {
  const created = await boot(cloud, api, networkId, options);
  await settle(cloud);
  return show(api, created.id as string);
}

export async function action(api: Nova, id: string, body: unknown, version?: string) {
  return api('POST', `/servers/${id}/action`, { body, version });
}

/** Raises the project's instance and core quotas so a suite can boot many servers. */
export async function roomForServers(cloud: TestCloud, project: string, limit = 200): Promise<void> {
  const res = await cloud.request('GET', `/v3/projects?name=${project}`, { token: await cloud.token('admin') });
  const id = res.body.projects[0].id as string;
  await cloud.store.db.insertInto('quotas').values(['instances', 'cores'].map((resource) => ({ project_id: id, service: 'compute', resource, hard_limit: limit })))
    .onConflict((oc) => oc.columns(['project_id', 'service', 'resource']).doUpdateSet({ hard_limit: limit })).execute();
}
