/** The router and outside-world compiler: model in, plan out, compared with expected plans (no root). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type CompileContext } from '../src/agent/compile.js';
import type { Model } from '../src/agent/model.js';
import { validIfName } from '../src/dataplane/names.js';
import type { ObservedHost } from '../src/dataplane/observed.js';
import { floatingIpReports } from '../src/agent/status-router.js';
import { FIP, GW_PORT, IF_PORT, l3Model, PUBLIC, PUBLIC_SUBNET, ROUTER } from './helpers/l3-model.js';

const ctx = (host: string, hostAccess = false): CompileContext => ({
  host, home: '/var/lib/kumo', homeHash: 'abcd1234', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 }, hostAccess,
});

describe('dataplane: compile routers', () => {
  it('serves router1 on its L3 host: qrouter- namespace, qr-/qg- veths into the bridges, addresses with floating IPs as /32 on qg-', () => {
    const plan = compile(l3Model(), ctx('network1'));
    assert.equal(plan.routers?.length, 1);
    const r = plan.routers?.[0];
    assert.equal(r?.ns, `qrouter-${ROUTER}`);
    assert.equal(r?.up, true);
    assert.equal(r?.forwarding, true);
    assert.deepEqual(r?.ports, [
      {
        portId: GW_PORT, kind: 'gateway', networkId: PUBLIC, device: 'qg-5b8b000e-cf', mac: 'fa:16:3e:64:31:71', tap: 'tap5b8b000e-cf', tapMac: 'fe:16:3e:64:31:71',
        bridge: 'brqb226c9e0-db', mtu: 1500, addresses: ['172.24.4.2/24', '172.24.4.51/32'],
      },
      {
        portId: IF_PORT, kind: 'internal', networkId: 'ce984965-c04a-423b-a666-8758bda8c971', device: 'qr-2714d4c8-53', mac: 'fa:16:3e:7d:84:51',
        tap: 'tap2714d4c8-53', tapMac: 'fe:16:3e:7d:84:51', bridge: 'brqce984965-c0', mtu: 1450, addresses: ['10.0.0.1/24'],
      },
    ]);
    for (const p of r?.ports ?? []) assert.ok(validIfName(p.device) && validIfName(p.tap), p.device);
    assert.deepEqual(r?.routes, [{ dst: '0.0.0.0/0', via: '172.24.4.1' }]);
    assert.deepEqual(r?.nat, {
      gatewayDevice: 'qg-5b8b000e-cf', gatewayIp: '172.24.4.2', snatSources: ['10.0.0.0/24'], internalSubnets: ['10.0.0.0/24'],
      floatingIps: [{ id: FIP, address: '172.24.4.51', fixedIp: '10.0.0.6' }],
    });
    // Both networks get a bridge on the router's host: public through its flat segment, private over VXLAN.
    assert.deepEqual(plan.bridges.map((b) => [b.name, b.uplink?.kind]), [['brqb226c9e0-db', 'segment'], ['brqce984965-c0', 'vxlan']]);
  });

  it('serves nothing on another host, which instead reaches the router ports over VXLAN (l2population)', () => {
    const plan = compile(l3Model(), ctx('compute1'));
    assert.deepEqual(plan.routers, []);
    const vxlan = plan.bridges.find((b) => b.uplink?.kind === 'vxlan')?.uplink;
    assert.ok(vxlan?.kind === 'vxlan');
    assert.deepEqual(vxlan.fdb, [{ mac: '00:00:00:00:00:00', dst: '100.64.0.2' }, { mac: 'fa:16:3e:7d:84:51', dst: '100.64.0.2' }]);
    assert.deepEqual(vxlan.neighbours, [{ ip: '10.0.0.1', mac: 'fa:16:3e:7d:84:51' }]);
  });

  it('installs only extra routes whose nexthop is on a connected subnet; one for 0.0.0.0/0 replaces the default', () => {
    const routes = [
      { destination: '192.168.50.0/24', nexthop: '10.0.0.254' },
      { destination: '10.99.0.0/16', nexthop: '192.0.2.1' },
      { destination: '2001:db8::/64', nexthop: '10.0.0.9' },
    ];
    assert.deepEqual(compile(l3Model({ router: { routes } }), ctx('network1')).routers?.[0]?.routes, [
      { dst: '0.0.0.0/0', via: '172.24.4.1' }, { dst: '192.168.50.0/24', via: '10.0.0.254' },
    ]);
    const withDefault = [{ destination: '0.0.0.0/0', nexthop: '10.0.0.254' }];
    assert.deepEqual(compile(l3Model({ router: { routes: withDefault } }), ctx('network1')).routers?.[0]?.routes, [{ dst: '0.0.0.0/0', via: '10.0.0.254' }]);
  });

  it('keeps an administratively down router wired but without routes or forwarding', () => {
    const r = compile(l3Model({ router: { adminStateUp: false, routes: [{ destination: '192.168.50.0/24', nexthop: '10.0.0.254' }] } }), ctx('network1')).routers?.[0];
    assert.equal(r?.up, false);
    assert.equal(r?.forwarding, false);
    assert.deepEqual(r?.routes, []);
    assert.equal(r?.ports.length, 2);
  });

  it('SNATs nothing with enable_snat false, but still serves floating IPs', () => {
    const nat = compile(l3Model({ router: { enableSnat: false } }), ctx('network1')).routers?.[0]?.nat;
    assert.deepEqual(nat?.snatSources, []);
    assert.equal(nat?.floatingIps.length, 1);
  });

  it('has no gateway, default route or NAT without a gateway port; an unassociated floating IP is not on qg-', () => {
    const noGw = compile(l3Model({ router: { gwPortId: null, portIds: [IF_PORT] } }), ctx('network1')).routers?.[0];
    assert.equal(noGw?.nat, null);
    assert.deepEqual(noGw?.routes, []);
    const unassociated = l3Model({ floatingIps: [{ id: FIP, address: '172.24.4.51', networkId: PUBLIC, fixedPortId: null, fixedIp: null, routerId: null, status: 'ACTIVE' }] });
    const r = compile(unassociated, ctx('network1')).routers?.[0];
    assert.deepEqual(r?.ports.find((p) => p.kind === 'gateway')?.addresses, ['172.24.4.2/24']);
    assert.deepEqual(r?.nat?.floatingIps, []);
  });

  it('serves an unscheduled router nowhere', () => {
    assert.deepEqual(compile(l3Model({ router: { hosts: [] } }), ctx('network1')).routers, []);
  });

  it('reports the floating IPs of an unscheduled router DOWN (from the first L3 host only)', () => {
    const fip = { id: FIP, address: '172.24.4.51', networkId: PUBLIC, fixedPortId: 'p', fixedIp: '10.0.0.6', routerId: ROUTER, status: 'ACTIVE' };
    const model = l3Model({ router: { hosts: [] }, floatingIps: [fip] });
    const obs = {} as ObservedHost;
    assert.deepEqual(floatingIpReports(compile(model, ctx('network1')), obs, model), [{ id: FIP, status: 'DOWN', routerId: ROUTER, fixedIp: '10.0.0.6' }]);
    assert.deepEqual(floatingIpReports(compile(model, ctx('compute1')), obs, model), []);
    const down = l3Model({ router: { hosts: [] }, floatingIps: [{ ...fip, status: 'DOWN' }] });
    assert.deepEqual(floatingIpReports(compile(down, ctx('network1')), obs, down), []);
  });
});

describe('dataplane: compile the outside world', () => {
  it('puts the upstream router on the external segment with the subnet gateway, and the outside host on 203.0.113.0/24', () => {
    const plan = compile(l3Model(), ctx('network1'));
    const o = plan.outside;
    assert.ok(o);
    assert.equal(o.upstreamNs, 'kumo-abcd1234-upstream');
    assert.equal(o.outsideNs, 'kumo-abcd1234-outside');
    assert.equal(o.legs.length, 1);
    assert.equal(o.legs[0]?.key, 'physnet1');
    assert.deepEqual(o.legs[0]?.addresses, ['172.24.4.1/24']);
    assert.ok(plan.fabric.bridges.some((b) => b.name === o.legs[0]?.fabricBridge), 'the segment bridge is in the fabric');
    assert.deepEqual([o.upstreamCidr, o.outsideCidr, o.outsideIp, o.outsideGateway], ['203.0.113.1/24', '203.0.113.10/24', '203.0.113.10', '203.0.113.1']);
    assert.equal(o.hostAccess, null);
    for (const d of [o.legs[0]?.dev, o.legs[0]?.fabricDev, o.upstreamDev, o.outsideDev, o.hostAccessDev]) assert.ok(validIfName(d ?? ''), d);
  });

  it('is kept by the first L3 host only', () => {
    assert.equal(compile(l3Model(), ctx('compute1')).outside, null);
    assert.equal(compile(l3Model({ l3: { l3Hosts: [] } }), ctx('network1')).outside, null);
  });

  it('follows the model: seed 001 re-creates public_subnet as 192.168.1.0/24 with gateway 192.168.1.1', () => {
    const m = l3Model();
    const seed: Model = { ...m, subnets: m.subnets.map((s) => (s.id === PUBLIC_SUBNET ? { ...s, cidr: '192.168.1.0/24', gatewayIp: '192.168.1.1' } : s)) };
    assert.deepEqual(compile(seed, ctx('network1')).outside?.legs[0]?.addresses, ['192.168.1.1/24']);
  });

  it('moves the outside host to another documentation range when a subnet of the cloud overlaps 203.0.113.0/24', () => {
    const m = l3Model();
    const overlapping: Model = { ...m, subnets: [...m.subnets, { ...(m.subnets[0] as Model['subnets'][number]), id: 'x', cidr: '203.0.113.0/25' }] };
    assert.equal(compile(overlapping, ctx('network1')).outside?.outsideCidr, '198.51.100.10/24');
  });

  it('gives host access the highest host address outside every pool, the gateway and the ports', () => {
    assert.deepEqual(compile(l3Model(), ctx('network1', true)).outside?.hostAccess, {
      dev: 'kumo-abcd1234', fabricDev: 'host-access', fabricBridge: compile(l3Model(), ctx('network1')).outside?.legs[0]?.fabricBridge, mtu: 1500,
      addresses: ['172.24.4.254/24'],
    });
    const m = l3Model({ l3: { pools: new Map([[PUBLIC_SUBNET, [{ start: '172.24.4.2', end: '172.24.4.250' }]]]) } });
    const crowded: Model = { ...m, ports: m.ports.map((p) => (p.id === GW_PORT ? { ...p, fixedIps: [{ subnetId: PUBLIC_SUBNET, ip: '172.24.4.254' }] } : p)) };
    assert.deepEqual(compile(crowded, ctx('network1', true)).outside?.hostAccess?.addresses, ['172.24.4.253/24']);
  });

  it('has no outside world without an external network on the physical network', () => {
    assert.equal(compile(l3Model({ l3: { externalNetworks: new Set() } }), ctx('network1')).outside, null);
  });
});
