/**
 * Helpers for the Nova catalog tests (flavors, key pairs, hosts, quotas, server groups):
 * requests at a given microversion, and skipping the cases above the cloud's maximum (they
 * run as soon as MAX_MICROVERSION is raised that far).
 */
import { MAX_MICROVERSION, compare, parseMicroversion, type Microversion } from '../../src/compute/microversion.js';
import { startCloudWithTokens, type RequestOptions, type TestCloud, type TestCloudOptions, type TestResponse } from './cloud.js';

const MAX = parseMicroversion(MAX_MICROVERSION) as Microversion;

/** True when the cloud serves this microversion. */
export function served(version: string): boolean {
  return compare(parseMicroversion(version) as Microversion, MAX) <= 0;
}

/** A node:test skip option for cases that need `version`. */
export function needs(version: string): { skip: string | false } {
  return { skip: served(version) ? false : `needs compute microversion ${version}; the cloud's maximum is ${MAX_MICROVERSION}` };
}

export type Nova = (method: string, path: string, options?: RequestOptions & { version?: string }) => Promise<TestResponse>;

/** Requests to /compute/v2.1 as `token`, at `version` (2.1 unless given). */
export function nova(cloud: TestCloud, token: string): Nova {
  return (method, path, options = {}) => {
    const headers = { ...(options.headers ?? {}) };
    if (options.version) headers['OpenStack-API-Version'] = `compute ${options.version}`;
    return cloud.request(method, `/compute/v2.1${path}`, { ...options, token: options.token ?? token, headers });
  };
}

/** A cloud with Nova clients for the admin and demo users: what the compute suites start from. */
export async function startCloudWithNovaClients(options: TestCloudOptions = {}): Promise<{ cloud: TestCloud; admin: Nova; demo: Nova }> {
  const { cloud, admin, demo } = await startCloudWithTokens(options);
  return { cloud, admin: nova(cloud, admin), demo: nova(cloud, demo) };
}

export async function userId(cloud: TestCloud, name: string): Promise<string> {
  const res = await cloud.request('GET', `/v3/users?name=${name}`, { token: await cloud.token('admin') });
  return res.body.users[0].id as string;
}
