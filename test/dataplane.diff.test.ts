/** diff(plan, observed): the actions and their order, from hand-made observations (no root, no driver). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../src/agent/compile.js';
import type { Model } from '../src/agent/model.js';
import { diff } from '../src/dataplane/diff.js';
import type { ObservedDhcp, ObservedHost, ObservedLink } from '../src/dataplane/observed.js';

const NET = '11111111-2222-4333-8444-555555555555';
const SUB = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const DHCP = 'dddddddd-0000-4000-8000-000000000002';
const VM = 'cccccccc-0000-4000-8000-000000000010';

const model: Model = {
  hosts: [{ name: 'h1', underlayIp: '100.64.0.1' }],
  networks: [{ id: NET, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: 7 }] }],
  subnets: [{ id: SUB, networkId: NET, ipVersion: 4, cidr: '10.1.0.0/24', gatewayIp: '10.1.0.1', enableDhcp: true, dnsNameservers: [], hostRoutes: [] }],
  ports: [
    { id: DHCP, networkId: NET, mac: 'fa:16:3e:00:00:02', deviceOwner: 'network:dhcp', deviceId: 'd', hostId: '', adminStateUp: true, status: 'DOWN', vifType: 'unbound', dnsName: '', fixedIps: [{ subnetId: SUB, ip: '10.1.0.2' }], extraDhcpOpts: [] },
    { id: VM, networkId: NET, mac: 'fa:16:3e:00:00:10', deviceOwner: 'compute:nova', deviceId: 's', hostId: 'h1', adminStateUp: true, status: 'DOWN', vifType: 'unbound', dnsName: '', fixedIps: [{ subnetId: SUB, ip: '10.1.0.10' }], extraDhcpOpts: [] },
  ],
  dhcpHosts: new Map([[NET, ['h1']]]),
};
const plan = compile(model, { host: 'h1', home: '/k', homeHash: 'feedbeef', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 } });
const dhcp = plan.dhcp[0] as NonNullable<(typeof plan.dhcp)[0]>;

const empty: ObservedHost = { namespaces: new Set(), recorded: new Set(), links: new Map(), fdb: new Map(), neighbours: new Map(), dhcp: new Map(), nft: new Map() };
const link = (name: string, over: Partial<ObservedLink> = {}): ObservedLink => ({ name, kind: 'veth', master: null, mtu: 1500, mac: null, up: true, addresses: [], ...over });

/** What a converged host looks like to the driver. */
function converged(): { obs: ObservedHost; links: Map<string, Map<string, ObservedLink>>; dhcpState: Map<string, ObservedDhcp> } {
  const u = plan.underlay as NonNullable<typeof plan.underlay>;
  const b = plan.bridges[0] as NonNullable<(typeof plan.bridges)[0]>;
  const host = new Map([
    ['underlay0', link('underlay0', { addresses: [u.cidr] })],
    [b.name, link(b.name, { kind: 'bridge', mtu: 1450 })],
    ['vxlan-7', link('vxlan-7', { kind: 'vxlan', master: b.name, mtu: 1450, vxlan: { id: 7, local: '100.64.0.1', dev: 'underlay0', port: 4789, learning: false, proxy: true } })],
    [dhcp.tap, link(dhcp.tap, { master: b.name, mtu: 1450, mac: dhcp.tapMac })],
  ]);
  const fabric = new Map([['br-underlay', link('br-underlay', { kind: 'bridge' })], [u.fabricDev, link(u.fabricDev, { master: 'br-underlay' })]]);
  const qdhcp = new Map([['lo', link('lo', { kind: null })], [dhcp.device, link(dhcp.device, { mtu: 1450, mac: dhcp.mac, addresses: ['10.1.0.2/24'] })]]);
  const links = new Map([[plan.hostNs, host], [plan.fabric.ns, fabric], [dhcp.ns, qdhcp]]);
  const dhcpState = new Map([[NET, { networkId: NET, dir: dhcp.dir, pid: 42, argv: dhcp.argv, files: { ...dhcp.files }, leases: [] } satisfies ObservedDhcp]]);
  return {
    obs: { namespaces: new Set([plan.hostNs, plan.fabric.ns, dhcp.ns]), recorded: new Set([plan.hostNs, dhcp.ns]), links, fdb: new Map([['vxlan-7', []]]), neighbours: new Map(), dhcp: dhcpState, nft: new Map() },
    links, dhcpState,
  };
}

