/** A router's NAT table: compiled from the router plan, compared with the expected nft text (no root). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type CompileContext } from '../src/agent/compile.js';
import { natTableBody } from '../src/agent/compile-nat.js';
import type { RouterNatPlan } from '../src/dataplane/plan-router.js';
import { l3Model, PUBLIC, VM_PORT } from './helpers/l3-model.js';

const ctx: CompileContext = {
  host: 'network1', home: '/var/lib/kumo', homeHash: 'abcd1234', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
};

const natOf = (model = l3Model()): RouterNatPlan => compile(model, ctx).routers?.[0]?.nat as RouterNatPlan;

describe('dataplane: compile a router\'s NAT', () => {
  it('maps floating IPs both ways, SNATs the internal subnet to the gateway address, and hairpins DNATed traffic', () => {
    assert.equal(natTableBody(natOf()), [
      '\tmap fip_dnat {', '\t\ttype ipv4_addr : ipv4_addr', '\t\telements = { 172.24.4.51 : 10.0.0.6 }', '\t}',
      '\tmap fip_snat {', '\t\ttype ipv4_addr : ipv4_addr', '\t\telements = { 10.0.0.6 : 172.24.4.51 }', '\t}',
      '\tset internal {', '\t\ttype ipv4_addr', '\t\tflags interval', '\t\telements = { 10.0.0.0/24 }', '\t}',
      '\tset snat_sources {', '\t\ttype ipv4_addr', '\t\tflags interval', '\t\telements = { 10.0.0.0/24 }', '\t}',
      '\tchain prerouting {',
      '\t\ttype nat hook prerouting priority dstnat; policy accept;',
      '\t\tdnat to ip daddr map @fip_dnat',
      '\t}',
      '\tchain postrouting {',
      '\t\ttype nat hook postrouting priority srcnat; policy accept;',
      '\t\toifname "qg-5b8b000e-cf" snat to ip saddr map @fip_snat',
      '\t\tct status dnat ip saddr @internal snat to ip saddr map @fip_snat',
      '\t\toifname "qg-5b8b000e-cf" ip saddr @snat_sources snat to 172.24.4.2',
      '\t\tct status dnat ip saddr @internal snat to 172.24.4.2',
      '\t}',
      '',
    ].join('\n'));
  });

  it('leaves empty maps and sets without elements (nft refuses an empty element list)', () => {
    const body = natTableBody(natOf(l3Model({ router: { enableSnat: false }, floatingIps: [] })));
    assert.doesNotMatch(body, /elements = \{ \}/);
    assert.match(body, /map fip_dnat \{\n\t\ttype ipv4_addr : ipv4_addr\n\t\}/);
    assert.match(body, /set snat_sources \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\}/);
  });

  it('changes only the maps when a floating IP is added', () => {
    const two = l3Model({
      floatingIps: [
        { id: 'a', address: '172.24.4.51', networkId: PUBLIC, fixedPortId: VM_PORT, fixedIp: '10.0.0.6', routerId: l3Model().l3?.routers[0]?.id ?? null, status: 'ACTIVE' },
        { id: 'b', address: '172.24.4.60', networkId: PUBLIC, fixedPortId: 'p2', fixedIp: '10.0.0.9', routerId: l3Model().l3?.routers[0]?.id ?? null, status: 'DOWN' },
      ],
    });
    const before = natTableBody(natOf()).split('\n');
    const after = natTableBody(natOf(two)).split('\n');
    const changed = after.filter((l, i) => l !== before[i]);
    assert.deepEqual(changed, ['\t\telements = { 172.24.4.51 : 10.0.0.6, 172.24.4.60 : 10.0.0.9 }', '\t\telements = { 10.0.0.6 : 172.24.4.51, 10.0.0.9 : 172.24.4.60 }']);
  });

  it('refuses a device name or address that could change the ruleset\'s meaning', () => {
    assert.throws(() => natTableBody({ ...natOf(), gatewayDevice: 'qg-x" accept' }), /unsafe interface name/);
    assert.throws(() => natTableBody({ ...natOf(), gatewayIp: '172.24.4.2; flush ruleset' }), /not an IPv4 address/);
  });
});
