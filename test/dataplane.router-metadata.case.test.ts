/**
 * A router's metadata proxy through every driver (fake always; linux as root, skipped with its
 * reason otherwise): haproxy in qrouter- with the router's kumo-metadata table, adopted by a
 * restarted agent, stopped with the table when the router's last interface goes, and with the
 * router. On Linux, real packets: a stand-in instance on the router's internal network (its
 * address set by hand, no DHCP) fetches http://169.254.169.254/ and the proxy hands the request
 * to a Unix socket with X-Neutron-Router-ID and X-Forwarded-For = the instance's address; port
 * 9697 is closed at the router's qr- address, and neither 9697 nor the metadata path answers
 * from the external network.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { compile, type CompileContext } from '../src/agent/compile.js';
import type { Model } from '../src/agent/model.js';
import { scopeOf } from '../src/agent/agent.js';
import { diff } from '../src/dataplane/diff.js';
import type { DataplaneDriver } from '../src/dataplane/driver.js';
import { FakeDataplane, FakeKernel } from '../src/dataplane/drivers/fake/driver.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { run } from '../src/dataplane/linux/exec.js';
import { processStartTime } from '../src/dataplane/linux/proc.js';
import { homeHash } from '../src/dataplane/names.js';
import { converge, leftoverNamespaces, plugTestNic, processesMentioning, rootSkip, type TestNic } from './helpers/dataplane.js';
import { GW_PORT, l3Model, ROUTER, VM_PORT } from './helpers/l3-model.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const QROUTER = `qrouter-${ROUTER}`;
const linuxSkip = rootSkip() || (!['/usr/sbin/haproxy', '/usr/bin/haproxy'].some((p) => existsSync(p)) && 'haproxy missing (scripts/dataplane-deps.sh)');

interface Harness {
  readonly name: 'fake' | 'linux';
  readonly skip: string | false;
  make(home: string): DataplaneDriver;
  restart(driver: DataplaneDriver): DataplaneDriver;
}

const HARNESSES: Harness[] = [
  { name: 'fake', skip: false, make: (home) => new FakeDataplane(home, new FakeKernel()), restart: (d) => new FakeDataplane(d.home, (d as FakeDataplane).kernel) },
  { name: 'linux', skip: linuxSkip, make: (home) => new LinuxDataplane(home), restart: (d) => new LinuxDataplane(d.home) },
];

/** One host serving the router, with the instance port bound to it. */
/** busybox wget in a namespace, cut off after 5 s: its exit code (0 when it got an answer) and output. */
function fetchIn(ns: string, url: string, headers: readonly string[] = []) {
  return run(['ip', 'netns', 'exec', ns, 'timeout', '5', 'busybox', 'wget', '-qO-', ...headers.flatMap((h) => ['--header', h]), url], { okCodes: [1, 124], timeoutMs: 20_000 });
}

function model(over: Parameters<typeof l3Model>[0] = {}): Model {
  const m = l3Model({ hosts: ['network1'], ...over });
  return { ...m, ports: m.ports.map((p) => (p.id === VM_PORT ? { ...p, hostId: 'network1' } : p)) };
}

