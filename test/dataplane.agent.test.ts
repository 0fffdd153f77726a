/**
 * The agent's reconcile loop through the API with the fake driver (no root needed): a full
 * pass at start, a store change wakes it, status goes back to the port, a second pass does
 * nothing, leases of deleted ports are released, a network leaving the host is removed, and a
 * restarted agent adopts what the previous one made instead of recreating it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../src/agent/agent.js';
import { FakeDataplane } from '../src/dataplane/drivers/fake/driver.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { waitFor } from './helpers/dataplane.js';

const V2 = '/network/v2.0';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('dataplane: agent with the fake driver', () => {
  let cloud: TestCloud;
  let admin: string;
  let driver: FakeDataplane;
  let net: Json;

  const dhcpPort = async (): Promise<Json | undefined> =>
    ((await cloud.request('GET', `${V2}/ports?network_id=${net.id}&device_owner=network:dhcp`, { token: admin })).body.ports as Json[])[0];

  before(async () => {
    cloud = await startTestCloud({ config: { dataplane: 'fake' } });
    admin = await cloud.token('admin');
    driver = cloud.agent?.driver as FakeDataplane;
    assert.equal(driver.kind, 'fake');
    assert.match(cloud.dataplane, /^fake/);
  });
  after(async () => {
    await cloud.destroy();
  });

  it('starts with a full pass that makes the host and fabric namespaces', () => {
    assert.ok(driver.actions.some((a) => a.op === 'netns.add' && a.kind === 'host'));
    assert.ok(driver.actions.some((a) => a.op === 'netns.add' && a.kind === 'fabric'));
  });

  it('wakes on a store change: a new DHCP subnet gets dnsmasq and its port goes ACTIVE, bound here', async () => {
    net = (await cloud.request('POST', `${V2}/networks`, { token: admin, body: { network: { name: 'a' } } })).body.network;
    await cloud.request('POST', `${V2}/subnets`, { token: admin, body: { subnet: { network_id: net.id, cidr: '10.5.0.0/24', ip_version: 4 } } });
    const port = await waitFor('the DHCP port to go ACTIVE', async () => {
      const p = await dhcpPort();
      return p?.status === 'ACTIVE' ? p : undefined;
    }, 5_000);
    assert.equal(port['binding:host_id'], cloud.localHost.name);
    assert.equal(port['binding:vif_type'], 'bridge');
    assert.ok(driver.kernel.dnsmasq.has(net.id));
  });

  it('changes nothing on a second pass', async () => {
    await cloud.agent?.idle();
    const pass = await cloud.agent?.pass();
    assert.deepEqual(pass?.actions, []);
    assert.equal(pass?.reported, 0);
  });

  it('rewrites the host file, reloads dnsmasq and releases the lease when a port goes', async () => {
    const port = (await cloud.request('POST', `${V2}/ports`, { token: admin, body: { port: { network_id: net.id } } })).body.port;
    await waitFor('the port in the host file', async () => driver.kernel.files.get(net.id)?.host.includes(port.mac_address));
    driver.kernel.grantLease(net.id, port.mac_address, port.fixed_ips[0].ip_address);
    const reloads = driver.kernel.dnsmasq.get(net.id)?.reloads ?? 0;
    await cloud.request('DELETE', `${V2}/ports/${port.id}`, { token: admin });
    await waitFor('the lease to be released', async () => driver.kernel.released.some((r) => r.mac === port.mac_address));
    assert.ok(!driver.kernel.files.get(net.id)?.host.includes(port.mac_address));
    assert.ok((driver.kernel.dnsmasq.get(net.id)?.reloads ?? 0) > reloads, 'dnsmasq was sent SIGHUP');
  });

  it('adopts what a previous agent made: a new agent on the same kernel has nothing to do', async () => {
    await cloud.agent?.idle();
    const socket = cloud.agent?.context.metadata?.socket;
    assert.ok(socket, 'the cloud runs a metadata service and its agent plans proxies to it');
    const second = new Agent({ store: cloud.store, driver: new FakeDataplane(cloud.config.home, driver.kernel), host: cloud.localHost.name, metadataSocket: socket });
    const pass = await second.pass();
    assert.deepEqual(pass.actions, []);
  });

  it('removes dnsmasq and the qdhcp namespace when the network is deleted', async () => {
    await cloud.request('DELETE', `${V2}/networks/${net.id}`, { token: admin });
    await waitFor('qdhcp- to go', async () => !driver.kernel.namespaces.has(`qdhcp-${net.id}`));
    assert.ok(!driver.kernel.dnsmasq.has(net.id));
  });
});
