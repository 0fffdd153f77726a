/**
 * The metadata service through a router, with a real instance and real packets (root only;
 * skipped with the reason otherwise): the provisioned cloud with the Linux data plane, a subnet
 * with enable_dhcp=False attached to router1 (so no qdhcp- namespace, no DHCP proxy), a cirros
 * server on it whose address and default route are set by hand with `kumo exec`. The server
 * fetches /openstack/latest/meta_data.json from 169.254.169.254 and gets its own uuid, forged
 * proxy headers notwithstanding; port 9697 of the router answers neither the server directly
 * nor the sandboxed outside host, and the outside host gets no metadata at the router's
 * gateway address. `kumo down` then leaves nothing, and the root namespace is as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from '../src/dataplane/linux/exec.js';
import { dhcpNamespace, homeHash, outsideNamespace, routerNamespace } from '../src/dataplane/names.js';
import { listNamespaces } from '../src/dataplane/linux/ip.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { leftoverNamespaces, processesMentioning, rootSkip, waitFor } from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';
import { pings } from './helpers/outside.js';
import { cirrosId, nova, type Nova } from './helpers/servers-fixtures.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const V2 = '/network/v2.0';
const MD = 'http://169.254.169.254';
const ANY_FAILURE = Array.from({ length: 255 }, (_, i) => i + 1);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const skip = rootSkip() || (!['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((p) => existsSync(p)) && 'haproxy missing (scripts/dataplane-deps.sh)');

describe('metadata through a router: a server on a subnet without DHCP', { skip }, () => {
  let home: string;
  let cloud: TestCloud;
  let root: RootSnapshot;
  let demo: string;
  let api: Nova;
  let router: Json;
  let networkId: string;
  let server: { id: string; ip: string };
  let gatewayIp: string;

  const neutron = async (method: string, path: string, body?: unknown) => {
    const r = await cloud.request(method, `${V2}${path}`, { token: demo, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body as Json;
  };
  /** A command in the guest with `kumo exec`: its exit code, whatever it is (the guest's busybox timeout has its own), and output. */
  const inGuest = (argv: readonly string[]) => run(['node', MAIN, 'exec', server.id, '--', ...argv], { timeoutMs: 30_000, okCodes: ANY_FAILURE, env: { KUMO_HOME: home } });
  /**
   * A raw HTTP request from the sandboxed outside host, cut off after 5 s: whatever came back. Any
   * HTTP answer (even a 404 from the service for an unknown caller) means the proxy was reached.
   */
  const fromOutside = async (ip: string, port: number) => (await run(['ip', 'netns', 'exec', outsideNamespace(homeHash(home)), 'sh', '-c',
    `printf 'GET /openstack/latest/meta_data.json HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n' | timeout 5 busybox nc ${ip} ${port}`],
  { timeoutMs: 20_000, okCodes: ANY_FAILURE })).stdout;

  before(async () => {
    root = await snapshotRootNetns();
    home = mkdtempSync('/tmp/kumo-rmd-');
    cloud = await startTestCloud({ home, config: { dataplane: 'linux', provisionDemo: true } });
    demo = await cloud.token('demo');
    api = nova(cloud, demo);
    router = (await neutron('GET', '/routers?name=router1')).routers[0];
    gatewayIp = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    networkId = (await neutron('POST', '/networks', { network: { name: 'nodhcp' } })).network.id;
    const subnet = (await neutron('POST', '/subnets', { subnet: { network_id: networkId, cidr: '10.20.0.0/24', ip_version: 4, enable_dhcp: false, name: 'nodhcp-sub' } })).subnet;
    await neutron('PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
    const res = await api('POST', '/servers', { body: { server: { name: 'quiet', flavorRef: '1', imageRef: await cirrosId(cloud), networks: [{ uuid: networkId }] } } });
    assert.equal(res.status, 202, res.text);
    const id = res.body.server.id as string;
    const active = await waitFor('the server ACTIVE', async () => {
      const s = (await api('GET', `/servers/${id}`)).body.server;
      if (s.status === 'ERROR') throw new Error(JSON.stringify(s.fault));
      return s.status === 'ACTIVE' && s;
    }, 60_000);
    server = { id, ip: active.addresses.nodhcp[0].addr as string };
    // No DHCP here: the address Neutron allocated and the default route via the router, by hand.
    const set = await inGuest(['sh', '-c', `ip addr add ${server.ip}/24 dev ens3 && ip route replace default via 10.20.0.1 dev ens3`]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    // The default security group admits no ingress from the router: the server pings out instead.
    await waitFor('the server reaches its gateway', async () => /1 packets received/.test((await inGuest(['ping', '-c', '1', '-W', '1', '10.20.0.1'])).stdout), 30_000);
  });

  after(async () => {
    await cloud?.stop();
    const down = await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home } });
    try {
      assert.equal(down.code, 0);
      assert.deepEqual(await leftoverNamespaces(home, router ? [routerNamespace(router.id)] : []), []);
      assert.deepEqual(processesMentioning(home), [], 'kumo down left processes (haproxy, dnsmasq, instances)');
      await assertRootNetnsUnchanged(root, home);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('the network has no DHCP namespace: only the router can answer 169.254.169.254', async () => {
    assert.equal((await listNamespaces()).has(dhcpNamespace(networkId)), false);
    const routes = await inGuest(['ip', 'route']);
    assert.match(routes.stdout, /^default via 10\.20\.0\.1 dev ens3/m);
    assert.doesNotMatch(routes.stdout, /169\.254\.169\.254/);
  });

  it('the server reads its own meta_data.json through the router, forged proxy headers notwithstanding', async () => {
    const read = async (headers: readonly string[] = []) => {
      const r = await inGuest(['timeout', '5', 'wget', '-qO-', ...headers.flatMap((h) => ['--header', h]), `${MD}/openstack/latest/meta_data.json`]);
      return r.code === 0 ? JSON.parse(r.stdout) : null;
    };
    const own = await waitFor('an answer from 169.254.169.254', () => read(), 20_000);
    assert.equal(own.uuid, server.id);
    assert.equal(own.name, 'quiet');
    const forged = await read([`X-Neutron-Router-ID: ${router.id}`, 'X-Forwarded-For: 10.20.0.250', `X-Neutron-Network-ID: ${networkId}`]);
    assert.equal(forged?.uuid, server.id);
    const ec2 = await inGuest(['timeout', '5', 'wget', '-qO-', `${MD}/latest/meta-data/local-ipv4`]);
    assert.equal(ec2.stdout, server.ip);
  });

  it('port 9697 is closed to the server at the router\'s address', async () => {
    const direct = await inGuest(['timeout', '5', 'wget', '-qO-', 'http://10.20.0.1:9697/openstack/latest/meta_data.json']);
    assert.notEqual(direct.code, 0);
    assert.doesNotMatch(direct.stdout, /uuid/);
  });

  it('the outside host reaches neither port 9697 nor the metadata at the router\'s gateway address', async () => {
    assert.ok(await pings(outsideNamespace(homeHash(home)), gatewayIp), 'the outside host reaches the gateway address itself');
    assert.equal(await fromOutside(gatewayIp, 9697), '', 'no answer from the proxy');
    assert.equal(await fromOutside(gatewayIp, 80), '', 'no metadata path through qg-');
  });
});