describe('dataplane: diff', () => {
  it('builds a host from nothing in a safe order: namespaces, fabric, underlay, bridge, uplink, DHCP port, files, dnsmasq', () => {
    assert.deepEqual(diff(plan, empty).map((a) => a.op), [
      'netns.add', 'netns.add', 'netns.add',
      'link.add.bridge',
      'link.add.veth', 'addr.add',
      'link.add.bridge', 'link.add.vxlan',
      'link.add.veth', 'addr.add',
      'dhcp.files', 'dhcp.start',
    ]);
  });

  it('has nothing to do when the host matches the plan', () => {
    assert.deepEqual(diff(plan, converged().obs), []);
  });

  it('plugs an instance tap that appeared, and leaves a missing one alone', () => {
    const c = converged();
    c.links.get(plan.hostNs)?.set('tapcccccccc-00', link('tapcccccccc-00'));
    assert.deepEqual(diff(plan, c.obs), [{ op: 'link.set', ns: plan.hostNs, name: 'tapcccccccc-00', master: plan.bridges[0]?.name, mtu: 1450 }]);
  });

  it('re-creates a DHCP veth whose host end is gone (removing the stale inner end first)', () => {
    const c = converged();
    c.links.get(plan.hostNs)?.delete(dhcp.tap);
    assert.deepEqual(diff(plan, c.obs).map((a) => a.op), ['link.delete', 'link.add.veth', 'addr.add']);
  });

  it('fixes drift in place: a bridge set down, a wrong MTU, a foreign address', () => {
    const c = converged();
    const host = c.links.get(plan.hostNs) as Map<string, ObservedLink>;
    host.set(plan.bridges[0]?.name as string, link(plan.bridges[0]?.name as string, { kind: 'bridge', mtu: 1450, up: false }));
    c.links.get(dhcp.ns)?.set(dhcp.device, link(dhcp.device, { mtu: 1500, mac: dhcp.mac, addresses: ['10.1.0.2/24', '10.9.9.9/24'] }));
    assert.deepEqual(diff(plan, c.obs), [
      { op: 'link.set', ns: plan.hostNs, name: plan.bridges[0]?.name, up: true },
      { op: 'link.set', ns: dhcp.ns, name: dhcp.device, mtu: 1450 },
      { op: 'addr.delete', ns: dhcp.ns, dev: dhcp.device, cidr: '10.9.9.9/24' },
    ]);
  });

  it('removes what the plan no longer has: a recorded qdhcp- (dnsmasq first), a stale bridge; unknown taps stay', () => {
    const c = converged();
    const stale = 'qdhcp-99999999-0000-4000-8000-000000000000';
    (c.obs.namespaces as Set<string>).add(stale);
    (c.obs.recorded as Set<string>).add(stale);
    c.dhcpState.set('99999999-0000-4000-8000-000000000000', { networkId: '99999999-0000-4000-8000-000000000000', dir: '/k/dhcp/x', pid: 77, argv: [], files: { host: '', opts: '', addn_hosts: '' }, leases: [] });
    c.links.get(plan.hostNs)?.set('brq99999999-00', link('brq99999999-00', { kind: 'bridge' }));
    c.links.get(plan.hostNs)?.set('tap99999999-00', link('tap99999999-00'));
    assert.deepEqual(diff(plan, c.obs), [
      { op: 'dhcp.stop', networkId: '99999999-0000-4000-8000-000000000000', dir: '/k/dhcp/x', pid: 77 },
      { op: 'netns.delete', ns: stale },
      { op: 'link.delete', ns: plan.hostNs, name: 'brq99999999-00' },
    ]);
  });

  it('releases a lease the host file no longer allows, and reloads dnsmasq after a file change', () => {
    const c = converged();
    c.dhcpState.set(NET, {
      ...(c.dhcpState.get(NET) as ObservedDhcp),
      files: { ...dhcp.files, host: '' },
      leases: [{ expiry: 1, mac: 'fa:16:3e:00:00:99', ip: '10.1.0.99', hostname: 'host-10-1-0-99', clientId: '01:fa:16:3e:00:00:99' }],
    });
    assert.deepEqual(diff(plan, c.obs).map((a) => a.op), ['dhcp.files', 'dhcp.release', 'dhcp.reload']);
  });

  it('restarts dnsmasq whose command line differs from the plan', () => {
    const c = converged();
    c.dhcpState.set(NET, { ...(c.dhcpState.get(NET) as ObservedDhcp), argv: [...dhcp.argv.slice(0, -1)] });
    assert.deepEqual(diff(plan, c.obs).map((a) => a.op), ['dhcp.stop', 'dhcp.start']);
  });
});
