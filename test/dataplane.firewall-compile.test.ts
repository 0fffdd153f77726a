/**
 * The firewall compiler without root: which ports are filtered, what each Neutron rule becomes
 * (protocols, port ranges, ICMP type/code, prefixes, remote groups as named sets of the members'
 * addresses on every host; address groups as named sets of their CIDRs), anti-spoofing from the port's addresses and allowed address pairs,
 * zones per network, and the nft text with each rule's id as its comment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type CompileContext } from '../src/agent/compile.js';
import { FIREWALL_TABLE, linkLocal, ruleMatch } from '../src/agent/compile-firewall.js';
import type { FirewallModel, ModelRule } from '../src/agent/model-firewall.js';
import type { Model, ModelPort } from '../src/agent/model.js';

const NET = '1420c69e-77fe-4f06-8bdc-8c933196742c';
const NET2 = '2420c69e-77fe-4f06-8bdc-8c933196742c';
const SUB = '9e0e0b31-4dee-46eb-8eed-d1be5e91b0ca';
const SUB2 = '9e0e0b31-4dee-46eb-8eed-d1be5e91b0cb';
const A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const B = 'bbbbbbbb-0000-4000-8000-00000000000b';
const C = 'cccccccc-0000-4000-8000-00000000000c';
const OPEN = 'dddddddd-0000-4000-8000-00000000000d';
const DHCP = 'eeeeeeee-0000-4000-8000-00000000000e';
const WEB = '11111111-0000-4000-8000-000000000001';
const DEF = '22222222-0000-4000-8000-000000000002';
const AG = '33333333-0000-4000-8000-000000000003';

const port = (id: string, mac: string, ip: string, over: Partial<ModelPort> = {}): ModelPort => ({
  id, networkId: NET, mac, deviceOwner: 'compute:nova', deviceId: 's', hostId: 'h1', adminStateUp: true, status: 'DOWN', vifType: 'unbound',
  dnsName: '', fixedIps: [{ subnetId: SUB, ip }], extraDhcpOpts: [], ...over,
});

const rule = (id: string, groupId: string, over: Partial<ModelRule>): ModelRule => ({
  id, groupId, direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null,
  remoteIpPrefix: null, remoteGroupId: null, remoteAddressGroupId: null, ...over,
});

function firewall(): FirewallModel {
  return {
    groups: [{ id: DEF, stateful: true }, { id: WEB, stateful: true }],
    rules: [
      rule('r-egress4', DEF, { direction: 'egress' }),
      rule('r-egress6', DEF, { direction: 'egress', ethertype: 'IPv6' }),
      rule('r-members4', DEF, { remoteGroupId: DEF }),
      rule('r-members6', DEF, { ethertype: 'IPv6', remoteGroupId: DEF }),
      rule('r-ssh', WEB, { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' }),
      rule('r-range', WEB, { protocol: 'udp', portRangeMin: 1000, portRangeMax: 2000, remoteIpPrefix: '10.9.0.7/16' }),
      rule('r-ping', WEB, { protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }),
      rule('r-vrrp', WEB, { protocol: '112' }),
    ],
    ports: new Map([
      [A, { enabled: true, groups: [DEF, WEB], allowedAddressPairs: [{ ipAddress: '10.0.0.100', macAddress: null }, { ipAddress: '10.0.5.0/24', macAddress: 'fa:16:3e:99:99:99' }] }],
      [B, { enabled: true, groups: [DEF], allowedAddressPairs: [] }],
      [C, { enabled: true, groups: [DEF], allowedAddressPairs: [] }],
      [OPEN, { enabled: false, groups: [], allowedAddressPairs: [] }],
      [DHCP, { enabled: true, groups: [], allowedAddressPairs: [] }],
    ]),
    addressGroups: new Map(),
  };
}

function model(fw: FirewallModel | null = firewall()): Model {
  return {
    hosts: [{ name: 'h1', underlayIp: '100.64.0.1' }, { name: 'h2', underlayIp: '100.64.0.2' }],
    networks: [NET, NET2].map((id) => ({ id, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: id === NET ? 10 : 11 }] })),
    subnets: [
      { id: SUB, networkId: NET, ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', enableDhcp: true, dnsNameservers: [], hostRoutes: [] },
      { id: SUB2, networkId: NET2, ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', enableDhcp: true, dnsNameservers: [], hostRoutes: [] },
    ],
    ports: [
      port(A, 'fa:16:3e:00:00:0a', '10.0.0.10'),
      // Same address on another network: overlapping tenant IPs, told apart by zones.
      port(B, 'fa:16:3e:00:00:0b', '10.0.0.10', { networkId: NET2, fixedIps: [{ subnetId: SUB2, ip: '10.0.0.10' }] }),
      port(C, 'fa:16:3e:00:00:0c', '10.0.0.12', { hostId: 'h2' }),
      port(OPEN, 'fa:16:3e:00:00:0d', '10.0.0.13'),
      port(DHCP, 'fa:16:3e:00:00:0e', '10.0.0.2', { deviceOwner: 'network:dhcp', hostId: '' }),
    ],
    dhcpHosts: new Map(),
    ...(fw ? { firewall: fw } : {}),
  };
}

const ctx: CompileContext = { host: 'h1', home: '/k', homeHash: 'abcd1234', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 } };

describe('dataplane: firewall compile', () => {
  it('filters the instance ports bound here that have port security, and nothing else', () => {
    const fw = compile(model(), ctx).firewall;
    assert.deepEqual(fw?.ports.map((p) => [p.portId, p.index, p.tap]), [[A, 1, 'tapaaaaaaaa-00'], [B, 2, 'tapbbbbbbbb-00']]);
    assert.equal(compile(model(), { ...ctx, host: 'h2' }).firewall?.ports.length, 1);
    assert.equal(compile(model(null), ctx).firewall, null, 'no firewall model, no firewall');
  });

  it('gives every network with a filtered port its own conntrack zone, keyed by its bridge', () => {
    const zones = compile(model(), ctx).firewall?.zones ?? [];
    assert.deepEqual(zones.map((z) => [z.networkId, z.bridge]), [[NET, 'brq1420c69e-77'], [NET2, 'brq2420c69e-77']]);
    assert.notEqual(zones[0]?.zone, zones[1]?.zone);
    assert.ok(zones.every((z) => z.zone >= 1 && z.zone <= 65535));
    assert.deepEqual(compile(model(), ctx).firewall?.zones, zones, 'stable');
  });

  it('compiles each rule of the port\'s groups in order, keeping the Neutron rule id', () => {
    const a = compile(model(), ctx).firewall?.ports[0];
    assert.deepEqual(a?.egress.map((r) => [r.ruleId, r.match]), [
      ['r-egress4', 'meta nfproto ipv4'],
      ['r-egress6', 'meta nfproto ipv6'],
    ]);
    assert.deepEqual(a?.ingress.map((r) => [r.ruleId, r.match]), [
      ['r-members4', `meta nfproto ipv4 ip saddr @rg4-${DEF}`],
      ['r-members6', `meta nfproto ipv6 ip6 saddr @rg6-${DEF}`],
      ['r-ssh', 'meta nfproto ipv4 meta l4proto 6 th dport 22'],
      ['r-range', 'meta nfproto ipv4 meta l4proto 17 th dport 1000-2000 ip saddr 10.9.0.0/16'],
      ['r-ping', 'meta nfproto ipv4 meta l4proto icmp icmp type 8 icmp code 0'],
      ['r-vrrp', 'meta nfproto ipv4 meta l4proto 112'],
    ]);
  });

  it('matches ICMP by type alone when no code is given, IPv6 ICMP as icmpv6, egress prefixes on the destination', () => {
    assert.equal(ruleMatch(rule('x', WEB, { protocol: 'icmp', portRangeMin: 3 }))?.match, 'meta nfproto ipv4 meta l4proto icmp icmp type 3');
    assert.equal(ruleMatch(rule('x', WEB, { protocol: 'icmp' }))?.match, 'meta nfproto ipv4 meta l4proto icmp');
    assert.equal(ruleMatch(rule('x', WEB, { ethertype: 'IPv6', protocol: 'ipv6-icmp', portRangeMin: 128 }))?.match,
      'meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 128');
    assert.equal(ruleMatch(rule('x', WEB, { direction: 'egress', protocol: 'tcp', portRangeMin: 80, remoteIpPrefix: '192.0.2.1/32' }))?.match,
      'meta nfproto ipv4 meta l4proto 6 th dport 80-65535 ip daddr 192.0.2.1');
    assert.equal(ruleMatch(rule('x', WEB, { protocol: '0' }))?.match, 'meta nfproto ipv4', 'protocol 0 is any');
    assert.equal(ruleMatch(rule('x', WEB, { remoteAddressGroupId: 'ag' }))?.match, 'meta nfproto ipv4 ip saddr @ag4-ag');
  });

  it('keeps remote group members (fixed IPs and pairs of ports on every host) in named sets', () => {
    const sets = compile(model(), ctx).firewall?.sets ?? [];
    assert.deepEqual(sets.map((s) => [s.name, s.elements]), [
      [`rg4-${DEF}`, ['10.0.0.10', '10.0.0.100', '10.0.0.12', '10.0.5.0/24']],
      [`rg6-${DEF}`, []],
    ]);
  });

  describe('address groups', () => {
    const withGroup = (addresses: readonly string[] | null): FirewallModel => {
      const fw = firewall();
      return {
        ...fw,
        rules: [...fw.rules,
          rule('r-ag4', WEB, { protocol: 'tcp', portRangeMin: 443, portRangeMax: 443, remoteAddressGroupId: AG }),
          rule('r-ag6', WEB, { ethertype: 'IPv6', protocol: 'tcp', portRangeMin: 443, portRangeMax: 443, remoteAddressGroupId: AG }),
          rule('r-ag-out', WEB, { direction: 'egress', remoteAddressGroupId: AG })],
        addressGroups: addresses === null ? new Map() : new Map([[AG, addresses]]),
      };
    };
    const sets = (fw: FirewallModel) => (compile(model(fw), ctx).firewall?.sets ?? []).filter((x) => x.kind === 'address-group');

    it('turns a rule naming an address group into a match on the group\'s set, source for ingress and destination for egress', () => {
      const a = compile(model(withGroup(['10.1.0.0/16'])), ctx).firewall?.ports[0];
      assert.deepEqual(a?.ingress.filter((r) => r.ruleId.startsWith('r-ag')).map((r) => [r.ruleId, r.match]), [
        ['r-ag4', `meta nfproto ipv4 meta l4proto 6 th dport 443 ip saddr @ag4-${AG}`],
        ['r-ag6', `meta nfproto ipv6 meta l4proto 6 th dport 443 ip6 saddr @ag6-${AG}`],
      ]);
      assert.deepEqual(a?.egress.filter((r) => r.ruleId.startsWith('r-ag')).map((r) => [r.ruleId, r.match]), [['r-ag-out', `meta nfproto ipv4 ip daddr @ag4-${AG}`]]);
    });

    it('fills one set per IP version with the group\'s addresses of that version, host routes as plain addresses', () => {
      assert.deepEqual(sets(withGroup(['10.2.3.4/32', '10.1.0.0/16', '2001:db8::/64', '2001:db8:1::5/128'])).map((x) => [x.name, x.family, x.id, x.elements]), [
        [`ag4-${AG}`, 'ipv4', AG, ['10.1.0.0/16', '10.2.3.4']],
        [`ag6-${AG}`, 'ipv6', AG, ['2001:db8:1::5', '2001:db8::/64']],
      ]);
    });

    it('gives an empty or unknown group an empty set: the rule admits nobody', () => {
      for (const fw of [withGroup([]), withGroup(null)]) {
        assert.deepEqual(sets(fw).map((x) => [x.name, x.elements]), [[`ag4-${AG}`, []], [`ag6-${AG}`, []]]);
        assert.match(compile(model(fw), ctx).firewall?.tables[1]?.body ?? '', new RegExp(`set ag4-${AG} \\{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\\}`));
      }
    });

    it('changes only the set when the group\'s addresses change: same rules, one inet table to replace', () => {
      const before = compile(model(withGroup(['10.1.0.0/16'])), ctx).firewall;
      const after = compile(model(withGroup(['10.1.0.0/16', '192.0.2.0/24'])), ctx).firewall;
      assert.deepEqual(after?.ports, before?.ports, 'the port chains are the same');
      assert.equal(after?.tables[0]?.hash, before?.tables[0]?.hash, 'the bridge table is untouched');
      assert.notEqual(after?.tables[1]?.hash, before?.tables[1]?.hash);
      assert.match(after?.tables[1]?.body ?? '', new RegExp(`set ag4-${AG} \\{[^}]*elements = \\{ 10\\.1\\.0\\.0/16, 192\\.0\\.2\\.0/24 \\}`));
    });
  });

  it('lets a port send only from its MAC and addresses or its allowed address pairs', () => {
    const a = compile(model(), ctx).firewall?.ports[0];
    assert.deepEqual(a?.spoof, [
      { mac: 'fa:16:3e:00:00:0a', ipv4: ['10.0.0.10', '10.0.0.100'], ipv6: [linkLocal('fa:16:3e:00:00:0a')] },
      { mac: 'fa:16:3e:99:99:99', ipv4: ['10.0.5.0/24'], ipv6: ['fe80::f816:3eff:fe99:9999'] },
    ]);
    assert.equal(linkLocal('fa:16:3e:bc:78:a8'), 'fe80::f816:3eff:febc:78a8');
  });

  it('writes two tables in the host namespace: the bridge one with anti-spoofing and marks, the inet one with zones and rules', () => {
    const plan = compile(model(), ctx);
    const [bridge, inet] = plan.firewall?.tables ?? [];
    assert.deepEqual(plan.nftTables?.map((t) => [t.ns, t.family, t.name]), [[plan.hostNs, 'bridge', FIREWALL_TABLE], [plan.hostNs, 'inet', FIREWALL_TABLE]]);
    assert.match(bridge?.body ?? '', /iifname vmap \{ "tapaaaaaaaa-00" : jump spoof-aaaaaaaa-0000-4000-8000-00000000000a, "tapbbbbbbbb-00" : jump spoof-/);
    assert.match(bridge?.body ?? '', /udp sport 67 udp dport 68 drop/);
    assert.match(bridge?.body ?? '', /icmpv6 type nd-router-advert drop/);
    assert.match(bridge?.body ?? '', /ether saddr fa:16:3e:00:00:0a arp saddr ether fa:16:3e:00:00:0a arp saddr ip \{ 0\.0\.0\.0, 10\.0\.0\.10, 10\.0\.0\.100 \} accept/);
    assert.match(bridge?.body ?? '', /meta mark set meta mark & 0x0000ffff \| 0x00020000/);
    assert.match(inet?.body ?? '', /ct zone set iifname map \{ "brq1420c69e-77" : \d+, "brq2420c69e-77" : \d+ \}/);
    assert.match(inet?.body ?? '', /meta l4proto 6 th dport 22 accept comment "r-ssh"/);
    assert.match(inet?.body ?? '', /chain ingress-aaaaaaaa-0000-4000-8000-00000000000a \{\n\t\tct state vmap \{ invalid : drop, established : accept, related : accept \}\n\t\tmeta nfproto ipv4 udp sport 67 udp dport 68 accept/);
    assert.doesNotMatch(inet?.body ?? '', /dddddddd/, 'the port without port security is not filtered');
  });

  it('drops conntrack verdicts for a port whose groups are all stateless', () => {
    const fw = firewall();
    const stateless: FirewallModel = { ...fw, groups: fw.groups.map((g) => ({ ...g, stateful: false })) };
    const a = compile(model(stateless), ctx).firewall;
    assert.equal(a?.ports[0]?.stateful, false);
    assert.doesNotMatch(a?.tables[1]?.body ?? '', /ct state vmap/);
  });

  it('has no firewall on a host without filtered ports, and a port without groups drops all but DHCP and IPv6 basics', () => {
    const fw = firewall();
    const bare: FirewallModel = { ...fw, ports: new Map([...fw.ports].map(([id, p]) => [id, { ...p, groups: [] }])) };
    const plan = compile(model(bare), ctx);
    assert.deepEqual(plan.firewall?.ports[0]?.ingress, []);
    assert.deepEqual(plan.firewall?.ports[0]?.egress, []);
    const off: FirewallModel = { ...fw, ports: new Map([...fw.ports].map(([id, p]) => [id, { ...p, enabled: false }])) };
    assert.equal(compile(model(off), ctx).firewall, null);
    assert.deepEqual(compile(model(off), ctx).nftTables, []);
  });
});
