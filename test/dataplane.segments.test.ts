/**
 * Flat and VLAN provider networks on the sandboxed physical network, with real packets between
 * two simulated hosts (root only; skipped with the reason otherwise). No 802.1Q on this kernel:
 * each (physnet, VLAN id) is its own segment, so two VLANs with the same addresses stay apart.
 * Addresses are set by hand, as seed 000's user does on a hot-plugged NIC.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from '../src/agent/agent.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { runJson } from '../src/dataplane/linux/exec.js';
import { ipBatch, line } from '../src/dataplane/linux/ip.js';
import { homeHash, hostNamespace, tapName } from '../src/dataplane/names.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { leftoverNamespaces, ping, plugTestNic, processesMentioning, rootSkip, waitFor, type TestNic } from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const V2 = '/network/v2.0';
const HOST2 = 'compute2';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('dataplane: flat and VLAN segments with real packets', { skip: rootSkip() }, () => {
  let home: string;
  let cloud: TestCloud;
  let agent2: Agent;
  let admin: string;
  let rootBefore: RootSnapshot;
  const nics = new Map<string, TestNic & { ip: string; mtu: number }>();

  async function network(name: string, provider: Record<string, unknown>): Promise<Json> {
    const r = await cloud.request('POST', `${V2}/networks`, { token: admin, body: { network: { name, ...provider } } });
    assert.equal(r.status, 201, r.text);
    const s = await cloud.request('POST', `${V2}/subnets`, { token: admin, body: { subnet: { network_id: r.body.network.id, cidr: '10.90.0.0/24', ip_version: 4, enable_dhcp: false } } });
    assert.equal(s.status, 201, s.text);
    return r.body.network;
  }

  /** A port bound to the host, plugged, and addressed by hand. */
  async function nic(name: string, net: Json, host: string, ip: string): Promise<void> {
    const r = await cloud.request('POST', `${V2}/ports`, {
      token: admin,
      body: { port: { network_id: net.id, name, fixed_ips: [{ ip_address: ip }], device_owner: 'compute:nova', device_id: randomUUID(), 'binding:host_id': host } },
    });
    assert.equal(r.status, 201, r.text);
    const hostNs = hostNamespace(homeHash(home), host);
    await waitFor(`${host}'s bridge for ${net.name}`, async () => {
      await Promise.all([cloud.agent?.idle(), agent2.idle()]);
      const links = await runJson<{ ifname: string }[]>(['ip', '-n', hostNs, '-j', 'link', 'show']).catch(() => []);
      return links.some((l) => l.ifname === `brq${net.id.slice(0, 11)}`);
    });
    const plugged = await plugTestNic(home, host, hostNs, name, { id: r.body.port.id, mac: r.body.port.mac_address }, net.mtu);
    await ipBatch(plugged.ns, [line('addr', 'add', `${ip}/24`, 'dev', plugged.dev)]);
    cloud.agent?.kick();
    agent2.kick();
    await waitFor(`${name} in its bridge`, async () => {
      const [l] = await runJson<{ master?: string }[]>(['ip', '-n', hostNs, '-j', 'link', 'show', tapName(r.body.port.id)]);
      return l?.master === `brq${net.id.slice(0, 11)}`;
    });
    nics.set(name, { ...plugged, ip, mtu: net.mtu });
  }

  before(async () => {
    rootBefore = await snapshotRootNetns();
    home = mkdtempSync('/tmp/kumo-dp-seg-');
    cloud = await startTestCloud({ home, config: { dataplane: 'linux' } });
    admin = await cloud.token('admin');
    await cloud.hosts.register({
      name: HOST2, roles: ['compute', 'l2'], availabilityZone: 'nova', underlayIp: '100.64.0.2', hypervisorType: 'fake', vcpus: 2, memoryMb: 2048, diskGb: 20,
    });
    agent2 = new Agent({ store: cloud.store, driver: new LinuxDataplane(home), host: HOST2 });
    await agent2.start();
    const flat = await network('flat', { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
    const vlan100 = await network('vlan100', { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
    const vlan101 = await network('vlan101', { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 101 });
    await nic('flat1', flat, cloud.localHost.name, '10.90.0.10');
    await nic('flat2', flat, HOST2, '10.90.0.11');
    await nic('v100a', vlan100, cloud.localHost.name, '10.90.0.20');
    await nic('v100b', vlan100, HOST2, '10.90.0.21');
    await nic('v101b', vlan101, HOST2, '10.90.0.20');
  });

  after(async () => {
    await agent2?.stop();
    await cloud?.stop();
    await new LinuxDataplane(home).teardown();
    assert.deepEqual(await leftoverNamespaces(home), []);
    assert.deepEqual(processesMentioning(home), []);
    await assertRootNetnsUnchanged(rootBefore);
    rmSync(home, { recursive: true, force: true });
  });

  it('carries a flat network between hosts through its physical segment (MTU 1500, ttl 64)', async () => {
    assert.equal(nics.get('flat1')?.mtu, 1500);
    const r = await ping(nics.get('flat1')?.ns as string, '10.90.0.11');
    assert.equal(r.received, 3, r.output);
    assert.equal(r.ttl, 64);
  });

  it('carries VLAN 100 between hosts', async () => {
    const r = await ping(nics.get('v100a')?.ns as string, '10.90.0.21');
    assert.equal(r.received, 3, r.output);
  });

  it('keeps VLAN 101 apart from VLAN 100 and from the flat segment, though the addresses overlap', async () => {
    // v101b has the same address as v100a; only its own segment may reach it.
    const fromVlan100 = await ping(nics.get('v100b')?.ns as string, '10.90.0.20', 2);
    assert.equal(fromVlan100.received, 2, 'VLAN 100 reaches its own 10.90.0.20 (v100a), on host 1');
    const fromVlan101 = await ping(nics.get('v101b')?.ns as string, '10.90.0.21', 2);
    assert.equal(fromVlan101.received, 0, 'VLAN 101 cannot reach VLAN 100');
    const fromFlat = await ping(nics.get('flat2')?.ns as string, '10.90.0.21', 2);
    assert.equal(fromFlat.received, 0, 'the flat segment cannot reach VLAN 100');
  });
});
