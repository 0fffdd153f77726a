/**
 * Routers, SNAT and floating IPs with real packets (root only; skipped with the reason
 * otherwise): the provisioned cloud (public, private, router1) with the Linux data plane and the
 * Linux compute driver, host access on, two cirros servers on `private` with the icmp and tcp 22
 * rules seed 001 adds to `default`. From the sandboxed outside host the floating IP answers ping
 * and `ssh` runs `hostname` on the server; from the qrouter- namespace ssh reaches the fixed
 * address; the outside host sees a server without a floating IP as the router's gateway address
 * (SNAT); a server reaches another's floating IP (hairpin); the machine itself pings the
 * floating IP through its one host access veth; disassociated or behind an administratively down
 * router it is unreachable. `kumo down` then removes everything, the veth included: the root
 * namespace is as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/dataplane/linux/exec.js';
import { homeHash, hostAccessDev, outsideNamespace, routerNamespace } from '../src/dataplane/names.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { leftoverNamespaces, processesMentioning, rootSkip, sleep, waitFor } from './helpers/dataplane.js';
import { inNamespace, inOutside, inServer, persistentPing, pingTtl, pings, sourceListener, sshArgv } from './helpers/outside.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';
import { cirrosId, nova, type Nova } from './helpers/servers-fixtures.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const V2 = '/network/v2.0';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const skip = rootSkip() || (!existsSync('/usr/bin/ssh') && 'OpenSSH client (ssh) missing');

describe('dataplane: routers, SNAT and floating IPs with real packets', { skip }, () => {
  let home: string;
  let cloud: TestCloud;
  let root: RootSnapshot;
  let demo: string;
  let api: Nova;
  let key: string;
  let router: Json;
  const servers = new Map<string, { id: string; ip: string; portId: string }>();
  let fip: Json;
  const qrouter = () => routerNamespace(router.id);
  const outside = () => outsideNamespace(homeHash(home));

  const neutron = async (method: string, path: string, body?: unknown, token = demo) => {
    const r = await cloud.request(method, `${V2}${path}`, { token, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body as Json;
  };
  const fipStatus = async () => (await neutron('GET', `/floatingips/${fip.id}`)).floatingip.status as string;

  async function bootServer(name: string, networkId: string): Promise<void> {
    const res = await api('POST', '/servers', { body: { server: { name, flavorRef: '1', imageRef: await cirrosId(cloud), key_name: 'KEY_NAME_DEMO', networks: [{ uuid: networkId }] } } });
    assert.equal(res.status, 202, res.text);
    const id = res.body.server.id as string;
    const server = await waitFor(`${name} ACTIVE`, async () => {
      const s = (await api('GET', `/servers/${id}`)).body.server;
      if (s.status === 'ERROR') throw new Error(`${name}: ${JSON.stringify(s.fault)}`);
      return s.status === 'ACTIVE' && s;
    }, 60_000);
    const ip = server.addresses.private[0].addr as string;
    const port = (await neutron('GET', `/ports?device_id=${id}`)).ports[0];
    servers.set(name, { id, ip, portId: port.id });
  }

  before(async () => {
    root = await snapshotRootNetns();
    home = mkdtempSync('/tmp/kumo-l3-');
    cloud = await startTestCloud({ home, config: { dataplane: 'linux', provisionDemo: true, hostAccess: true } });
    demo = await cloud.token('demo');
    api = nova(cloud, demo);
    const sg = (await neutron('GET', '/security-groups?name=default')).security_groups[0];
    for (const rule of [{ protocol: 'icmp' }, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }]) {
      await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...rule } });
    }
    const kp = await api('POST', '/os-keypairs', { body: { keypair: { name: 'KEY_NAME_DEMO' } } });
    assert.equal(kp.status, 200, kp.text);
    key = join(home, 'MY_KEY_DEMO.pem');
    writeFileSync(key, kp.body.keypair.private_key);
    chmodSync(key, 0o600);
    router = (await neutron('GET', '/routers?name=router1')).routers[0];
    const privateNet = (await neutron('GET', '/networks?name=private')).networks[0];
    await Promise.all([bootServer('cirros-01', privateNet.id), bootServer('cirros-02', privateNet.id)]);
    // Each guest takes its address by DHCP once its init runs: wait until the router reaches both.
    for (const s of servers.values()) await waitFor(`router reaches ${s.ip}`, () => pings(qrouter(), s.ip), 30_000);
  });

  after(async () => {
    await cloud?.stop();
    // If kumo down itself fails, the home stays: its record is what a manual `kumo down` needs.
    const down = await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home } });
    try {
      assert.match(down.stdout, new RegExp(`link ${hostAccessDev(homeHash(home))} \\(host access`), 'kumo down removes the host access veth');
      assert.deepEqual(await leftoverNamespaces(home, router ? [qrouter()] : []), []);
      assert.deepEqual(processesMentioning(home), []);
      await assertRootNetnsUnchanged(root, home);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('wires router1: its interface and gateway ports are ACTIVE and bound to the router\'s host', async () => {
    const ports = (await neutron('GET', `/ports?device_id=${router.id}`, undefined, await cloud.token('admin'))).ports as Json[];
    assert.deepEqual(ports.map((p) => p.device_owner).sort(), ['network:router_gateway', 'network:router_interface']);
    for (const p of ports) {
      assert.equal(p.status, 'ACTIVE', p.device_owner);
      assert.equal(p['binding:host_id'], cloud.localHost.name);
    }
  });

  it('seed 001: ssh from the qrouter- namespace to the fixed address runs hostname', async () => {
    const s = servers.get('cirros-01') as { ip: string };
    const r = await inNamespace(qrouter(), sshArgv(key, 'cirros', s.ip, 'hostname'));
    assert.equal(r.stdout.trim(), 'cirros-01', r.stderr);
  });

  it('associates a floating IP: ACTIVE, then the outside host pings it and ssh prints the server\'s name', async () => {
    const publicNet = (await neutron('GET', '/networks?name=public')).networks[0];
    fip = (await neutron('POST', '/floatingips', { floatingip: { floating_network_id: publicNet.id } })).floatingip;
    assert.equal(fip.status, 'DOWN');
    const started = Date.now();
    await neutron('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: servers.get('cirros-01')?.portId } });
    await waitFor('floating IP ACTIVE', async () => (await fipStatus()) === 'ACTIVE', 10_000);
    const active = Date.now() - started;
    // The server answers, not the router holding the address: two routers on the way back (64 - 2).
    await waitFor('the server answers the outside host at the floating IP', async () => (await pingTtl(outside(), fip.floating_ip_address)) === 62, 10_000);
    process.stdout.write(`# associate → ACTIVE ${active} ms, → first ping answered by the server ${Date.now() - started} ms\n`);
    const r = await inOutside(home, sshArgv(key, 'cirros', fip.floating_ip_address, 'hostname'));
    assert.equal(r.stdout.trim(), 'cirros-01', r.stderr);
  });

  it('SNAT: the outside host sees a server without a floating IP as the router\'s gateway address, one with it as its floating IP', async () => {
    const gateway = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    const listener = await sourceListener(outside(), 5555);
    try {
      const target = (await inOutside(home, ['busybox', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.match(/inet (\S+)\//)?.[1] as string;
      const seen = listener.next();
      const r = await inServer(home, 'cirros-02', ['sh', '-c', `echo hi | nc -w 3 ${target} 5555`]);
      assert.equal(await seen, gateway, r.stderr);
      const seen2 = listener.next();
      await inServer(home, 'cirros-01', ['sh', '-c', `echo hi | nc -w 3 ${target} 5555`]);
      assert.equal(await seen2, fip.floating_ip_address);
    } finally {
      listener.stop();
    }
  });

  it('hairpin: a server reaches another\'s floating IP through the same router', async () => {
    const r = await inServer(home, 'cirros-02', ['ping', '-c', '2', '-W', '2', fip.floating_ip_address]);
    assert.match(r.stdout, /2 packets received/, r.stdout + r.stderr);
    assert.match(r.stdout, /ttl=63/, 'cirros-01 answers through the router (not the router itself)');
  });

  it('host access: the machine itself pings the floating IP through its one veth', async () => {
    // Out through this cloud's veth: another Kumo on the machine may have host access to its own 172.24.4.0/24.
    const r = await run(['busybox', 'ping', '-I', hostAccessDev(homeHash(home)), '-c', '2', '-W', '2', fip.floating_ip_address], { okCodes: [1] });
    assert.match(r.stdout, /2 packets received/);
    assert.match(r.stdout, /ttl=63/, 'the server answers through the router');
    const routes = (await run(['ip', '-4', 'route', 'show', 'dev', hostAccessDev(homeHash(home))])).stdout.trim().split('\n');
    assert.deepEqual(routes.map((l) => l.split(' ')[0]), ['172.24.4.0/24'], 'only the on-link route, no gateway role');
  });

  it('disassociated: the floating IP goes DOWN and is unreachable from outside, established flows included; associated again it answers', async () => {
    // One ICMP flow that started while the floating IP was associated: it must not outlive it.
    const flow = persistentPing(outside(), fip.floating_ip_address, 62);
    try {
      await waitFor('the established flow answered', async () => flow.lastReply() > 0, 5_000);
      await neutron('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } });
      await waitFor('floating IP DOWN', async () => (await fipStatus()) === 'DOWN', 10_000);
      await cloud.agent?.idle();
      const down = performance.now();
      await sleep(1000);
      assert.ok(flow.lastReply() < down, 'no reply through the floating IP once it is DOWN');
    } finally {
      flow.stop();
    }
    assert.equal(await pings(outside(), fip.floating_ip_address), false);
    await neutron('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: servers.get('cirros-01')?.portId } });
    await waitFor('the server answers at the floating IP again', async () => (await pingTtl(outside(), fip.floating_ip_address)) === 62, 10_000);
  });

  it('router admin down cuts it, admin up restores it', async () => {
    await neutron('PUT', `/routers/${router.id}`, { router: { admin_state_up: false } });
    await waitFor('floating IP DOWN', async () => (await fipStatus()) === 'DOWN', 10_000);
    await cloud.agent?.idle();
    assert.equal(await pings(outside(), fip.floating_ip_address), false);
    const r = await inServer(home, 'cirros-02', ['ping', '-c', '1', '-W', '1', '172.24.4.1']);
    assert.match(r.stdout, /0 packets received/);
    await neutron('PUT', `/routers/${router.id}`, { router: { admin_state_up: true } });
    await waitFor('the server answers at the floating IP again', async () => (await pingTtl(outside(), fip.floating_ip_address)) === 62, 10_000);
  });
});
