/** The firewall plan as a decision on tracked flows (no root): parsing `conntrack -L` and telling which flows only a removed rule admitted. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFirewall } from '../src/agent/compile-firewall.js';
import type { FirewallModel, ModelRule } from '../src/agent/model-firewall.js';
import type { Model } from '../src/agent/model.js';
import { flowAllowed, parseConntrackFlows, staleFlows } from '../src/dataplane/firewall-eval.js';
import type { TapPlan } from '../src/dataplane/plan.js';

const NET = '7a7a7a7a-0000-4000-8000-000000000001';
const G = '7b7b7b7b-0000-4000-8000-000000000001';
const A = 'a7000000-0000-4000-8000-00000000000a';
const B = 'b7000000-0000-4000-8000-00000000000b';

const rule = (id: string, over: Partial<ModelRule>): ModelRule => ({
  id, groupId: G, direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null,
  remoteIpPrefix: null, remoteGroupId: null, remoteAddressGroupId: null, ...over,
});

function plan(rules: ModelRule[]) {
  const firewall: FirewallModel = {
    groups: [{ id: G, stateful: true }], rules, addressGroups: new Map(),
    ports: new Map([[A, { enabled: true, groups: [G], allowedAddressPairs: [] }], [B, { enabled: false, groups: [], allowedAddressPairs: [] }]]),
  };
  const port = (id: string, ip: string) => ({ id, networkId: NET, mac: `fa:16:3e:00:00:${id.slice(-2)}`, deviceOwner: 'compute:nova', deviceId: 's', hostId: 'h1', adminStateUp: true,
    status: 'ACTIVE', vifType: 'bridge', dnsName: '', fixedIps: [{ subnetId: 's', ip }], extraDhcpOpts: [] });
  const model: Model = { hosts: [], networks: [], subnets: [], ports: [port(A, '10.7.0.10'), port(B, '10.7.0.11')], dhcpHosts: new Map(), firewall };
  const taps: TapPlan[] = [A, B].map((id) => ({ portId: id, networkId: NET, tap: `tap${id.slice(0, 11)}`, bridge: 'brq', mtu: 1450, up: true }));
  const fw = compileFirewall(model, 'host-ns', taps);
  assert.ok(fw);
  return fw;
}

describe('dataplane: firewall flows', () => {
  it('reads conntrack -L lines: protocol, original tuple, ports or ICMP type/code/id, zone', () => {
    const [tcp, icmp] = parseConntrackFlows([
      'tcp      6 431999 ESTABLISHED src=10.7.0.11 dst=10.7.0.10 sport=41234 dport=22 src=10.7.0.10 dst=10.7.0.11 sport=22 dport=41234 [ASSURED] mark=0 zone=7 use=1',
      'icmp     1 29 src=10.7.0.11 dst=10.7.0.10 type=8 code=0 id=77 src=10.7.0.10 dst=10.7.0.11 type=0 code=0 id=77 mark=0 zone=7 use=1',
      'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.',
    ].join('\n'));
    assert.deepEqual(tcp, { zone: 7, protocol: 6, src: '10.7.0.11', dst: '10.7.0.10', sport: 41234, dport: 22, icmpType: null, icmpCode: null, icmpId: null });
    assert.deepEqual(icmp, { zone: 7, protocol: 1, src: '10.7.0.11', dst: '10.7.0.10', sport: null, dport: null, icmpType: 8, icmpCode: 0, icmpId: 77 });
  });

  it('keeps flows a rule still admits and names those none does', () => {
    const fw = plan([rule('ssh', { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }), rule('egress', { direction: 'egress' })]);
    const zone = fw.zones[0]?.zone as number;
    const flow = (over: object) => ({ zone, protocol: 6, src: '10.7.0.11', dst: '10.7.0.10', sport: 40000, dport: 22, icmpType: null, icmpCode: null, icmpId: null, ...over });
    assert.equal(flowAllowed(fw, flow({})), true, 'ssh in');
    assert.equal(flowAllowed(fw, flow({ dport: 80 })), false, 'http in');
    assert.equal(flowAllowed(fw, flow({ protocol: 1, dport: null, sport: null, icmpType: 8, icmpCode: 0 })), false, 'ping in');
    assert.equal(flowAllowed(fw, flow({ src: '10.7.0.10', dst: '10.7.0.11', dport: 80 })), true, 'out: egress any, B unfiltered');
    assert.equal(flowAllowed(fw, flow({ zone: zone + 1, dport: 80 })), true, 'another zone is not this plan\'s');
    assert.deepEqual(staleFlows(fw, [flow({}), flow({ dport: 80 })]).map((f) => f.dport), [80]);
  });
});
