/**
 * A security-group rule naming an address group, with real packets (root only; skipped visibly
 * without). Everything Neutron-side goes through the API of an in-process cloud (network, the
 * group and its rule, the address group, ports bound to a host); the agent's own load → compile
 * → diff → apply puts it in the kernel. A sender whose address is in the group gets through and
 * one outside it does not; add_addresses lets the second in and remove_addresses shuts it out
 * again, each a replacement of the one inet table (set and rules in one nft transaction).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { compile, type CompileContext } from '../src/agent/compile.js';
import { loadModel } from '../src/agent/model.js';
import { scopeOf } from '../src/agent/agent.js';
import { diff } from '../src/dataplane/diff.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { run } from '../src/dataplane/linux/exec.js';
import { homeHash } from '../src/dataplane/names.js';
import type { HostPlan } from '../src/dataplane/plan.js';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { converge, leftoverNamespaces, ping, plugTestNic, rootSkip, type TestNic } from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const HOST = 'h1';

interface Vm {
  readonly name: string;
  readonly ip: string;
  /** null: no port security (a plain sender). */
  readonly group: 'target' | null;
}

const VMS: readonly Vm[] = [
  { name: 'dst', ip: '10.61.0.10', group: 'target' },
  { name: 'inside', ip: '10.61.0.20', group: null },
  { name: 'outside', ip: '10.61.0.30', group: null },
];

describe('firewall: a rule naming an address group, with real packets', { skip: rootSkip() }, () => {
  let cloud: TestCloud;
  let admin: string;
  let home: string;
  let driver: LinuxDataplane;
  let ctx: CompileContext;
  let rootBefore: RootSnapshot;
  let addressGroup: string;
  const ports = new Map<string, { id: string; mac: string }>();
  const nics = new Map<string, TestNic>();

  const api = async (method: string, path: string, body?: unknown, status = 200) => {
    const res = await cloud.request(method, `/network/v2.0/${path}`, { token: admin, body });
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    return res.body;
  };
  /** The agent's view of the store, on a one-host underlay (the test cloud registers no data-plane host). */
  const plan = async (): Promise<HostPlan> => compile({ ...(await loadModel(cloud.store.db)), hosts: [{ name: HOST, underlayIp: '100.64.0.1' }] }, ctx);
  const pings = async (from: string) => (await ping(nics.get(from)?.ns as string, (VMS[0] as Vm).ip, 1)).received === 1;

  before(async () => {
    rootBefore = await snapshotRootNetns();
    cloud = await startTestCloud();
    admin = await cloud.token('admin');
    home = mkdtempSync('/tmp/ag-firewall-');
    driver = new LinuxDataplane(home);
    ctx = { host: HOST, home, homeHash: homeHash(home), underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 } };

    const net = (await api('POST', 'networks', { network: { name: 'ag-net' } }, 201)).network;
    const sub = (await api('POST', 'subnets', { subnet: { network_id: net.id, cidr: '10.61.0.0/24', ip_version: 4, enable_dhcp: false } }, 201)).subnet;
    const sg = (await api('POST', 'security-groups', { security_group: { name: 'target' } }, 201)).security_group;
    addressGroup = (await api('POST', 'address-groups', { address_group: { name: 'pingers', addresses: [`${(VMS[1] as Vm).ip}/32`] } }, 201)).address_group.id;
    await api('POST', 'security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'icmp', remote_address_group_id: addressGroup } }, 201);
    for (const v of VMS) {
      const port = (await api('POST', 'ports', { port: {
        network_id: net.id, name: v.name, device_owner: 'compute:nova', device_id: v.name, 'binding:host_id': HOST,
        fixed_ips: [{ subnet_id: sub.id, ip_address: v.ip }],
        ...(v.group ? { security_groups: [sg.id] } : { security_groups: [], port_security_enabled: false }),
      } }, 201)).port;
      ports.set(v.name, { id: port.id, mac: port.mac_address });
    }
    const first = await plan();
    await converge(driver, first);
    for (const v of VMS) {
      const nic = await plugTestNic(home, HOST, first.hostNs, v.name, ports.get(v.name) as { id: string; mac: string }, 1450);
      await run(['ip', '-n', nic.ns, 'addr', 'add', `${v.ip}/24`, 'dev', nic.dev]);
      nics.set(v.name, nic);
    }
    await converge(driver, await plan());
  });

  after(async () => {
    await driver?.teardown();
    if (home) {
      const left = await leftoverNamespaces(home);
      rmSync(home, { recursive: true, force: true });
      assert.deepEqual(left, []);
    }
    await cloud?.destroy();
    if (rootBefore) await assertRootNetnsUnchanged(rootBefore);
  });

  /**
   * The actions a change of the store calls for, then applied: one atomic replacement of the
   * inet table (set and rules together), then the conntrack pass that ends what it no longer admits.
   */
  async function applyChange(): Promise<void> {
    const next = await plan();
    const actions = diff(next, await driver.observe(scopeOf(next)));
    assert.deepEqual(actions.map((a) => (a.op === 'nft.table' ? `${a.op} ${a.family} ${a.name}` : a.op)), ['nft.table inet kumo-sg', 'firewall.conntrack']);
    await converge(driver, next);
  }
  /** Tracked ICMP flows from an address in the host namespace (conntrack-tools). */
  const trackedFrom = async (ip: string) => {
    const out = (await run(['ip', 'netns', 'exec', (await plan()).hostNs, 'conntrack', '-L', '-f', 'ipv4', '-p', 'icmp', '-s', ip], { okCodes: [1] })).stdout;
    return out.split('\n').filter((l) => l.includes(`src=${ip} `)).length;
  };

  it('admits a sender whose address is in the group and drops one that is not', async () => {
    assert.equal(await pings('inside'), true, 'inside (10.61.0.20/32 is in the group) → dst');
    assert.equal(await pings('outside'), false, 'outside (10.61.0.30) → dst');
    const listing = (await run(['ip', 'netns', 'exec', (await plan()).hostNs, 'nft', 'list', 'set', 'inet', 'kumo-sg', `ag4-${addressGroup}`])).stdout;
    assert.match(listing, /elements = \{ 10\.61\.0\.20 \}/);
  });

  it('lets the second sender in after add_addresses', async () => {
    await api('PUT', `address-groups/${addressGroup}/add_addresses`, { addresses: ['10.61.0.30'] });
    await applyChange();
    assert.equal(await pings('outside'), true, 'outside is in the group now');
    assert.equal(await pings('inside'), true);
  });

  it('shuts it out again after remove_addresses, ending the flow it had', async () => {
    assert.equal(await pings('outside'), true);
    const conntrack = await run(['conntrack', '--version'], { okCodes: [1, 127] }).then((r) => r.code === 0, () => false);
    if (conntrack) assert.ok(await trackedFrom('10.61.0.30') > 0, 'the ping left a tracked flow');
    await api('PUT', `address-groups/${addressGroup}/remove_addresses`, { addresses: ['10.61.0.30/32'] });
    await applyChange();
    if (conntrack) assert.equal(await trackedFrom('10.61.0.30'), 0, 'its tracked flow is gone with its address');
    assert.equal(await pings('outside'), false, 'outside is out of the group again');
    assert.equal(await pings('inside'), true);
  });
});
