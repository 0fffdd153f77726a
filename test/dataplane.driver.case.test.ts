/**
 * The data-plane driver suite: the same cases against every driver (fake always; linux as root,
 * skipped with its reason otherwise). Each case compiles a model, lets diff() drive the driver,
 * and checks what the driver then observes: convergence, idempotence, drift repair, dnsmasq
 * reload versus restart, removal, two hosts on one fabric, and teardown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, type CompileContext } from '../src/agent/compile.js';
import type { Model, ModelPort } from '../src/agent/model.js';
import { scopeOf } from '../src/agent/agent.js';
import { diff } from '../src/dataplane/diff.js';
import type { DataplaneDriver } from '../src/dataplane/driver.js';
import { FakeDataplane, FakeKernel } from '../src/dataplane/drivers/fake/driver.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { run } from '../src/dataplane/linux/exec.js';
import { processStartTime } from '../src/dataplane/linux/proc.js';
import { homeHash } from '../src/dataplane/names.js';
import { converge, leftoverNamespaces, ping, processesMentioning, rootSkip } from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

interface Harness {
  readonly name: 'fake' | 'linux';
  readonly skip: string | false;
  /** Drivers of several hosts of one home share one kernel. */
  make(home: string): () => DataplaneDriver;
  /** Deletes a link behind the driver's back (a user with `ip link del`). */
  sabotage(driver: DataplaneDriver, ns: string, link: string): Promise<void>;
}

const HARNESSES: Harness[] = [
  {
    name: 'fake',
    skip: false,
    make(home) {
      const kernel = new FakeKernel();
      return () => new FakeDataplane(home, kernel);
    },
    async sabotage(driver, ns, link) {
      const kernel = (driver as FakeDataplane).kernel;
      const l = kernel.namespaces.get(ns)?.links.get(link);
      kernel.namespaces.get(ns)?.links.delete(link);
      if (l?.peer) kernel.namespaces.get(l.peer.ns)?.links.delete(l.peer.name);
    },
  },
  {
    name: 'linux',
    skip: rootSkip(),
    make: (home) => () => new LinuxDataplane(home),
    async sabotage(_driver, ns, link) {
      await run(['ip', '-n', ns, 'link', 'delete', link]);
    },
  },
];

function sampleModel(hosts: readonly string[] = ['compute1']): { model: Model; networkId: string; dhcpPortId: string } {
  const networkId = randomUUID();
  const subnetId = randomUUID();
  const dhcpPortId = randomUUID();
  const port = (id: string, mac: string, ip: string, over: Partial<ModelPort>): ModelPort => ({
    id, networkId, mac, deviceOwner: 'compute:nova', deviceId: 'srv', hostId: '', adminStateUp: true, status: 'DOWN', vifType: 'unbound',
    dnsName: '', fixedIps: [{ subnetId, ip }], extraDhcpOpts: [], ...over,
  });
  return {
    networkId,
    dhcpPortId,
    model: {
      hosts: hosts.map((name, i) => ({ name, underlayIp: `100.64.0.${i + 1}` })),
      networks: [{ id: networkId, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: 42 }] }],
      subnets: [{ id: subnetId, networkId, ipVersion: 4, cidr: '10.42.0.0/24', gatewayIp: '10.42.0.1', enableDhcp: true, dnsNameservers: [], hostRoutes: [] }],
      ports: [
        port(dhcpPortId, 'fa:16:3e:42:00:02', '10.42.0.2', { deviceOwner: 'network:dhcp', deviceId: `dhcp-${networkId}` }),
        ...hosts.map((h, i) => port(randomUUID(), `fa:16:3e:42:01:0${i}`, `10.42.0.${10 + i}`, { hostId: h })),
      ],
      dhcpHosts: new Map([[networkId, [hosts[0] as string]]]),
    },
  };
}

const context = (home: string, host: string): CompileContext => ({
  host, home, homeHash: homeHash(home), underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
});

