/**
 * Routers and the outside world through every driver (fake always; linux as root, skipped with
 * its reason otherwise): convergence in one pass and nothing left to do after, adoption by a
 * restarted agent, an interface removed, admin down and up, the upstream router kept a dead end, a router deleted, and
 * teardown. Host access runs on the fake kernel here (the Linux one is in floatingip.*.test.ts,
 * with the root namespace compared before and after).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { compile, type CompileContext } from '../src/agent/compile.js';
import type { Model } from '../src/agent/model.js';
import { scopeOf } from '../src/agent/agent.js';
import { diff } from '../src/dataplane/diff.js';
import type { DataplaneDriver } from '../src/dataplane/driver.js';
import { FakeDataplane, FakeKernel } from '../src/dataplane/drivers/fake/driver.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { run } from '../src/dataplane/linux/exec.js';
import { homeHash } from '../src/dataplane/names.js';
import { converge, leftoverNamespaces, rootSkip } from './helpers/dataplane.js';
import { IF_PORT, l3Model, ROUTER } from './helpers/l3-model.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

interface Harness {
  readonly name: 'fake' | 'linux';
  readonly skip: string | false;
  make(home: string): DataplaneDriver;
  /** A new driver on the same kernel and home: what a restarted agent gets. */
  restart(driver: DataplaneDriver): DataplaneDriver;
  /** Someone adds a route by hand. */
  addRoute(driver: DataplaneDriver, ns: string, dst: string, via: string): Promise<void>;
}

const HARNESSES: Harness[] = [
  {
    name: 'fake', skip: false,
    make: (home) => new FakeDataplane(home, new FakeKernel()),
    restart: (driver) => new FakeDataplane(driver.home, (driver as FakeDataplane).kernel),
    async addRoute(driver, ns, dst, via) {
      const k = (driver as FakeDataplane).kernel;
      k.routes.set(ns, [...(k.routes.get(ns) ?? []), { dst, via }]);
    },
  },
  {
    name: 'linux', skip: rootSkip(),
    make: (home) => new LinuxDataplane(home),
    restart: (driver) => new LinuxDataplane(driver.home),
    async addRoute(_driver, ns, dst, via) {
      await run(['ip', '-n', ns, 'route', 'add', dst, 'via', via]);
    },
  },
];

const context = (home: string, hostAccess = false): CompileContext => ({
  host: 'network1', home, homeHash: homeHash(home), underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 }, hostAccess,
});

