/**
 * Flows that must not outlive a floating IP: which conntrack entries a router's NAT change makes
 * stale (pure), and that the diff asks for that clean-up right after replacing the NAT table.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type CompileContext } from '../src/agent/compile.js';
import { scopeOf } from '../src/agent/agent.js';
import { diff } from '../src/dataplane/diff.js';
import { FakeDataplane } from '../src/dataplane/drivers/fake/driver.js';
import { parseConntrack, staleEntries } from '../src/dataplane/drivers/linux/conntrack.js';
import { FIP, l3Model, PUBLIC, ROUTER } from './helpers/l3-model.js';

const LISTING = [
  // The outside host pinging 172.24.4.51, DNATed to 10.0.0.6.
  'icmp     1 29 src=203.0.113.10 dst=172.24.4.51 type=8 code=0 id=7 src=10.0.0.6 dst=203.0.113.10 type=0 code=0 id=7 mark=0 use=1',
  // ssh from outside to 172.24.4.52, DNATed to 10.0.0.7.
  'tcp      6 431999 ESTABLISHED src=203.0.113.10 dst=172.24.4.52 sport=40000 dport=22 src=10.0.0.7 dst=203.0.113.10 sport=22 dport=40000 [ASSURED] mark=0 use=1',
  // 10.0.0.6 going out, SNATed to its floating IP 172.24.4.51.
  'tcp      6 100 ESTABLISHED src=10.0.0.6 dst=203.0.113.10 sport=50000 dport=5555 src=203.0.113.10 dst=172.24.4.51 sport=5555 dport=50000 [ASSURED] mark=0 use=1',
  // 10.0.0.9 going out through SNAT to the gateway address.
  'udp      17 20 src=10.0.0.9 dst=203.0.113.10 sport=123 dport=123 src=203.0.113.10 dst=172.24.4.2 sport=123 dport=123 mark=0 use=1',
].join('\n');

describe('dataplane: conntrack after a NAT change', () => {
  it('reads the original and reply directions of each entry', () => {
    assert.deepEqual(parseConntrack(LISTING)[0], { origSrc: '203.0.113.10', origDst: '172.24.4.51', replySrc: '10.0.0.6', replyDst: '203.0.113.10' });
    assert.equal(parseConntrack(`${LISTING}\nconntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.`).length, 4);
  });

  it('keeps every flow while the mappings stand', () => {
    const floating = [{ address: '172.24.4.51', fixedIp: '10.0.0.6' }, { address: '172.24.4.52', fixedIp: '10.0.0.7' }];
    assert.deepEqual(staleEntries(parseConntrack(LISTING), floating, []), []);
  });

  it('drops the flows, both ways, of a floating IP that was removed, and only those', () => {
    const stale = staleEntries(parseConntrack(LISTING), [{ address: '172.24.4.52', fixedIp: '10.0.0.7' }], ['172.24.4.51']);
    assert.deepEqual(stale.map((e) => `${e.origSrc}>${e.origDst}`), ['203.0.113.10>172.24.4.51', '10.0.0.6>203.0.113.10']);
  });

  it('drops the flows of a floating IP that now maps to another server', () => {
    const floating = [{ address: '172.24.4.51', fixedIp: '10.0.0.8' }, { address: '172.24.4.52', fixedIp: '10.0.0.7' }];
    const stale = staleEntries(parseConntrack(LISTING), floating, []);
    assert.deepEqual(stale.map((e) => `${e.origSrc}>${e.origDst}`), ['203.0.113.10>172.24.4.51', '10.0.0.6>203.0.113.10']);
  });

  it('asks for the clean-up right after the NAT table when a floating IP is disassociated', async () => {
    const ctx: CompileContext = {
      host: 'network1', home: '/tmp/kumo-conntrack-test', homeHash: 'abcd1234', underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 },
    };
    const driver = new FakeDataplane(ctx.home);
    const associated = compile(l3Model(), ctx);
    for (let i = 0; i < 3; i++) await driver.apply(diff(associated, await driver.observe(scopeOf(associated))));
    assert.deepEqual(diff(associated, await driver.observe(scopeOf(associated))), []);
    const disassociated = compile(l3Model({ floatingIps: [{ id: FIP, address: '172.24.4.51', networkId: PUBLIC, fixedPortId: null, fixedIp: null, routerId: null, status: 'ACTIVE' }] }), ctx);
    const ops = diff(disassociated, await driver.observe(scopeOf(disassociated)));
    assert.deepEqual(ops.map((a) => a.op), ['addr.delete', 'nft.table', 'nat.conntrack']);
    assert.deepEqual(ops[2], { op: 'nat.conntrack', ns: `qrouter-${ROUTER}`, floating: [], removed: ['172.24.4.51'] });
  });
});
