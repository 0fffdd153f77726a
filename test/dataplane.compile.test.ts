/** The agent's compiler: model in, HostPlan out, compared with expected plans (no root, no I/O). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type CompileContext } from '../src/agent/compile.js';
import type { Model, ModelPort } from '../src/agent/model.js';
import { validIfName, vxlanName } from '../src/dataplane/names.js';

const NET = '1420c69e-77fe-4f06-8bdc-8c933196742c';
const FLAT = 'fab2345c-5de9-4fda-8342-f0430a9239ea';
const VLAN = '7d2c1b7e-0000-4000-8000-000000000100';
const SUBNET = '9e0e0b31-4dee-46eb-8eed-d1be5e91b0ca';
const DHCP_PORT = 'e5401071-f1aa-4b1c-9d7e-000000000002';
const PORT_A = '2d1670a4-8e11-4c5b-8b0a-00000000000a';
const PORT_B = '60ad2c85-f322-4d9c-a111-00000000000b';

function port(over: Partial<ModelPort> & Pick<ModelPort, 'id' | 'mac'>): ModelPort {
  return {
    networkId: NET, deviceOwner: 'compute:nova', deviceId: 'server', hostId: '', adminStateUp: true, status: 'DOWN', vifType: 'unbound',
    dnsName: '', fixedIps: [], extraDhcpOpts: [], ...over,
  };
}

function model(extra: Partial<Model> = {}): Model {
  return {
    hosts: [{ name: 'compute1', underlayIp: '100.64.0.1' }, { name: 'compute2', underlayIp: '100.64.0.2' }],
    networks: [{ id: NET, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: 10 }] }],
    subnets: [{
      id: SUBNET, networkId: NET, ipVersion: 4, cidr: '192.168.100.0/24', gatewayIp: '192.168.100.1', enableDhcp: true,
      dnsNameservers: [], hostRoutes: [],
    }],
    ports: [
      port({ id: DHCP_PORT, mac: 'fa:16:3e:e9:6a:38', deviceOwner: 'network:dhcp', deviceId: `dhcpx-${NET}`, fixedIps: [{ subnetId: SUBNET, ip: '192.168.100.2' }] }),
      port({ id: PORT_A, mac: 'fa:16:3e:bc:78:a8', hostId: 'compute1', fixedIps: [{ subnetId: SUBNET, ip: '192.168.100.30' }] }),
      port({ id: PORT_B, mac: 'fa:16:3e:00:00:0b', hostId: 'compute2', fixedIps: [{ subnetId: SUBNET, ip: '192.168.100.31' }] }),
    ],
    dhcpHosts: new Map([[NET, ['compute1']]]),
    ...extra,
  };
}

const ctx = (host: string): CompileContext => ({
  host, home: '/var/lib/kumo', homeHash: 'abcd1234', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
});

describe('dataplane: compile', () => {
  it('gives the DHCP host its namespaces, underlay leg and a bridge with a vxlan-<vni> uplink', () => {
    const plan = compile(model(), ctx('compute1'));
    assert.equal(plan.hostNs, 'kumo-abcd1234-host-compute1');
    assert.deepEqual(plan.fabric, { ns: 'kumo-abcd1234-fabric', bridges: [{ name: 'br-underlay', mtu: 1500 }] });
    assert.deepEqual(plan.underlay, {
      cidr: '100.64.0.1/24', ip: '100.64.0.1', hostDev: 'underlay0', fabricDev: plan.underlay?.fabricDev, fabricBridge: 'br-underlay', mtu: 1500,
    });
    assert.match(plan.underlay?.fabricDev ?? '', /^ul-[0-9a-f]{8}$/);
    assert.equal(plan.bridges.length, 1);
    const [bridge] = plan.bridges;
    assert.equal(bridge?.name, 'brq1420c69e-77');
    assert.equal(bridge?.mtu, 1450);
    assert.deepEqual(bridge?.uplink, {
      kind: 'vxlan', device: 'vxlan-10', vni: 10, local: '100.64.0.1', dev: 'underlay0', mtu: 1450,
      // l2population: compute2 has PORT_B, so a flood entry and a unicast entry towards it, and
      // its address answered by the local ARP proxy.
      fdb: [{ mac: '00:00:00:00:00:00', dst: '100.64.0.2' }, { mac: 'fa:16:3e:00:00:0b', dst: '100.64.0.2' }],
      neighbours: [{ ip: '192.168.100.31', mac: 'fa:16:3e:00:00:0b' }],
    });
    assert.deepEqual(plan.taps, [{ portId: PORT_A, networkId: NET, tap: 'tap2d1670a4-8e', bridge: 'brq1420c69e-77', mtu: 1450, up: true }]);
  });

  it('writes dnsmasq files in the formats of seed 003', () => {
    const [dhcp] = compile(model(), ctx('compute1')).dhcp;
    assert.ok(dhcp);
    assert.equal(dhcp.ns, `qdhcp-${NET}`);
    assert.equal(dhcp.tap, 'tape5401071-f1');
    assert.equal(dhcp.tapMac, 'fe:16:3e:e9:6a:38');
    assert.equal(dhcp.device, 'ns-e5401071-f1');
    assert.deepEqual(dhcp.addresses, ['192.168.100.2/24']);
    assert.equal(dhcp.dir, `/var/lib/kumo/dhcp/${NET}`);
    assert.equal(dhcp.files.host, [
      'fa:16:3e:e9:6a:38,host-192-168-100-2.openstacklocal,192.168.100.2',
      'fa:16:3e:bc:78:a8,host-192-168-100-30.openstacklocal,192.168.100.30',
      'fa:16:3e:00:00:0b,host-192-168-100-31.openstacklocal,192.168.100.31',
      '',
    ].join('\n'));
    assert.match(dhcp.files.addn_hosts, /^192\.168\.100\.30\thost-192-168-100-30\.openstacklocal host-192-168-100-30$/m);
    assert.equal(dhcp.files.opts, `tag:subnet-${SUBNET},option:router,192.168.100.1\n`);
    assert.ok(dhcp.argv.includes(`--dhcp-range=set:subnet-${SUBNET},192.168.100.0,static,255.255.255.0,86400s`));
    assert.ok(dhcp.argv.includes('--dhcp-option-force=option:mtu,1450'));
    assert.ok(dhcp.argv.includes('--interface=ns-e5401071-f1'));
    assert.ok(dhcp.argv.includes(`--pid-file=/var/lib/kumo/dhcp/${NET}/pid`));
  });

  it('puts DNS servers, host routes (121 and 249, default route included) and extra_dhcp_opts in opts', () => {
    const m = model();
    const plan = compile({
      ...m,
      subnets: m.subnets.map((s) => ({ ...s, dnsNameservers: ['8.8.8.8', '8.8.4.4'], hostRoutes: [{ destination: '10.10.0.0/16', nexthop: '192.168.100.254' }] })),
      ports: m.ports.map((p) => (p.id === PORT_A ? { ...p, extraDhcpOpts: [{ opt_name: 'tftp-server', opt_value: '192.168.100.9', ip_version: 4 }] } : p)),
    }, ctx('compute1'));
    const dhcp = plan.dhcp[0];
    assert.deepEqual(dhcp?.files.opts.trim().split('\n'), [
      `tag:subnet-${SUBNET},option:dns-server,8.8.8.8,8.8.4.4`,
      `tag:subnet-${SUBNET},option:classless-static-route,10.10.0.0/16,192.168.100.254,0.0.0.0/0,192.168.100.1`,
      `tag:subnet-${SUBNET},249,10.10.0.0/16,192.168.100.254,0.0.0.0/0,192.168.100.1`,
      `tag:subnet-${SUBNET},option:router,192.168.100.1`,
      `tag:port-${PORT_A},option:tftp-server,192.168.100.9`,
    ]);
    assert.match(dhcp?.files.host ?? '', new RegExp(`^fa:16:3e:bc:78:a8,host-192-168-100-30\\.openstacklocal,192\\.168\\.100\\.30,set:port-${PORT_A}$`, 'm'));
  });

  it('drops extra_dhcp_opts that would inject dnsmasq configuration, even if the API let them through', () => {
    const m = model();
    const evil = [
      { opt_name: 'domain-search', opt_value: 'a\ndhcp-script=/tmp/x', ip_version: 4 },
      { opt_name: 'bootfile-name', opt_value: 'x,tag:other', ip_version: 4 },
      { opt_name: 'tag:x,option:router', opt_value: '1.2.3.4', ip_version: 4 },
      { opt_name: 'server-ip-address', opt_value: 'a"b', ip_version: 4 },
    ];
    const plan = compile({ ...m, ports: m.ports.map((p) => (p.id === PORT_A ? { ...p, extraDhcpOpts: evil } : p)) }, ctx('compute1'));
    const dhcp = plan.dhcp[0];
    assert.doesNotMatch(dhcp?.files.opts ?? '', /port-|dhcp-script|tag:x/);
    assert.doesNotMatch(dhcp?.files.host ?? '', /set:port-/);
    for (const text of Object.values(dhcp?.files ?? {})) assert.ok(!text.split('\n').some((l: string) => /dhcp-script/.test(l)));
  });

  it('gives the other host only its instance port, and l2population entries towards the DHCP host', () => {
    const plan = compile(model(), ctx('compute2'));
    assert.deepEqual(plan.dhcp, []);
    assert.deepEqual(plan.taps.map((t) => t.portId), [PORT_B]);
    const uplink = plan.bridges[0]?.uplink;
    assert.equal(uplink?.kind, 'vxlan');
    if (uplink?.kind !== 'vxlan') return;
    assert.equal(uplink.local, '100.64.0.2');
    assert.deepEqual(uplink.fdb, [
      { mac: '00:00:00:00:00:00', dst: '100.64.0.1' },
      { mac: 'fa:16:3e:bc:78:a8', dst: '100.64.0.1' },
      { mac: 'fa:16:3e:e9:6a:38', dst: '100.64.0.1' },
    ]);
    assert.deepEqual(uplink.neighbours.map((n) => n.ip), ['192.168.100.2', '192.168.100.30']);
  });

  it('joins flat and VLAN networks to their own segments of the sandboxed physical network', () => {
    const m = model();
    const plan = compile({
      ...m,
      networks: [
        ...m.networks,
        { id: FLAT, mtu: 1500, adminStateUp: true, segments: [{ networkType: 'flat', physicalNetwork: 'physnet1', segmentationId: null }] },
        { id: VLAN, mtu: 1500, adminStateUp: true, segments: [{ networkType: 'vlan', physicalNetwork: 'physnet1', segmentationId: 100 }] },
      ],
      ports: [...m.ports,
        port({ id: 'f0000000-0000-4000-8000-000000000001', mac: 'fa:16:3e:00:00:f1', networkId: FLAT, hostId: 'compute1' }),
        port({ id: 'f0000000-0000-4000-8000-000000000002', mac: 'fa:16:3e:00:00:f2', networkId: VLAN, hostId: 'compute1' })],
    }, ctx('compute1'));
    const flat = plan.bridges.find((b) => b.networkId === FLAT)?.uplink;
    const vlan = plan.bridges.find((b) => b.networkId === VLAN)?.uplink;
    assert.equal(flat?.kind, 'segment');
    assert.equal(vlan?.kind, 'segment');
    if (flat?.kind !== 'segment' || vlan?.kind !== 'segment') return;
    assert.equal(flat.key, 'physnet1');
    assert.equal(vlan.key, 'physnet1:100');
    assert.notEqual(flat.fabricBridge, vlan.fabricBridge, 'a VLAN is isolated from its physnet\'s flat segment');
    assert.equal(vlan.mtu, 1500);
    for (const name of [flat.hostDev, flat.fabricDev, flat.fabricBridge, vlan.hostDev, vlan.fabricDev]) assert.ok(name.length <= 15, name);
    assert.deepEqual(plan.fabric.bridges.map((b) => b.name).sort(), ['br-underlay', flat.fabricBridge, vlan.fabricBridge].sort());
  });

  it('serves no DHCP for a network that is down or has no DHCP subnet, and plugs no port bound elsewhere', () => {
    const m = model();
    const down = compile({ ...m, networks: m.networks.map((n) => ({ ...n, adminStateUp: false })) }, ctx('compute1'));
    assert.deepEqual(down.dhcp, []);
    assert.deepEqual(down.taps.map((t) => t.up), [false]);
    const noDhcp = compile({ ...m, subnets: m.subnets.map((s) => ({ ...s, enableDhcp: false })) }, ctx('compute1'));
    assert.deepEqual(noDhcp.dhcp, []);
    const elsewhere = compile({ ...m, dhcpHosts: new Map([[NET, ['compute2']]]), ports: m.ports.filter((p) => p.id !== PORT_A) }, ctx('compute1'));
    assert.deepEqual(elsewhere.bridges, []);
    assert.equal(elsewhere.underlay?.ip, '100.64.0.1');
  });

  it('names every interface within IFNAMSIZ (15 characters)', () => {
    const plan = compile(model(), ctx('compute1'));
    const names = [
      plan.underlay?.hostDev, plan.underlay?.fabricDev, plan.underlay?.fabricBridge, ...plan.fabric.bridges.map((b) => b.name),
      ...plan.bridges.flatMap((b) => [b.name, b.uplink?.kind === 'vxlan' ? b.uplink.device : undefined]),
      ...plan.dhcp.flatMap((d) => [d.tap, d.device]), ...plan.taps.map((t) => t.tap),
    ].filter((n): n is string => n !== undefined);
    assert.ok(names.length >= 8);
    for (const n of names) assert.ok(validIfName(n), n);
    assert.ok(validIfName(vxlanName(16_777_215)), 'the largest VNI');
  });

  it('with a metadata service: 169.254.169.254/32 on the DHCP device, a host route to it by DHCP, one proxy per DHCP network', () => {
    const withMd: CompileContext = { ...ctx('compute1'), metadata: { socket: '/var/lib/kumo/metadata.sock' } };
    const plan = compile(model(), withMd);
    const dhcp = plan.dhcp[0];
    assert.deepEqual(dhcp?.addresses, ['192.168.100.2/24', '169.254.169.254/32']);
    // Option 121 replaces option 3 in clients that take it (RFC 3442): the default route rides along.
    assert.deepEqual(dhcp?.files.opts.trim().split('\n'), [
      `tag:subnet-${SUBNET},option:classless-static-route,169.254.169.254/32,192.168.100.2,0.0.0.0/0,192.168.100.1`,
      `tag:subnet-${SUBNET},249,169.254.169.254/32,192.168.100.2,0.0.0.0/0,192.168.100.1`,
      `tag:subnet-${SUBNET},option:router,192.168.100.1`,
    ]);
    assert.equal(plan.metadata?.length, 1);
    const proxy = plan.metadata?.[0];
    assert.equal(proxy?.id, NET);
    assert.equal(proxy?.ns, `qdhcp-${NET}`);
    assert.equal(proxy?.dir, `/var/lib/kumo/metadata-proxy/${NET}`);
    assert.deepEqual(proxy?.argv, ['haproxy', '-f', `/var/lib/kumo/metadata-proxy/${NET}/haproxy.cfg`, '-p', `/var/lib/kumo/metadata-proxy/${NET}/pid`, '-D', '-q']);
    const config = proxy?.config ?? '';
    assert.match(config, /^ {4}bind 169\.254\.169\.254:80$/m);
    assert.match(config, new RegExp(`^ {4}http-request set-header X-Neutron-Network-ID ${NET}$`, 'm'));
    assert.match(config, /^ {4}server metadata unix@\/var\/lib\/kumo\/metadata\.sock$/m);
    // What the guest sent is dropped before the proxy's own headers are set.
    assert.ok(config.indexOf('del-header X-Forwarded-For') < config.indexOf('set-header X-Forwarded-For %[src]'));
    assert.ok(config.indexOf('del-header X-Neutron-Network-ID') < config.indexOf('set-header X-Neutron-Network-ID'));
    // A network without a gateway still gets the metadata route (and no default route).
    const noGw = compile({ ...model(), subnets: model().subnets.map((sub) => ({ ...sub, gatewayIp: null })) }, withMd);
    assert.match(noGw.dhcp[0]?.files.opts ?? '', /classless-static-route,169\.254\.169\.254\/32,192\.168\.100\.2\n/);
  });

  it('no proxy, address or route without a metadata service, or when its socket path is unsafe for haproxy\'s config', () => {
    for (const c of [ctx('compute1'), { ...ctx('compute1'), metadata: { socket: '/tmp/a b\nserver x unix@/etc' } }]) {
      const plan = compile(model(), c);
      assert.deepEqual(plan.metadata, []);
      assert.deepEqual(plan.dhcp[0]?.addresses, ['192.168.100.2/24']);
      assert.doesNotMatch(plan.dhcp[0]?.files.opts ?? '', /169\.254/);
    }
  });

  it('is deterministic: the same model gives the same plan', () => {
    assert.deepEqual(compile(model(), ctx('compute1')), compile(model(), ctx('compute1')));
  });
});