for (const h of HARNESSES) {
  describe(`dataplane routers: ${h.name}`, { skip: h.skip }, () => {
    let home: string;
    let driver: DataplaneDriver;
    let rootBefore: RootSnapshot | null = null;
    const plan = (model: Model = l3Model(), hostAccess = false) => compile(model, context(home, hostAccess));

    before(async () => {
      home = mkdtempSync('/tmp/kumo-dp-l3-');
      driver = h.make(home);
      if (h.name === 'linux') rootBefore = await snapshotRootNetns();
    });

    after(async () => {
      await driver.teardown();
      if (h.name === 'linux') {
        assert.deepEqual(await leftoverNamespaces(home, [`qrouter-${ROUTER}`]), []);
        if (rootBefore) await assertRootNetnsUnchanged(rootBefore);
      }
      rmSync(home, { recursive: true, force: true });
    });

    it('converges from nothing in one pass: the router wired, forwarding, routed; the upstream and outside host in place', async () => {
      const p = plan();
      assert.equal(await converge(driver, p), 1);
      const obs = await driver.observe(scopeOf(p));
      const r = p.routers?.[0];
      const o = p.outside;
      assert.ok(r && o);
      const links = obs.links.get(r.ns);
      assert.deepEqual(links?.get('qg-5b8b000e-cf')?.addresses, ['172.24.4.2/24', '172.24.4.51/32']);
      assert.equal(links?.get('qg-5b8b000e-cf')?.mac, 'fa:16:3e:64:31:71');
      assert.deepEqual(links?.get('qr-2714d4c8-53')?.addresses, ['10.0.0.1/24']);
      assert.equal(obs.links.get(p.hostNs)?.get('tap2714d4c8-53')?.master, 'brqce984965-c0');
      assert.equal(obs.links.get(p.hostNs)?.get('tap5b8b000e-cf')?.master, 'brqb226c9e0-db');
      assert.deepEqual(obs.routes?.get(r.ns), [{ dst: '0.0.0.0/0', via: '172.24.4.1' }]);
      assert.equal(obs.forwarding?.get(r.ns), true);
      assert.deepEqual(obs.links.get(o.upstreamNs)?.get(o.legs[0]?.dev as string)?.addresses, ['172.24.4.1/24']);
      assert.deepEqual(obs.links.get(o.upstreamNs)?.get('outside0')?.addresses, ['203.0.113.1/24']);
      assert.equal(obs.forwarding?.get(o.upstreamNs), true);
      assert.deepEqual(obs.routes?.get(o.upstreamNs), []);
      assert.deepEqual(obs.routes?.get(o.outsideNs), [{ dst: '0.0.0.0/0', via: '203.0.113.1' }]);
      assert.equal(obs.forwarding?.get(o.outsideNs), false);
      assert.equal(obs.hostAccess, null);
    });

    it('adopts what a previous agent made: after a restart the router, its NAT table and the outside world need nothing', async () => {
      const p = plan();
      const fresh = h.restart(driver);
      assert.deepEqual(diff(p, await fresh.observe(scopeOf(p))), []);
    });

    it('announces a floating IP it takes on: a neighbour still holding another MAC for the address learns the gateway\'s', async () => {
      const p = plan();
      const o = p.outside;
      const noFip = plan(l3Model({ floatingIps: [] }));
      assert.equal(await converge(driver, noFip), 1);
      if (h.name === 'linux') await run(['ip', '-n', o?.upstreamNs as string, 'neigh', 'replace', '172.24.4.51', 'lladdr', '02:00:00:00:00:99', 'dev', o?.legs[0]?.dev as string, 'nud', 'stale']);
      const actions = diff(p, await driver.observe(scopeOf(p)));
      assert.deepEqual(actions.filter((a) => a.op === 'arp.announce'), [{ op: 'arp.announce', ns: `qrouter-${ROUTER}`, dev: 'qg-5b8b000e-cf', ip: '172.24.4.51' }]);
      await driver.apply(actions);
      if (h.name === 'linux') {
        const neigh = (await run(['ip', '-n', o?.upstreamNs as string, 'neigh', 'show', '172.24.4.51'])).stdout;
        assert.match(neigh, /lladdr fa:16:3e:64:31:71/, neigh);
      }
      assert.equal(await converge(driver, p), 0);
    });

    it('keeps the upstream router a dead end: a route added by hand goes on the next pass', async () => {
      const p = plan();
      await h.addRoute(driver, p.outside?.upstreamNs as string, '0.0.0.0/0', '172.24.4.2');
      const actions = diff(p, await driver.observe(scopeOf(p)));
      assert.deepEqual(actions, [{ op: 'route.delete', ns: p.outside?.upstreamNs, dst: '0.0.0.0/0', via: '172.24.4.2' }]);
      assert.equal(await converge(driver, p), 1);
    });

    it('cuts forwarding, routes and links of an administratively down router, and restores them', async () => {
      const down = plan(l3Model({ router: { adminStateUp: false } }));
      assert.equal(await converge(driver, down), 1);
      const ns = down.routers?.[0]?.ns as string;
      const obs = await driver.observe(scopeOf(down));
      assert.equal(obs.forwarding?.get(ns), false);
      assert.deepEqual(obs.routes?.get(ns), []);
      assert.equal(obs.links.get(ns)?.get('qr-2714d4c8-53')?.up, false);
      assert.equal(obs.links.get(ns)?.get('qg-5b8b000e-cf')?.up, false);
      assert.equal(await converge(driver, plan()), 1);
      const back = await driver.observe(scopeOf(plan()));
      assert.equal(back.forwarding?.get(ns), true);
      assert.deepEqual(back.routes?.get(ns), [{ dst: '0.0.0.0/0', via: '172.24.4.1' }]);
    });

    it('removes an interface that leaves the router, then the qrouter- namespace of a deleted router', async () => {
      const m = l3Model();
      const noIf = plan(l3Model({ router: { portIds: m.l3?.routers[0]?.portIds.filter((id) => id !== IF_PORT) } }));
      assert.equal(await converge(driver, noIf), 1);
      const obs = await driver.observe(scopeOf(noIf));
      assert.equal(obs.links.get(`qrouter-${ROUTER}`)?.has('qr-2714d4c8-53'), false);
      assert.equal(obs.links.get(noIf.hostNs)?.has('tap2714d4c8-53'), false, 'the veth went with its qr- end');
      const gone = plan(l3Model({ l3: { routers: [] } }));
      assert.equal(await converge(driver, gone), 1);
      assert.equal((await driver.observe(scopeOf(gone))).namespaces.has(`qrouter-${ROUTER}`), false);
      assert.equal(await converge(driver, plan()), 1);
    });

    it('gives host access one veth with on-link addresses and forwarding off, repairs it, and removes it when turned off', { skip: h.name === 'linux' && 'root namespace: covered by the floating IP test' }, async () => {
      const on = plan(l3Model(), true);
      assert.equal(await converge(driver, on), 1);
      const dev = on.outside?.hostAccessDev as string;
      const obs = await driver.observe(scopeOf(on));
      assert.deepEqual(obs.hostAccess?.addresses, ['172.24.4.254/24']);
      assert.equal(obs.hostAccess?.forwarding, false);
      const k = (driver as FakeDataplane).kernel;
      const link = k.rootLinks.get(dev);
      if (link) link.forwarding = true;
      assert.deepEqual(diff(on, await driver.observe(scopeOf(on))), [{ op: 'hostaccess.secure', dev }]);
      assert.equal(await converge(driver, on), 1);
      assert.equal(await converge(driver, plan(l3Model(), false)), 1);
      assert.equal((await driver.observe(scopeOf(on))).hostAccess, null);
      assert.equal(k.rootLinks.size, 0);
    });

    it('tears down the routers and the outside world with the home', async () => {
      const report = await driver.teardown();
      assert.ok(report.namespaces.includes(`qrouter-${ROUTER}`));
      assert.ok(report.namespaces.some((n) => n.endsWith('-upstream')));
      assert.ok(report.namespaces.some((n) => n.endsWith('-outside')));
      if (h.name === 'linux') assert.deepEqual(await leftoverNamespaces(home, [`qrouter-${ROUTER}`]), []);
    });
  });
}
