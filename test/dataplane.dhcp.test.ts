/**
 * Real packets through the whole cloud (root only; skipped with the reason otherwise): an
 * in-process Kumo with the Linux data plane, a VXLAN tenant network, two ports bound to the
 * local host and plugged the way instance NICs will be; busybox udhcpc gets their addresses
 * from Kumo's dnsmasq and they ping each other. Then: seed 003's file formats, a deleted port's
 * host entry and lease gone, a veth deleted by hand put back, dnsmasq kept across a restart,
 * and `kumo down` leaving nothing, with the root namespace exactly as before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, runJson } from '../src/dataplane/linux/exec.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { homeHash, hostNamespace, tapName } from '../src/dataplane/names.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import {
  dhcpClient, leftoverNamespaces, ping, plugTestNic, processesMentioning, rootSkip, waitFor, type TestNic,
} from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const V2 = '/network/v2.0';
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('dataplane: DHCP and L2 with real packets', { skip: rootSkip() }, () => {
  let home: string;
  let cloud: TestCloud | null = null;
  let admin: string;
  let rootBefore: RootSnapshot;
  let net: Json;
  let dhcpPort: Json;
  let hostNs: string;
  const ports: Json[] = [];
  const nics: TestNic[] = [];

  const start = async () => {
    cloud = await startTestCloud({ home, config: { dataplane: 'linux' } });
    admin = await cloud.token('admin');
    return cloud;
  };
  const api = () => cloud as TestCloud;
  const dhcpDir = () => join(home, 'dhcp', net.id);
  const file = (name: string) => readFileSync(join(dhcpDir(), name), 'utf8');

  before(async () => {
    rootBefore = await snapshotRootNetns();
    home = mkdtempSync('/tmp/kumo-dp-dhcp-');
    await start();
    net = (await api().request('POST', `${V2}/networks`, { token: admin, body: { network: { name: 'dp-net' } } })).body.network;
    assert.equal(net['provider:network_type'], 'vxlan');
    const subnet = await api().request('POST', `${V2}/subnets`, {
      token: admin,
      body: { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4, host_routes: [{ destination: '10.78.0.0/24', nexthop: '10.77.0.254' }] } },
    });
    assert.equal(subnet.status, 201, subnet.text);
    hostNs = hostNamespace(homeHash(home), api().localHost.name);
    for (const name of ['vm1', 'vm2']) {
      const r = await api().request('POST', `${V2}/ports`, {
        token: admin,
        body: { port: { network_id: net.id, name, device_owner: 'compute:nova', device_id: randomUUID(), 'binding:host_id': api().localHost.name } },
      });
      assert.equal(r.status, 201, r.text);
      ports.push(r.body.port);
    }
    dhcpPort = await waitFor('the DHCP port to go ACTIVE', async () => {
      const list = (await api().request('GET', `${V2}/ports?network_id=${net.id}&device_owner=network:dhcp`, { token: admin })).body.ports as Json[];
      return list.find((p) => p.status === 'ACTIVE');
    });
    for (const [i, p] of ports.entries()) nics.push(await plugTestNic(home, api().localHost.name, hostNs, `vm${i + 1}`, { id: p.id, mac: p.mac_address }, net.mtu));
    api().agent?.kick();
    for (const p of ports) {
      await waitFor(`${tapName(p.id)} in the network's bridge`, async () => {
        const [link] = await runJson<{ master?: string }[]>(['ip', '-n', hostNs, '-j', 'link', 'show', tapName(p.id)]);
        return link?.master?.startsWith('brq');
      });
    }
  });

  after(async () => {
    await cloud?.stop();
    // Whatever a failed test left: the recorded objects go, by the same code as kumo down.
    await new LinuxDataplane(home).teardown();
    rmSync(home, { recursive: true, force: true });
  });

  it('wires the DHCP port: ACTIVE, bound to this host, VIF type bridge, qdhcp-<network> in ip netns', async () => {
    assert.equal(dhcpPort['binding:host_id'], api().localHost.name);
    assert.equal(dhcpPort['binding:vif_type'], 'bridge');
    const { stdout } = await run(['ip', 'netns', 'list']);
    assert.match(stdout, new RegExp(`^qdhcp-${net.id}`, 'm'));
  });

  it('gives both ports their addresses by DHCP (router, MTU 1450, DNS, host routes) and they ping each other', async () => {
    const answers = [];
    for (const [i, nic] of nics.entries()) answers.push(await dhcpClient(nic, home, `vm${i + 1}`));
    for (const [i, a] of answers.entries()) {
      const ip = ports[i]?.fixed_ips[0].ip_address as string;
      assert.equal(a.ip, ip);
      assert.equal(a.mask, '24');
      assert.equal(a.router, '10.77.0.1');
      assert.equal(a.mtu, '1450');
      assert.equal(a.dns, dhcpPort.fixed_ips[0].ip_address, 'no DNS servers on the subnet: the DHCP port answers DNS');
      assert.equal(a.hostname, `host-${ip.replaceAll('.', '-')}`);
      assert.equal(a.domain, 'openstacklocal');
      // The subnet's host route, the metadata service through the DHCP port, and the default route.
      assert.equal(a.staticroutes, `10.78.0.0/24 10.77.0.254 169.254.169.254/32 ${dhcpPort.fixed_ips[0].ip_address} 0.0.0.0/0 10.77.0.1`);
    }
    const r = await ping(nics[0]?.ns as string, ports[1]?.fixed_ips[0].ip_address, 3);
    assert.equal(r.received, 3, r.output);
    assert.equal(r.ttl, 64, 'same L2 segment');
  });

  it('keeps the dnsmasq files in the formats of seed 003', async () => {
    // Read whole (dnsmasq rewrites the lease file in place): both leases in one read.
    const leases = await waitFor('both leases in one read of the lease file', async () => {
      const text = file('leases');
      return ports.every((p) => text.includes(p.mac_address)) && text;
    });
    for (const p of ports) {
      const ip = p.fixed_ips[0].ip_address as string;
      const name = `host-${ip.replaceAll('.', '-')}`;
      assert.match(file('host'), new RegExp(`^${p.mac_address},${name}\\.openstacklocal,${ip.replaceAll('.', '\\.')}$`, 'm'));
      assert.match(file('addn_hosts'), new RegExp(`^${ip.replaceAll('.', '\\.')}\\t${name}\\.openstacklocal ${name}$`, 'm'));
      assert.match(leases, new RegExp(`^\\d+ ${p.mac_address} ${ip.replaceAll('.', '\\.')} ${name} 01:${p.mac_address}$`, 'm'));
    }
  });

  it('removes a deleted port\'s host entry and releases its lease', async () => {
    const gone = ports[1] as Json;
    const r = await api().request('DELETE', `${V2}/ports/${gone.id}`, { token: admin });
    assert.equal(r.status, 204);
    // dnsmasq rewrites its lease file in place (truncate, then write): a read can catch it empty,
    // so one read must show the deleted port gone and the other port still there.
    const kept = ports[0]?.mac_address as string;
    await waitFor('the host entry and the lease to go, the other port\'s to stay', async () => {
      const host = file('host');
      const leases = file('leases');
      return !host.includes(gone.mac_address) && !leases.includes(gone.mac_address) && host.includes(kept) && leases.includes(kept);
    });
  });

  it('puts back the DHCP veth deleted by hand within seconds, and DHCP answers again', async () => {
    const tap = tapName(dhcpPort.id);
    await run(['ip', '-n', hostNs, 'link', 'delete', tap]);
    await waitFor('the DHCP tap to come back', async () => {
      const links = await runJson<{ ifname: string; master?: string }[]>(['ip', '-n', hostNs, '-j', 'link', 'show']);
      return links.some((l) => l.ifname === tap && l.master?.startsWith('brq'));
    }, 15_000);
    const again = await dhcpClient(nics[0] as TestNic, home, 'vm1-again');
    assert.equal(again.ip, ports[0]?.fixed_ips[0].ip_address);
  });

  it('keeps dnsmasq running across a restart of the cloud: adopted, not recreated', async () => {
    const pid = readFileSync(join(dhcpDir(), 'pid'), 'utf8').trim();
    await api().stop();
    cloud = null;
    await start();
    assert.equal(readFileSync(join(dhcpDir(), 'pid'), 'utf8').trim(), pid);
    const pass = await api().agent?.pass();
    assert.deepEqual(pass?.actions, [], 'a second pass changes nothing');
  });

  it('kumo down removes every recorded object and process, and the root namespace is as before', async () => {
    await api().stop();
    cloud = null;
    const { stdout } = await run([process.execPath, MAIN, 'down'], { timeoutMs: 60_000, env: { KUMO_HOME: home } });
    assert.match(stdout, /removed \d+ namespaces/);
    assert.deepEqual(await leftoverNamespaces(home, [`qdhcp-${net.id}`]), []);
    assert.deepEqual(processesMentioning(home), []);
    await assertRootNetnsUnchanged(rootBefore);
  });
});
