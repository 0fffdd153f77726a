/**
 * A router's metadata proxy, compiled and diffed (no root): haproxy in qrouter- on port 9697
 * naming the router, and the router's `ip kumo-metadata` table that redirects 169.254.169.254:80
 * from qr- interfaces to it and admits 9697 only for those redirected connections; none for a
 * router with no internal interface, on another host, or without a metadata service; the
 * network's qdhcp- proxy unchanged beside it; stopped before its namespace goes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type CompileContext } from '../src/agent/compile.js';
import { metadataTableBody } from '../src/agent/compile-metadata.js';
import type { Model } from '../src/agent/model.js';
import { diff } from '../src/dataplane/diff.js';
import type { ObservedHost } from '../src/dataplane/observed.js';
import { GW_PORT, IF_PORT, l3Model, PRIVATE, PRIVATE_SUBNET, ROUTER } from './helpers/l3-model.js';

const SOCKET = '/var/lib/kumo/metadata.sock';
const ctx = (host = 'network1', socket: string | null = SOCKET): CompileContext => ({
  host, home: '/var/lib/kumo', homeHash: 'abcd1234', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
  ...(socket === null ? {} : { metadata: { socket } }),
});
const QROUTER = `qrouter-${ROUTER}`;
const tablesIn = (model: Model, c = ctx()) => (compile(model, c).nftTables ?? []).filter((t) => t.ns === QROUTER).map((t) => `${t.family} ${t.name}`).sort();

describe('dataplane: compile a router\'s metadata proxy', () => {
  it('runs haproxy in qrouter- on port 9697, naming the router and the client in headers it sets itself', () => {
    const plan = compile(l3Model(), ctx());
    assert.equal(plan.metadata?.length, 1);
    const proxy = plan.metadata?.[0];
    assert.equal(proxy?.id, ROUTER);
    assert.equal(proxy?.ns, QROUTER);
    assert.equal(proxy?.dir, `/var/lib/kumo/metadata-proxy/${ROUTER}`);
    assert.deepEqual(proxy?.argv, ['haproxy', '-f', `/var/lib/kumo/metadata-proxy/${ROUTER}/haproxy.cfg`, '-p', `/var/lib/kumo/metadata-proxy/${ROUTER}/pid`, '-D', '-q']);
    const config = proxy?.config ?? '';
    assert.match(config, /^ {4}bind 0\.0\.0\.0:9697$/m);
    assert.match(config, new RegExp(`^ {4}http-request set-header X-Neutron-Router-ID ${ROUTER}$`, 'm'));
    assert.doesNotMatch(config, /set-header X-Neutron-Network-ID/);
    assert.match(config, /^ {4}server metadata unix@\/var\/lib\/kumo\/metadata\.sock$/m);
    // Whatever the guest sent is dropped before the proxy's own headers are set.
    for (const h of ['X-Forwarded-For', 'X-Neutron-Router-ID']) assert.ok(config.indexOf(`del-header ${h}`) < config.indexOf(`set-header ${h}`), h);
    assert.match(config, /del-header X-Neutron-Network-ID/);
  });

  it('adds the kumo-metadata table beside the NAT table: redirect from qr- only, 9697 only for redirected connections', () => {
    const plan = compile(l3Model(), ctx());
    assert.deepEqual(tablesIn(l3Model()), ['ip kumo-metadata', 'ip kumo-nat']);
    const table = plan.nftTables?.find((t) => t.ns === QROUTER && t.name === 'kumo-metadata');
    assert.equal(table?.body, [
      '\tchain prerouting {',
      '\t\ttype nat hook prerouting priority dstnat - 10; policy accept;',
      '\t\tiifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697',
      '\t}',
      '\tchain input {',
      '\t\ttype filter hook input priority filter; policy accept;',
      '\t\ttcp dport 9697 iifname "qr-*" ct status dnat ct original ip daddr 169.254.169.254 ct original proto-dst 80 accept',
      '\t\ttcp dport 9697 drop',
      '\t}',
      '',
    ].join('\n'));
    assert.equal(table?.body, metadataTableBody());
  });

  it('serves a router without a gateway too (no NAT table then)', () => {
    const model = l3Model({ router: { gwPortId: null, portIds: [IF_PORT] }, floatingIps: [] });
    assert.deepEqual(compile(model, ctx()).metadata?.map((m) => m.id), [ROUTER]);
    assert.deepEqual(tablesIn(model), ['ip kumo-metadata']);
  });

  it('no proxy and no table for a router with no internal interface, on a host that does not serve it, or without a usable metadata service', () => {
    const gatewayOnly = l3Model({ router: { portIds: [GW_PORT] } });
    assert.deepEqual(compile(gatewayOnly, ctx()).metadata, []);
    assert.deepEqual(tablesIn(gatewayOnly), ['ip kumo-nat']);
    for (const c of [ctx('compute1'), ctx('network1', null), ctx('network1', '/tmp/a b\nserver x unix@/etc')]) {
      assert.deepEqual(compile(l3Model(), c).metadata, [], c.host);
      assert.ok(!(compile(l3Model(), c).nftTables ?? []).some((t) => t.name === 'kumo-metadata'), c.host);
    }
  });

  it('keeps a DHCP network\'s qdhcp- proxy as it is beside the router\'s, sorted by id', () => {
    const base = l3Model();
    const model: Model = {
      ...base,
      subnets: base.subnets.map((s) => (s.id === PRIVATE_SUBNET ? { ...s, enableDhcp: true } : s)),
      ports: [...base.ports, {
        id: 'dddddddd-0000-4000-8000-000000000002', networkId: PRIVATE, mac: 'fa:16:3e:00:00:02', deviceOwner: 'network:dhcp', deviceId: 'dhcp', hostId: '',
        adminStateUp: true, status: 'DOWN', vifType: 'unbound', dnsName: '', fixedIps: [{ subnetId: PRIVATE_SUBNET, ip: '10.0.0.2' }], extraDhcpOpts: [],
      }],
      dhcpHosts: new Map([[PRIVATE, ['network1']]]),
    };
    const plan = compile(model, ctx());
    assert.deepEqual(plan.metadata?.map((m) => [m.id, m.ns]), [[ROUTER, QROUTER], [PRIVATE, `qdhcp-${PRIVATE}`]]);
    const network = plan.metadata?.[1]?.config ?? '';
    assert.match(network, /^ {4}bind 169\.254\.169\.254:80$/m);
    assert.match(network, new RegExp(`^ {4}http-request set-header X-Neutron-Network-ID ${PRIVATE}$`, 'm'));
    assert.doesNotMatch(network, /set-header X-Neutron-Router-ID/);
    assert.ok(plan.dhcp[0]?.addresses.includes('169.254.169.254/32'));
    assert.match(plan.dhcp[0]?.files.opts ?? '', /classless-static-route,169\.254\.169\.254\/32,10\.0\.0\.2,/);
  });
});

describe('dataplane: diff of a router\'s metadata proxy', () => {
  const nothing: ObservedHost = { namespaces: new Set(), recorded: new Set(), links: new Map(), fdb: new Map(), neighbours: new Map(), dhcp: new Map(), metadata: new Map() };

  it('builds a router from nothing with its metadata table after its namespace and the proxy last', () => {
    const plan = compile(l3Model(), ctx());
    const ops = diff(plan, nothing);
    const ns = ops.findIndex((a) => a.op === 'netns.add' && a.ns === QROUTER);
    const table = ops.findIndex((a) => a.op === 'nft.table' && a.ns === QROUTER && a.name === 'kumo-metadata');
    assert.ok(ns >= 0 && table > ns);
    const proxy = plan.metadata?.[0];
    assert.deepEqual(ops.slice(-2), [
      { op: 'metadata.config', id: ROUTER, dir: proxy?.dir, config: proxy?.config },
      { op: 'metadata.start', id: ROUTER, ns: QROUTER, dir: proxy?.dir, argv: proxy?.argv },
    ]);
  });

  it('stops a router\'s proxy that is no longer planned before its namespace goes', () => {
    const gone = compile({ ...l3Model(), l3: { ...l3Model().l3!, routers: [] } }, ctx());
    const obs: ObservedHost = {
      ...nothing, namespaces: new Set([QROUTER]), recorded: new Set([QROUTER]),
      metadata: new Map([[ROUTER, { id: ROUTER, dir: `/var/lib/kumo/metadata-proxy/${ROUTER}`, pid: 99, config: 'x' }]]),
    };
    assert.deepEqual(diff(gone, obs).slice(0, 2), [
      { op: 'metadata.stop', id: ROUTER, dir: `/var/lib/kumo/metadata-proxy/${ROUTER}`, pid: 99 },
      { op: 'netns.delete', ns: QROUTER },
    ]);
  });
});
