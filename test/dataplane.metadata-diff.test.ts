/** diff() for metadata proxies: started after dnsmasq, restarted on a config change, stopped with their network (no root). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../src/agent/compile.js';
import type { Model } from '../src/agent/model.js';
import { diff } from '../src/dataplane/diff.js';
import type { ObservedHost, ObservedLink, ObservedMetadataProxy } from '../src/dataplane/observed.js';

const NET = '11111111-2222-4333-8444-555555555555';
const SUB = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const GONE = '99999999-0000-4000-8000-000000000000';

const model: Model = {
  hosts: [{ name: 'h1', underlayIp: '100.64.0.1' }],
  networks: [{ id: NET, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: 7 }] }],
  subnets: [{ id: SUB, networkId: NET, ipVersion: 4, cidr: '10.1.0.0/24', gatewayIp: '10.1.0.1', enableDhcp: true, dnsNameservers: [], hostRoutes: [] }],
  ports: [{ id: 'dddddddd-0000-4000-8000-000000000002', networkId: NET, mac: 'fa:16:3e:00:00:02', deviceOwner: 'network:dhcp', deviceId: 'd', hostId: '', adminStateUp: true, status: 'DOWN', vifType: 'unbound', dnsName: '', fixedIps: [{ subnetId: SUB, ip: '10.1.0.2' }], extraDhcpOpts: [] }],
  dhcpHosts: new Map([[NET, ['h1']]]),
};
const ctx = { host: 'h1', home: '/k', homeHash: 'feedbeef', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 }, metadata: { socket: '/k/metadata.sock' } };
const plan = compile(model, ctx);
const proxy = plan.metadata?.[0] as NonNullable<NonNullable<typeof plan.metadata>[0]>;
const dhcp = plan.dhcp[0] as NonNullable<(typeof plan.dhcp)[0]>;

const link = (name: string, over: Partial<ObservedLink> = {}): ObservedLink => ({ name, kind: 'veth', master: null, mtu: 1500, mac: null, up: true, addresses: [], ...over });

/** A converged host, as the driver would see it, with the proxy in the given state. */
function host(metadata: Map<string, ObservedMetadataProxy>): ObservedHost {
  const u = plan.underlay as NonNullable<typeof plan.underlay>;
  const b = plan.bridges[0] as NonNullable<(typeof plan.bridges)[0]>;
  const links = new Map([
    [plan.hostNs, new Map([
      ['underlay0', link('underlay0', { addresses: [u.cidr] })],
      [b.name, link(b.name, { kind: 'bridge', mtu: 1450 })],
      ['vxlan-7', link('vxlan-7', { kind: 'vxlan', master: b.name, mtu: 1450, vxlan: { id: 7, local: '100.64.0.1', dev: 'underlay0', port: 4789, learning: false, proxy: true } })],
      [dhcp.tap, link(dhcp.tap, { master: b.name, mtu: 1450, mac: dhcp.tapMac })],
    ])],
    [plan.fabric.ns, new Map([['br-underlay', link('br-underlay', { kind: 'bridge' })], [u.fabricDev, link(u.fabricDev, { master: 'br-underlay' })]])],
    [dhcp.ns, new Map([['lo', link('lo', { kind: null })], [dhcp.device, link(dhcp.device, { mtu: 1450, mac: dhcp.mac, addresses: [...dhcp.addresses] })]])],
  ]);
  return {
    namespaces: new Set([plan.hostNs, plan.fabric.ns, dhcp.ns]), recorded: new Set([plan.hostNs, dhcp.ns]), links, fdb: new Map([['vxlan-7', []]]),
    neighbours: new Map(), dhcp: new Map([[NET, { networkId: NET, dir: dhcp.dir, pid: 42, argv: dhcp.argv, files: { ...dhcp.files }, leases: [] }]]), metadata,
  };
}

const running = (over: Partial<ObservedMetadataProxy> = {}) => new Map([[NET, { id: NET, dir: proxy.dir, pid: 43, config: proxy.config, ...over }]]);

describe('dataplane: diff of metadata proxies', () => {
  it('builds a host from nothing with the proxy last, once its address is on the DHCP device', () => {
    const empty: ObservedHost = { namespaces: new Set(), recorded: new Set(), links: new Map(), fdb: new Map(), neighbours: new Map(), dhcp: new Map(), metadata: new Map() };
    const ops = diff(plan, empty);
    const addr = ops.findIndex((a) => a.op === 'addr.add' && a.cidr === '169.254.169.254/32');
    assert.ok(addr >= 0);
    assert.deepEqual(ops.slice(-3).map((a) => a.op), ['dhcp.start', 'metadata.config', 'metadata.start']);
    assert.ok(addr < ops.length - 2);
  });

  it('has nothing to do while the proxy runs with the planned config', () => {
    assert.deepEqual(diff(plan, host(running())), []);
  });

  it('starts a proxy that died, keeping its config', () => {
    assert.deepEqual(diff(plan, host(running({ pid: null }))), [{ op: 'metadata.start', id: NET, ns: proxy.ns, dir: proxy.dir, argv: proxy.argv }]);
  });

  it('rewrites a changed config and restarts the proxy (haproxy reads it once)', () => {
    assert.deepEqual(diff(plan, host(running({ config: 'old' }))).map((a) => a.op), ['metadata.config', 'metadata.stop', 'metadata.start']);
  });

  it('stops the proxy of a network no longer served here, before its namespace goes', () => {
    const obs = host(new Map([...running(), [GONE, { id: GONE, dir: '/k/metadata-proxy/x', pid: 77, config: 'x' }]]));
    (obs.namespaces as Set<string>).add(`qdhcp-${GONE}`);
    (obs.recorded as Set<string>).add(`qdhcp-${GONE}`);
    assert.deepEqual(diff(plan, obs).slice(0, 2), [
      { op: 'metadata.stop', id: GONE, dir: '/k/metadata-proxy/x', pid: 77 },
      { op: 'netns.delete', ns: `qdhcp-${GONE}` },
    ]);
  });

  it('stops every proxy when the metadata service goes away, and takes its address off', () => {
    const without = compile(model, { ...ctx, metadata: undefined });
    const ops = diff(without, host(running()));
    assert.deepEqual(ops, [
      { op: 'metadata.stop', id: NET, dir: proxy.dir, pid: 43 },
      { op: 'addr.delete', ns: dhcp.ns, dev: dhcp.device, cidr: '169.254.169.254/32' },
      { op: 'dhcp.files', networkId: NET, dir: dhcp.dir, files: without.dhcp[0]?.files },
      { op: 'dhcp.reload', networkId: NET, dir: dhcp.dir, pid: 42 },
    ]);
  });
});
