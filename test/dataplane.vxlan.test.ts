/**
 * VXLAN between two simulated hosts of one cloud, with real packets (root only; skipped with
 * the reason otherwise): the all-in-one host serves DHCP, a second host registered with its
 * own underlay address runs its own agent against the same store. A port on the second host
 * gets its address from dnsmasq on the first across VXLAN and pings a port on the first; the
 * VXLAN devices' counters show the packets crossed, and l2population put the remote port's
 * address in the neighbour table so ARP is answered locally.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from '../src/agent/agent.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { runJson } from '../src/dataplane/linux/exec.js';
import { homeHash, hostNamespace, tapName, vxlanName } from '../src/dataplane/names.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { dhcpClient, leftoverNamespaces, ping, plugTestNic, processesMentioning, rootSkip, waitFor, type TestNic } from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const V2 = '/network/v2.0';
const HOST2 = 'compute2';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface LinkStats {
  ifname: string;
  master?: string;
  stats64?: { rx: { packets: number }; tx: { packets: number } };
}

describe('dataplane: VXLAN between two hosts with real packets', { skip: rootSkip() }, () => {
  let home: string;
  let cloud: TestCloud;
  let agent2: Agent;
  let rootBefore: RootSnapshot;
  let net: Json;
  let ns1: string;
  let ns2: string;
  const ports: Json[] = [];
  const nics: TestNic[] = [];

  const vxlanStats = async (ns: string): Promise<LinkStats | undefined> => {
    const [link] = await runJson<LinkStats[]>(['ip', '-s', '-n', ns, '-j', 'link', 'show', vxlanName(net['provider:segmentation_id'])]);
    return link;
  };

  before(async () => {
    rootBefore = await snapshotRootNetns();
    home = mkdtempSync('/tmp/kumo-dp-vxlan-');
    cloud = await startTestCloud({ home, config: { dataplane: 'linux' } });
    const admin = await cloud.token('admin');
    // The second host: compute and L2 only, so DHCP stays on the all-in-one host.
    await cloud.hosts.register({
      name: HOST2, roles: ['compute', 'l2'], availabilityZone: 'nova', underlayIp: '100.64.0.2', hypervisorType: 'fake', vcpus: 2, memoryMb: 2048, diskGb: 20,
    });
    agent2 = new Agent({ store: cloud.store, driver: new LinuxDataplane(home), host: HOST2 });
    await agent2.start();
    net = (await cloud.request('POST', `${V2}/networks`, { token: admin, body: { network: { name: 'vx' } } })).body.network;
    await cloud.request('POST', `${V2}/subnets`, { token: admin, body: { subnet: { network_id: net.id, cidr: '10.88.0.0/24', ip_version: 4 } } });
    ns1 = hostNamespace(homeHash(home), cloud.localHost.name);
    ns2 = hostNamespace(homeHash(home), HOST2);
    for (const [name, host] of [['vm1', cloud.localHost.name], ['vm2', HOST2]] as const) {
      const r = await cloud.request('POST', `${V2}/ports`, {
        token: admin, body: { port: { network_id: net.id, name, device_owner: 'compute:nova', device_id: randomUUID(), 'binding:host_id': host } },
      });
      assert.equal(r.status, 201, r.text);
      ports.push(r.body.port);
    }
    await waitFor('both agents to wire the network', async () => {
      await Promise.all([cloud.agent?.idle(), agent2.idle()]);
      return (await vxlanStats(ns2).catch(() => undefined)) !== undefined;
    });
    nics.push(await plugTestNic(home, cloud.localHost.name, ns1, 'vx1', { id: ports[0]?.id, mac: ports[0]?.mac_address }, net.mtu));
    nics.push(await plugTestNic(home, HOST2, ns2, 'vx2', { id: ports[1]?.id, mac: ports[1]?.mac_address }, net.mtu));
    cloud.agent?.kick();
    agent2.kick();
    for (const [ns, p] of [[ns1, ports[0]], [ns2, ports[1]]] as const) {
      await waitFor(`${tapName(p?.id)} in its bridge`, async () => {
        const [link] = await runJson<LinkStats[]>(['ip', '-n', ns, '-j', 'link', 'show', tapName(p?.id)]);
        return link?.master?.startsWith('brq');
      });
    }
  });

  after(async () => {
    await agent2?.stop();
    await cloud?.stop();
    await new LinuxDataplane(home).teardown();
    assert.deepEqual(await leftoverNamespaces(home, net ? [`qdhcp-${net.id}`] : []), []);
    assert.deepEqual(processesMentioning(home), []);
    await assertRootNetnsUnchanged(rootBefore);
    rmSync(home, { recursive: true, force: true });
  });

  it('programs l2population on the second host: flood and unicast FDB towards host 1, the DHCP port in the ARP proxy', async () => {
    const fdb = await runJson<{ mac: string; dst?: string }[]>(['bridge', '-n', ns2, '-j', 'fdb', 'show', 'dev', vxlanName(net['provider:segmentation_id'])]);
    const towardsOne = fdb.filter((e) => e.dst === '100.64.0.1').map((e) => e.mac);
    assert.ok(towardsOne.includes('00:00:00:00:00:00'));
    assert.ok(towardsOne.includes(ports[0]?.mac_address));
    const neigh = await runJson<{ dst: string; lladdr?: string }[]>(['ip', '-n', ns2, '-j', 'neigh', 'show', 'dev', vxlanName(net['provider:segmentation_id'])]);
    assert.ok(neigh.some((n) => n.dst === ports[0]?.fixed_ips[0].ip_address && n.lladdr === ports[0]?.mac_address));
  });

  it('gives the port on the second host its address from dnsmasq on the first, across VXLAN', async () => {
    const before2 = (await vxlanStats(ns2))?.stats64?.tx.packets ?? 0;
    const answer = await dhcpClient(nics[1] as TestNic, home, 'vx2');
    assert.equal(answer.ip, ports[1]?.fixed_ips[0].ip_address);
    assert.equal(answer.mtu, '1450');
    assert.ok(((await vxlanStats(ns2))?.stats64?.tx.packets ?? 0) > before2, 'the DHCP exchange went out through the VXLAN device');
  });

  it('pings from host 2 to host 1 with ttl 64, every packet through both VXLAN devices', async () => {
    await dhcpClient(nics[0] as TestNic, home, 'vx1');
    const rx1 = (await vxlanStats(ns1))?.stats64?.rx.packets ?? 0;
    const r = await ping(nics[1]?.ns as string, ports[0]?.fixed_ips[0].ip_address, 5);
    assert.equal(r.received, 5, r.output);
    assert.equal(r.ttl, 64);
    const rx1After = (await vxlanStats(ns1))?.stats64?.rx.packets ?? 0;
    assert.ok(rx1After - rx1 >= 5, `host 1's VXLAN device received the echo requests (${rx1After - rx1})`);
  });
});