for (const h of HARNESSES) {
  describe(`dataplane: a router's metadata proxy (${h.name})`, { skip: h.skip }, () => {
    let home: string;
    let driver: DataplaneDriver;
    let rootBefore: RootSnapshot | null = null;
    let socket: string;
    const context = (): CompileContext => ({
      host: 'network1', home, homeHash: homeHash(home), underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
      metadata: { socket },
    });
    const plan = (m: Model = model()) => compile(m, context());
    const proxyOf = async (m: Model = model()) => (await driver.observe(scopeOf(plan(m)))).metadata?.get(ROUTER);
    const metadataTable = async (m: Model = model()) => (await driver.observe(scopeOf(plan(m)))).nft?.get(QROUTER)?.get('ip kumo-metadata');

    before(async () => {
      if (h.name === 'linux') rootBefore = await snapshotRootNetns();
      home = mkdtempSync('/tmp/kumo-dp-rmd-');
      socket = join(home, 'metadata.sock');
      driver = h.make(home);
    });

    after(async () => {
      await driver.teardown();
      if (h.name === 'linux') {
        assert.deepEqual(await leftoverNamespaces(home, [QROUTER]), []);
        assert.deepEqual(processesMentioning(home), [], 'haproxy is gone');
        if (rootBefore) await assertRootNetnsUnchanged(rootBefore);
      }
      rmSync(home, { recursive: true, force: true });
    });

    it('starts haproxy in qrouter- and writes the router\'s metadata table; a restarted agent has nothing to do', async () => {
      const p = plan();
      assert.equal(await converge(driver, p), 1);
      const proxy = await proxyOf();
      assert.ok(proxy?.pid, 'haproxy runs');
      assert.equal(proxy?.config, p.metadata?.[0]?.config);
      assert.ok(await metadataTable(), 'the table is there');
      if (h.name === 'linux') {
        const listening = await run(['ip', 'netns', 'exec', QROUTER, 'busybox', 'netstat', '-ltn']);
        assert.match(listening.stdout, /0\.0\.0\.0:9697 /);
      }
      assert.deepEqual(diff(p, await h.restart(driver).observe(scopeOf(p))), []);
    });

    it('real packets: the instance behind the router reaches the proxy at 169.254.169.254, named by the router and its own address', { skip: h.name === 'linux' ? false : 'the fake driver moves no packets; the linux suite runs this case' }, async () => {
      const seen: Record<string, string | string[] | undefined>[] = [];
      const server: Server = createServer((req, res) => {
        seen.push(req.headers);
        res.end(JSON.stringify({ path: req.url }));
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      let nic: TestNic | null = null;
      try {
        const p = plan();
        nic = await plugTestNic(home, 'network1', p.hostNs, 'rmd', { id: VM_PORT, mac: 'fa:16:3e:db:2f:fd' }, 1450);
        await converge(driver, p);
        // No DHCP on this subnet: the address and the default route by hand, as a user would.
        await run(['ip', '-n', nic.ns, 'addr', 'add', '10.0.0.6/24', 'dev', nic.dev]);
        await run(['ip', '-n', nic.ns, 'route', 'add', 'default', 'via', '10.0.0.1']);
        const got = await fetchIn(nic.ns, 'http://169.254.169.254/openstack/latest/meta_data.json', ['X-Neutron-Router-ID: forged', 'X-Forwarded-For: 10.0.0.99']);
        assert.equal(got.code, 0, got.stderr);
        assert.deepEqual(JSON.parse(got.stdout), { path: '/openstack/latest/meta_data.json' });
        assert.equal(seen.length, 1);
        assert.equal(seen[0]?.['x-neutron-router-id'], ROUTER, 'the proxy names the router, whatever the guest sent');
        assert.equal(seen[0]?.['x-forwarded-for'], '10.0.0.6', 'and the guest\'s own address');
        assert.equal(seen[0]?.['x-neutron-network-id'], undefined);
        // 9697 itself is closed to the guest at the router's address...
        const direct = await fetchIn(nic.ns, 'http://10.0.0.1:9697/');
        assert.notEqual(direct.code, 0);
        // ...and to the external network, at the gateway address and through a route to 169.254.169.254 via the router.
        const upstream = p.outside?.upstreamNs as string;
        const fromOutside = await fetchIn(upstream, 'http://172.24.4.2:9697/');
        assert.notEqual(fromOutside.code, 0);
        await run(['ip', '-n', upstream, 'route', 'add', '169.254.169.254/32', 'via', '172.24.4.2']);
        const viaGateway = await fetchIn(upstream, 'http://169.254.169.254/openstack/latest/meta_data.json');
        assert.notEqual(viaGateway.code, 0);
        assert.equal(seen.length, 1, 'nothing but the guest\'s request reached the service');
        // The route added by hand goes on the next pass (the upstream router stays a dead end).
        await converge(driver, p);
      } finally {
        server.close();
        if (nic) await run(['ip', 'netns', 'delete', nic.ns]);
      }
    });

    it('stops the proxy and drops the table when the router\'s last interface goes; both come back with it', async () => {
      const before = (await proxyOf())?.pid as number;
      const gatewayOnly = model({ router: { portIds: [GW_PORT] } });
      assert.equal(await converge(driver, plan(gatewayOnly)), 1);
      assert.equal((await proxyOf(gatewayOnly))?.pid ?? null, null);
      assert.equal(await metadataTable(gatewayOnly), undefined);
      if (h.name === 'linux') assert.equal(processStartTime(before), null, 'the old haproxy is gone');
      assert.equal(await converge(driver, plan()), 1);
      assert.ok((await proxyOf())?.pid);
      assert.ok(await metadataTable());
    });

    it('stops the proxy with a deleted router, before its namespace goes', async () => {
      const pid = (await proxyOf())?.pid as number;
      const gone = model({ l3: { routers: [] } });
      const actions = diff(plan(gone), await driver.observe(scopeOf(plan(gone))));
      const stop = actions.findIndex((a) => a.op === 'metadata.stop' && a.id === ROUTER);
      assert.ok(stop >= 0 && stop < actions.findIndex((a) => a.op === 'netns.delete' && a.ns === QROUTER));
      await driver.apply(actions);
      assert.equal(await converge(driver, plan(gone)), 0);
      assert.equal((await proxyOf(gone))?.pid ?? null, null);
      if (h.name === 'linux') assert.equal(processStartTime(pid), null, 'haproxy went with its router');
    });
  });
}
