/**
 * `kumo trace`'s path walk on a hand-built model: the verdict and the hop that decided for the
 * paths seed 001's author got stuck on (no router interface, no gateway, no floating IP, a
 * security group without the rule), and the NAT hops (SNAT, floating-IP DNAT, hairpin).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlow } from '../src/trace/flow.js';
import type { TraceFloatingIp, TraceModel, TracePort, TraceRouter, TraceRule } from '../src/trace/model.js';
import { renderTrace, trace, TraceError, type OutsideWorld, type TraceRequest } from '../src/trace/path.js';

const OUTSIDE: OutsideWorld = { cidr: '203.0.113.0/24', hostIp: '203.0.113.10', hostAccess: ['172.24.4.254'] };
const DEFAULT = 'sg-default';
const WEB = 'sg-web';

function port(id: string, networkId: string, ip: string, subnetId: string, owner: string, deviceId: string, groups: string[] = []): TracePort {
  return {
    id, name: id, networkId, mac: 'fa:16:3e:00:00:01', deviceOwner: owner, deviceId, adminStateUp: true, status: 'ACTIVE', hostId: 'h1',
    portSecurity: owner.startsWith('compute:'), fixedIps: [{ subnetId, ip }], allowedAddressPairs: [], securityGroups: groups,
  };
}

function rule(id: string, group: string, direction: 'ingress' | 'egress', extra: Partial<TraceRule> = {}): TraceRule {
  return {
    id, groupId: group, direction, ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null,
    remoteIpPrefix: null, remoteGroupId: null, remoteAddressGroupId: null, ...extra,
  };
}

interface Fixture {
  ports: TracePort[];
  rules: TraceRule[];
  routers: TraceRouter[];
  floatingIps: TraceFloatingIp[];
  addressGroups: Map<string, string[]>;
}

function model(change: (f: Fixture) => void = () => {}): TraceModel {
  const f: Fixture = {
    ports: [
      port('p-a', 'net-private', '10.0.0.5', 'sub-private', 'compute:nova', 'srv-a', [DEFAULT]),
      port('p-b', 'net-private', '10.0.0.6', 'sub-private', 'compute:nova', 'srv-b', [DEFAULT]),
      port('p-c', 'net-other', '10.1.0.5', 'sub-other', 'compute:nova', 'srv-c', [DEFAULT]),
      port('p-dhcp', 'net-private', '10.0.0.2', 'sub-private', 'network:dhcp', 'dhcp'),
      port('p-qr', 'net-private', '10.0.0.1', 'sub-private', 'network:router_interface', 'r1'),
      port('p-qg', 'net-public', '172.24.4.10', 'sub-public', 'network:router_gateway', 'r1'),
      port('p-fip', 'net-public', '172.24.4.20', 'sub-public', 'network:floatingip', 'fip-b'),
    ],
    rules: [
      rule('r-eg', DEFAULT, 'egress'),
      rule('r-in-group', DEFAULT, 'ingress', { remoteGroupId: DEFAULT }),
    ],
    routers: [{ id: 'r1', name: 'router1', adminStateUp: true, gwPortId: 'p-qg', enableSnat: true, routes: [], hosts: ['h1'] }],
    floatingIps: [{ id: 'fip-b', address: '172.24.4.20', networkId: 'net-public', fixedPortId: 'p-b', fixedIp: '10.0.0.6', routerId: 'r1', status: 'ACTIVE' }],
    addressGroups: new Map(),
  };
  change(f);
  return {
    networks: [
      { id: 'net-private', name: 'private', adminStateUp: true, external: false },
      { id: 'net-other', name: 'other', adminStateUp: true, external: false },
      { id: 'net-public', name: 'public', adminStateUp: true, external: true },
    ],
    subnets: [
      { id: 'sub-private', name: 'private_subnet', networkId: 'net-private', cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' },
      { id: 'sub-other', name: 'other_subnet', networkId: 'net-other', cidr: '10.1.0.0/24', gatewayIp: '10.1.0.1' },
      { id: 'sub-public', name: 'public_subnet', networkId: 'net-public', cidr: '172.24.4.0/24', gatewayIp: '172.24.4.1' },
    ],
    ports: f.ports,
    groups: [
      { id: DEFAULT, name: 'default', projectId: 'demo', stateful: true },
      { id: WEB, name: 'web', projectId: 'demo', stateful: true },
    ],
    rules: f.rules,
    routers: f.routers,
    routerPorts: new Map([['p-qr', 'r1'], ['p-qg', 'r1']]),
    floatingIps: f.floatingIps,
    servers: ['a', 'b', 'c'].map((n) => ({ id: `srv-${n}`, name: `server-${n}`, vmState: 'active', powerState: 1, host: 'h1' })),
    addressGroups: f.addressGroups,
  };
}

function req(from: string, destination: string, flow = 'icmp'): TraceRequest {
  return { source: from === 'outside' ? { kind: 'outside' } : { kind: 'server', ref: from }, destination, flow: parseFlow(flow, 'IPv4'), outside: OUTSIDE };
}

const lastDrop = (r: ReturnType<typeof trace>) => r.hops.find((h) => h.verdict === 'drop');

describe('kumo trace: the path walk', () => {
  it('same network: allowed out by the default egress rule and in by the remote-group rule', () => {
    const r = trace(model(), req('server-a', '10.0.0.6'));
    assert.equal(r.reachable, true);
    assert.equal(r.source, '10.0.0.5');
    assert.match(r.hops.map((h) => h.rule ?? '').join('\n'), /rule r-eg .*egress IPv4 any/);
    assert.match(r.hops.map((h) => h.rule ?? '').join('\n'), /rule r-in-group .*remote group default/);
  });

  it('a port with no matching ingress rule is dropped at the destination, naming its groups', () => {
    const m = model((f) => { f.ports[1] = { ...(f.ports[1] as TracePort), securityGroups: [WEB] }; });
    const r = trace(m, req('server-a', '10.0.0.6', 'tcp/80'));
    assert.equal(r.reachable, false);
    assert.match(lastDrop(r)?.at ?? '', /destination port p-b of server server-b/);
    assert.match(lastDrop(r)?.detail ?? '', /no ingress rule/);
  });

  it('port ranges and ICMP types match as Neutron defines them', () => {
    const m = model((f) => {
      f.ports[1] = { ...(f.ports[1] as TracePort), securityGroups: [WEB] };
      f.rules.push(rule('r-ssh', WEB, 'ingress', { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '10.0.0.0/24' }));
      f.rules.push(rule('r-echo', WEB, 'ingress', { protocol: '1', portRangeMin: 8, portRangeMax: null }));
    });
    assert.equal(trace(m, req('server-a', '10.0.0.6', 'tcp/22')).reachable, true);
    assert.equal(trace(m, req('server-a', '10.0.0.6', 'tcp/23')).reachable, false);
    assert.equal(trace(m, req('server-a', '10.0.0.6', 'icmp')).reachable, true);
    assert.equal(trace(m, req('server-a', '10.0.0.6', 'icmp/13')).reachable, false);
    assert.equal(trace(m, req('server-a', '10.0.0.6', 'udp/22')).reachable, false);
  });

  it('a rule naming an address group admits exactly the addresses in the group, as the agent\'s set does', () => {
    const m = (addresses: string[]) => model((f) => {
      f.ports[1] = { ...(f.ports[1] as TracePort), securityGroups: [WEB] };
      f.rules.push(rule('r-ag', WEB, 'ingress', { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteAddressGroupId: 'ag-1' }));
      f.addressGroups.set('ag-1', addresses);
    });
    const r = trace(m(['10.0.0.4/31', '192.0.2.0/24']), req('server-a', '10.0.0.6', 'tcp/22'));
    assert.equal(r.reachable, true, '10.0.0.5 is in 10.0.0.4/31');
    assert.match(r.hops.map((h) => h.rule ?? '').join('\n'), /rule r-ag .*remote address group ag-1/);
    const out = trace(m(['10.0.0.6/32', '2001:db8::/64']), req('server-a', '10.0.0.6', 'tcp/22'));
    assert.equal(out.reachable, false, '10.0.0.5 is not in the group');
    assert.match(lastDrop(out)?.detail ?? '', /no ingress rule of its group matches IPv4 from\/to 10\.0\.0\.5$/);
    assert.equal(trace(m([]), req('server-a', '10.0.0.6', 'tcp/22')).reachable, false, 'an empty group admits nobody');
  });

  it('to the outside host: through router1 with SNAT to its gateway address', () => {
    const r = trace(model(), req('server-a', '203.0.113.10'));
    assert.equal(r.reachable, true, renderTrace(req('server-a', '203.0.113.10'), r));
    assert.ok(r.hops.some((h) => /SNAT 10\.0\.0\.5 → 172\.24\.4\.10/.test(h.detail)));
    assert.match(r.hops.at(-1)?.detail ?? '', /outside host 203\.0\.113\.10, which sees the source 172\.24\.4\.10/);
  });

  it('a server with its own floating IP leaves with that address', () => {
    const r = trace(model(), req('server-b', '203.0.113.10'));
    assert.ok(r.hops.some((h) => /SNAT 10\.0\.0\.6 → 172\.24\.4\.20 \(the source's floating IP\)/.test(h.detail)));
  });

  it('beyond the sandboxed upstream there is nothing', () => {
    const r = trace(model(), req('server-a', '8.8.8.8'));
    assert.equal(r.reachable, false);
    assert.match(lastDrop(r)?.detail ?? '', /dead end/);
  });

  it('from outside to a floating IP: DNAT, then the ingress rules decide', () => {
    const closed = trace(model(), req('outside', '172.24.4.20', 'tcp/22'));
    assert.equal(closed.reachable, false);
    assert.ok(closed.hops.some((h) => /DNAT 172\.24\.4\.20 → 10\.0\.0\.6/.test(h.detail)));
    assert.match(lastDrop(closed)?.detail ?? '', /security groups drop it/);
    const open = trace(model((f) => f.rules.push(rule('r-22', DEFAULT, 'ingress', { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' }))),
      req('outside', '172.24.4.20', 'tcp/22'));
    assert.equal(open.reachable, true);
    assert.match(open.hops.map((h) => h.rule ?? '').join('\n'), /rule r-22/);
  });

  it('a floating IP not associated answers nothing', () => {
    const m = model((f) => { f.floatingIps[0] = { ...(f.floatingIps[0] as TraceFloatingIp), fixedPortId: null, fixedIp: null }; });
    const r = trace(m, req('outside', '172.24.4.20'));
    assert.equal(r.reachable, false);
    assert.match(lastDrop(r)?.detail ?? '', /not associated/);
  });

  it('a subnet whose gateway no router holds: nothing routes off it', () => {
    const r = trace(model(), req('server-c', '10.0.0.5'));
    assert.equal(r.reachable, false);
    assert.match(lastDrop(r)?.detail ?? '', /nothing holds the gateway 10\.1\.0\.1: no router interface/);
  });

  it('once other_subnet has an interface on router1, the routed flow keeps its source', () => {
    const m = model((f) => { f.ports.push(port('p-qr2', 'net-other', '10.1.0.1', 'sub-other', 'network:router_interface', 'r1')); });
    const withItf: TraceModel = { ...m, routerPorts: new Map([...m.routerPorts, ['p-qr2', 'r1']]) };
    const r = trace(withItf, req('server-c', '10.0.0.5'));
    assert.equal(r.reachable, true, renderTrace(req('server-c', '10.0.0.5'), r));
    assert.ok(r.hops.some((h) => /source 10\.1\.0\.5 kept/.test(h.detail)));
  });

  it('a router without a gateway, or administratively down, drops what leaves', () => {
    const noGw = trace(model((f) => { f.routers[0] = { ...(f.routers[0] as TraceRouter), gwPortId: null }; }), req('server-a', '203.0.113.10'));
    assert.match(lastDrop(noGw)?.detail ?? '', /no external gateway/);
    const down = trace(model((f) => { f.routers[0] = { ...(f.routers[0] as TraceRouter), adminStateUp: false }; }), req('server-a', '203.0.113.10'));
    assert.match(lastDrop(down)?.detail ?? '', /administratively down/);
  });

  it('hairpin: the destination sees the router gateway address, so a remote-group rule does not match', () => {
    const r = trace(model(), req('server-a', '172.24.4.20'));
    assert.equal(r.reachable, false);
    assert.ok(r.hops.some((h) => /hairpin NAT, the destination sees 172\.24\.4\.10/.test(h.detail)));
  });

  it('port security off: no filtering at all', () => {
    const m = model((f) => { f.ports[1] = { ...(f.ports[1] as TracePort), portSecurity: false, securityGroups: [] }; });
    const r = trace(m, req('outside', '172.24.4.20', 'udp/5000'));
    assert.equal(r.reachable, true);
    assert.ok(r.hops.some((h) => /port security is disabled/.test(h.detail)));
  });

  it('the gateway and the host-access address on the external network', () => {
    assert.equal(trace(model(), req('outside', '172.24.4.1')).reachable, true);
    assert.equal(trace(model(), req('server-a', '172.24.4.254')).reachable, true);
    assert.equal(trace(model(), req('server-a', '172.24.4.99')).reachable, false);
  });

  it('a stopped server or a DOWN port says so', () => {
    const m = model((f) => { f.ports[1] = { ...(f.ports[1] as TracePort), status: 'DOWN' }; });
    assert.match(lastDrop(trace(m, req('server-a', '10.0.0.6')))?.detail ?? '', /the port is DOWN: no agent has wired it/);
  });

  it('questions that cannot be asked are errors, not drops', () => {
    assert.throws(() => trace(model(), req('nobody', '10.0.0.6')), TraceError);
    assert.throws(() => trace(model(), { ...req('server-a', '10.0.0.6'), destination: '10.0.0.300' }), TraceError);
    assert.throws(() => parseFlow('tcp', 'IPv4'), /needs a port/);
    assert.throws(() => parseFlow('tcp/70000', 'IPv4'), /out of range/);
    assert.throws(() => parseFlow('bogus', 'IPv4'), /unknown protocol/);
    assert.throws(() => parseFlow('tcp/22;rm', 'IPv4'), /cannot read/);
  });
});

describe('kumo trace: the live rules', () => {
  // Every host namespace "exists" for these cases; a missing one means no live findings at all.
  const everyNamespace = async () => ({ has: () => true }) as unknown as ReadonlySet<string>;

  it('has nothing to say where no host namespace exists (fake or off data plane)', async () => {
    const { liveFindings } = await import('../src/trace/live.js');
    const r = trace(model(), req('server-a', '10.0.0.6'));
    assert.equal((await liveFindings(r, '/tmp/h', async () => ['r-eg'], async () => new Set<string>())).size, 0);
  });

  it('says whether the kernel holds the deciding rule in the port chain on its host', async () => {
    const { liveFindings } = await import('../src/trace/live.js');
    const r = trace(model(), req('server-a', '10.0.0.6'));
    const chains = new Map<string, string[]>([['egress-p-a', ['r-eg']], ['ingress-p-b', ['other-rule']]]);
    const live = await liveFindings(r, '/tmp/kumo-trace-home', async (_ns, chain) => chains.get(chain) ?? null, everyNamespace);
    const text = renderTrace(req('server-a', '10.0.0.6'), r, live);
    assert.match(text, /live: rule r-eg is in chain egress-p-a of table inet kumo-sg in kumo-[0-9a-f]{8}-host-h1/);
    assert.match(text, /live: rule r-in-group is NOT in chain ingress-p-b .*agent not converged/);
    const none = await liveFindings(r, '/tmp/kumo-trace-home', async () => null, everyNamespace);
    assert.match(renderTrace(req('server-a', '10.0.0.6'), r, none), /live: no chain egress-p-a/);
  });

  it('a drop names the chain that ends in drop; unfiltered ports have nothing to check', async () => {
    const { liveFindings } = await import('../src/trace/live.js');
    const m = model((f) => { f.ports[1] = { ...(f.ports[1] as TracePort), securityGroups: [WEB] }; });
    const r = trace(m, req('server-a', '10.0.0.6', 'tcp/80'));
    const live = await liveFindings(r, '/tmp/h', async () => ['r-x', 'r-y'], everyNamespace);
    assert.match(renderTrace(req('server-a', '10.0.0.6', 'tcp/80'), r, live), /ingress-p-b .* has 2 rule\(s\), none for this flow: it ends in drop/);
    const open = trace(model((f) => { f.ports[1] = { ...(f.ports[1] as TracePort), portSecurity: false, securityGroups: [] }; }), req('outside', '172.24.4.20', 'udp/5000'));
    assert.equal(open.hops.filter((h) => h.firewall).length, 0);
  });
});