for (const h of HARNESSES) {
  describe(`dataplane driver: ${h.name}`, { skip: h.skip }, () => {
    let home: string;
    let driverFor: () => DataplaneDriver;
    let rootBefore: RootSnapshot | null = null;

    before(async () => {
      home = mkdtempSync(join(tmpdir(), `kumo-dp-${h.name}-`));
      driverFor = h.make(home);
      if (h.name === 'linux') rootBefore = await snapshotRootNetns();
    });

    after(async () => {
      await driverFor().teardown();
      if (h.name === 'linux') {
        assert.deepEqual(await leftoverNamespaces(home), []);
        assert.deepEqual(processesMentioning(home), []);
        if (rootBefore) await assertRootNetnsUnchanged(rootBefore);
      }
      rmSync(home, { recursive: true, force: true });
    });

    it('converges from nothing in one pass, and the next pass has nothing to do', async () => {
      const { model, networkId } = sampleModel();
      const driver = driverFor();
      const plan = compile(model, context(home, 'compute1'));
      assert.equal(await converge(driver, plan), 1);
      const obs = await driver.observe(scopeOf(plan));
      assert.ok(obs.namespaces.has(`qdhcp-${networkId}`));
      assert.ok(obs.dhcp.get(networkId)?.pid, 'dnsmasq runs');
      assert.equal(obs.links.get(plan.hostNs)?.get('vxlan-42')?.master, plan.bridges[0]?.name);
      await driver.teardown('compute1');
    });

    it('puts back a veth deleted by hand', async () => {
      const { model } = sampleModel();
      const driver = driverFor();
      const plan = compile(model, context(home, 'compute1'));
      await converge(driver, plan);
      const tap = plan.dhcp[0]?.tap as string;
      await h.sabotage(driver, plan.hostNs, tap);
      const actions = diff(plan, await driver.observe(scopeOf(plan)));
      assert.ok(actions.some((a) => a.op === 'link.add.veth' && a.a.name === tap), 'the veth is re-created');
      assert.equal(await converge(driver, plan), 1);
      await driver.teardown('compute1');
    });

    it('reloads dnsmasq (same pid) when only its files change, restarts it when its command line does', async () => {
      const { model, networkId } = sampleModel();
      const driver = driverFor();
      await converge(driver, compile(model, context(home, 'compute1')));
      const pid = (await driver.observe(scopeOf(compile(model, context(home, 'compute1'))))).dhcp.get(networkId)?.pid;
      const withPort: Model = { ...model, ports: [...model.ports, { ...(model.ports[1] as ModelPort), id: randomUUID(), mac: 'fa:16:3e:42:02:00', fixedIps: [{ subnetId: model.subnets[0]?.id as string, ip: '10.42.0.77' }] }] };
      const plan2 = compile(withPort, context(home, 'compute1'));
      const actions = diff(plan2, await driver.observe(scopeOf(plan2)));
      assert.deepEqual(actions.map((a) => a.op), ['dhcp.files', 'dhcp.reload']);
      await converge(driver, plan2);
      const obs2 = await driver.observe(scopeOf(plan2));
      assert.equal(obs2.dhcp.get(networkId)?.pid, pid, 'same dnsmasq');
      assert.match(obs2.dhcp.get(networkId)?.files.host ?? '', /fa:16:3e:42:02:00,host-10-42-0-77\.openstacklocal,10\.42\.0\.77/);

      const mtu: Model = { ...withPort, networks: withPort.networks.map((n) => ({ ...n, mtu: 1400 })) };
      const plan3 = compile(mtu, context(home, 'compute1'));
      const ops = diff(plan3, await driver.observe(scopeOf(plan3))).map((a) => a.op);
      assert.ok(ops.includes('dhcp.stop') && ops.includes('dhcp.start'));
      await converge(driver, plan3);
      const obs3 = await driver.observe(scopeOf(plan3));
      assert.notEqual(obs3.dhcp.get(networkId)?.pid, pid);
      assert.ok(obs3.dhcp.get(networkId)?.argv?.includes('--dhcp-option-force=option:mtu,1400'));
      assert.equal(obs3.links.get(plan3.hostNs)?.get(plan3.dhcp[0]?.tap as string)?.mtu, 1400);
      await driver.teardown('compute1');
    });

    it('removes dnsmasq, the qdhcp namespace and the bridge when the network leaves the host', async () => {
      const { model, networkId } = sampleModel();
      const driver = driverFor();
      const plan = compile(model, context(home, 'compute1'));
      await converge(driver, plan);
      const pid = (await driver.observe(scopeOf(plan))).dhcp.get(networkId)?.pid as number;
      const gone = compile({ ...model, networks: [], subnets: [], ports: [], dhcpHosts: new Map() }, context(home, 'compute1'));
      await converge(driver, gone);
      const obs = await driver.observe(scopeOf(gone));
      assert.ok(!obs.namespaces.has(`qdhcp-${networkId}`));
      assert.deepEqual([...(obs.links.get(gone.hostNs)?.keys() ?? [])].filter((n) => n.startsWith('brq') || n.startsWith('vxlan-')), []);
      if (h.name === 'linux') assert.equal(processStartTime(pid), null, 'dnsmasq is gone');
      await driver.teardown('compute1');
    });

    it('runs a metadata proxy in qdhcp- on 169.254.169.254, restarts it when its config changes, stops it with the network', async () => {
      const { model, networkId } = sampleModel();
      const driver = driverFor();
      const withMd = (socket: string): CompileContext => ({ ...context(home, 'compute1'), metadata: { socket } });
      const plan = compile(model, withMd(join(home, 'metadata.sock')));
      assert.equal(await converge(driver, plan), 1);
      const obs = await driver.observe(scopeOf(plan));
      const pid = obs.metadata?.get(networkId)?.pid as number;
      assert.ok(pid, 'haproxy runs');
      assert.equal(obs.metadata?.get(networkId)?.config, plan.metadata?.[0]?.config);
      assert.ok(obs.links.get(`qdhcp-${networkId}`)?.get(plan.dhcp[0]?.device as string)?.addresses.includes('169.254.169.254/32'));
      if (h.name === 'linux') {
        const listening = await run(['ip', 'netns', 'exec', `qdhcp-${networkId}`, 'busybox', 'netstat', '-ltn']);
        assert.match(listening.stdout, /169\.254\.169\.254:80 /);
      }
      const moved = compile(model, withMd(join(home, 'other.sock')));
      assert.deepEqual(diff(moved, await driver.observe(scopeOf(moved))).map((a) => a.op), ['metadata.config', 'metadata.stop', 'metadata.start']);
      await converge(driver, moved);
      const pid2 = (await driver.observe(scopeOf(moved))).metadata?.get(networkId)?.pid as number;
      assert.ok(pid2 && pid2 !== pid, 'a new haproxy');
      if (h.name === 'linux') assert.equal(processStartTime(pid), null, 'the old haproxy is gone');
      const gone = compile({ ...model, networks: [], subnets: [], ports: [], dhcpHosts: new Map() }, withMd(join(home, 'other.sock')));
      await converge(driver, gone);
      assert.equal((await driver.observe(scopeOf(gone))).metadata?.get(networkId), undefined);
      if (h.name === 'linux') assert.equal(processStartTime(pid2), null, 'haproxy went with its network');
      await driver.teardown('compute1');
    });

    it('joins two hosts of one home on the fabric, each with l2population entries for the other', async () => {
      const { model } = sampleModel(['compute1', 'compute2']);
      const one = driverFor();
      const two = driverFor();
      const p1 = compile(model, context(home, 'compute1'));
      const p2 = compile(model, context(home, 'compute2'));
      await converge(one, p1);
      await converge(two, p2);
      const o1 = await one.observe(scopeOf(p1));
      const o2 = await two.observe(scopeOf(p2));
      assert.deepEqual(o1.fdb.get('vxlan-42')?.map((e) => e.dst).sort(), ['100.64.0.2', '100.64.0.2']);
      assert.deepEqual(o2.fdb.get('vxlan-42')?.map((e) => e.dst).sort(), ['100.64.0.1', '100.64.0.1', '100.64.0.1']);
      assert.equal(o2.neighbours.get('vxlan-42')?.length, 2);
      assert.equal(diff(p1, await one.observe(scopeOf(p1))).length, 0, 'host 2 changed nothing of host 1');
      if (h.name === 'linux') {
        // The underlay really carries packets: host 1 reaches host 2's underlay address.
        const r = await ping(p1.hostNs, '100.64.0.2', 1);
        assert.equal(r.received, 1, r.output);
      }
      await two.teardown('compute2');
      await one.teardown('compute1');
    });

    it('tears down everything it recorded for the home', async () => {
      const { model } = sampleModel();
      const driver = driverFor();
      const plan = compile(model, { ...context(home, 'compute1'), metadata: { socket: join(home, 'metadata.sock') } });
      await converge(driver, plan);
      const report = await driver.teardown();
      assert.ok(report.namespaces.includes(plan.hostNs) && report.namespaces.includes(plan.fabric.ns));
      assert.equal(report.processes.length >= 2, true, 'dnsmasq and the metadata proxy');
      const obs = await driver.observe(scopeOf(plan));
      assert.equal(obs.namespaces.size, 0);
      if (h.name === 'linux') assert.deepEqual(await leftoverNamespaces(home, plan.dhcp.map((d) => d.ns)), []);
    });
  });
}
