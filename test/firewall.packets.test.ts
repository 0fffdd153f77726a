/**
 * Security groups and port security on the Linux driver with real packets (root only; skipped
 * visibly without): "instance" namespaces plugged as tap<port> into one host, the agent's own
 * compile → diff → apply, then ping, TCP and forged frames. Default-group semantics (members
 * reach each other, others do not), rules taking effect and going away, remote groups, an
 * established flow kept while another rule admits it and ended (conntrack) when none does,
 * the spoofing matrix (foreign IP, foreign MAC, gratuitous ARP for another address, DHCP offer)
 * refused with port security and delivered without it, and a rule deleted by hand put back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { scopeOf } from '../src/agent/agent.js';
import { compile, type CompileContext } from '../src/agent/compile.js';
import type { FirewallModel, ModelRule } from '../src/agent/model-firewall.js';
import type { Model, ModelPort } from '../src/agent/model.js';
import { diff } from '../src/dataplane/diff.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { run } from '../src/dataplane/linux/exec.js';
import { homeHash } from '../src/dataplane/names.js';
import { leftoverNamespaces, ping, plugTestNic, rootSkip, type TestNic } from './helpers/dataplane.js';
import { captureWhile, gratuitousArp, rawFramesSkip, sendFrames, tokenHex, udpFrame } from './helpers/raw-frames.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const NET = '5a5a5a5a-0000-4000-8000-000000000001';
const SUB = '5a5a5a5a-0000-4000-8000-000000000002';
const G = '6b6b6b6b-0000-4000-8000-00000000000a';
const H = '6b6b6b6b-0000-4000-8000-00000000000b';

interface Vm {
  readonly name: string;
  readonly id: string;
  readonly mac: string;
  readonly ip: string;
  readonly groups: readonly string[];
  readonly portSecurity: boolean;
}

const VMS: readonly Vm[] = [
  { name: 'a', id: 'a0000000-0000-4000-8000-00000000000a', mac: 'fa:16:3e:50:00:0a', ip: '10.50.0.10', groups: [G], portSecurity: true },
  { name: 'b', id: 'b0000000-0000-4000-8000-00000000000b', mac: 'fa:16:3e:50:00:0b', ip: '10.50.0.11', groups: [G], portSecurity: true },
  { name: 'c', id: 'c0000000-0000-4000-8000-00000000000c', mac: 'fa:16:3e:50:00:0c', ip: '10.50.0.12', groups: [H], portSecurity: true },
  { name: 'open', id: 'd0000000-0000-4000-8000-00000000000d', mac: 'fa:16:3e:50:00:0d', ip: '10.50.0.13', groups: [], portSecurity: false },
  { name: 'sink', id: 'e0000000-0000-4000-8000-00000000000e', mac: 'fa:16:3e:50:00:0e', ip: '10.50.0.14', groups: [], portSecurity: false },
];
const vm = (name: string) => VMS.find((v) => v.name === name) as Vm;

const rule = (id: string, groupId: string, over: Partial<ModelRule>): ModelRule => ({
  id, groupId, direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null,
  remoteIpPrefix: null, remoteGroupId: null, remoteAddressGroupId: null, ...over,
});

/** Neutron's default group rules for G and H: egress anywhere, ingress from members. */
const DEFAULT_RULES: readonly ModelRule[] = [
  rule('g-egress', G, { direction: 'egress' }), rule('g-members', G, { remoteGroupId: G }),
  rule('h-egress', H, { direction: 'egress' }), rule('h-members', H, { remoteGroupId: H }),
];

function modelWith(rules: readonly ModelRule[]): Model {
  const port = (v: Vm): ModelPort => ({
    id: v.id, networkId: NET, mac: v.mac, deviceOwner: 'compute:nova', deviceId: v.name, hostId: 'h1', adminStateUp: true, status: 'DOWN',
    vifType: 'unbound', dnsName: '', fixedIps: [{ subnetId: SUB, ip: v.ip }], extraDhcpOpts: [],
  });
  const firewall: FirewallModel = {
    groups: [{ id: G, stateful: true }, { id: H, stateful: true }],
    rules,
    ports: new Map(VMS.map((v) => [v.id, { enabled: v.portSecurity, groups: v.groups, allowedAddressPairs: [] }])),
    addressGroups: new Map(),
  };
  return {
    hosts: [{ name: 'h1', underlayIp: '100.64.0.1' }],
    networks: [{ id: NET, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: 77 }] }],
    subnets: [{ id: SUB, networkId: NET, ipVersion: 4, cidr: '10.50.0.0/24', gatewayIp: '10.50.0.1', enableDhcp: false, dnsNameservers: [], hostRoutes: [] }],
    ports: VMS.map(port),
    dhcpHosts: new Map(),
    firewall,
  };
}

describe('firewall: security groups and port security with real packets', { skip: rootSkip() || rawFramesSkip() }, () => {
  let home: string;
  let driver: LinuxDataplane;
  let ctx: CompileContext;
  let rootBefore: RootSnapshot;
  const nics = new Map<string, TestNic>();

  async function apply(rules: readonly ModelRule[]): Promise<void> {
    const plan = compile(modelWith(rules), ctx);
    for (let pass = 0; pass < 3; pass++) {
      const actions = diff(plan, await driver.observe(scopeOf(plan)));
      if (actions.length === 0) return;
      await driver.apply(actions);
    }
    assert.deepEqual(diff(plan, await driver.observe(scopeOf(plan))), [], 'converged');
  }
  const pings = async (from: string, to: string) => (await ping(nics.get(from)?.ns as string, vm(to).ip, 1)).received === 1;
  /** A TCP connect and one HTTP GET with Node inside the namespace (busybox wget is unusable here). */
  const tcp = async (from: string, to: string, port: number) => {
    const script = `const s=require('net').connect(${port},'${vm(to).ip}');s.setTimeout(1500,()=>process.exit(1));s.on('error',()=>process.exit(1));`
      + `s.on('connect',()=>s.write('GET /ok HTTP/1.0\\r\\n\\r\\n'));let b='';s.on('data',(d)=>b+=d);s.on('end',()=>process.exit(/\\nok\\n?$/.test(b)?0:1));`;
    const r = await run(['ip', 'netns', 'exec', nics.get(from)?.ns as string, process.execPath, '-e', script], { okCodes: [1], timeoutMs: 10_000 });
    return r.code === 0;
  };

  before(async () => {
    rootBefore = await snapshotRootNetns();
    home = mkdtempSync('/tmp/sg-firewall-');
    driver = new LinuxDataplane(home);
    ctx = { host: 'h1', home, homeHash: homeHash(home), underlayPrefixLen: 24, physicalMtu: 1500, dhcp: { domain: 'openstacklocal', leaseSeconds: 86400 } };
    await apply(DEFAULT_RULES);
    const hostNs = compile(modelWith([]), ctx).hostNs;
    for (const v of VMS) {
      const nic = await plugTestNic(home, 'h1', hostNs, v.name, { id: v.id, mac: v.mac }, 1450);
      await run(['ip', '-n', nic.ns, 'addr', 'add', `${v.ip}/24`, 'dev', nic.dev]);
      nics.set(v.name, nic);
    }
    // Every "instance" serves http://<ip>:<port>/ok on 5000-5002.
    const www = join(home, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'ok'), 'ok\n');
    for (const v of VMS) for (const port of [5000, 5001]) await run(['ip', 'netns', 'exec', nics.get(v.name)?.ns as string, 'busybox', 'httpd', '-p', String(port), '-h', www]);
    await apply(DEFAULT_RULES);
  });

  after(async () => {
    await driver?.teardown();
    const left = await leftoverNamespaces(home);
    rmSync(home, { recursive: true, force: true });
    assert.deepEqual(left, []);
    await assertRootNetnsUnchanged(rootBefore);
  });

  it('lets members of a group reach each other and keeps everyone else out (default group semantics)', async () => {
    assert.equal(await pings('a', 'b'), true, 'a → b, same group');
    assert.equal(await tcp('b', 'a', 5000), true, 'b → a tcp, same group');
    assert.equal(await pings('c', 'a'), false, 'c (other group) → a');
    assert.equal(await pings('open', 'a'), false, 'a port without security → a');
    assert.equal(await pings('a', 'c'), false, 'a → c (c admits only its own group)');
    assert.equal(await pings('a', 'open'), true, 'egress any, and open has no filter');
    const sysctl = await run(['ip', 'netns', 'exec', compile(modelWith([]), ctx).hostNs, 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']);
    assert.deepEqual(sysctl.stdout.trim().split('\n'), ['1', '1'], 'br_netfilter on in the host namespace');
  });

  it('opens ICMP and one TCP port to everyone as soon as the rules exist, and only those', async () => {
    assert.equal(await tcp('c', 'a', 5000), false);
    await apply([...DEFAULT_RULES, rule('g-icmp', G, { protocol: 'icmp' }), rule('g-5000', G, { protocol: 'tcp', portRangeMin: 5000, portRangeMax: 5000 })]);
    assert.equal(await pings('c', 'a'), true);
    assert.equal(await tcp('c', 'a', 5000), true);
    assert.equal(await tcp('c', 'a', 5001), false, 'another port stays closed');
  });

  it('admits a remote group\'s members only', async () => {
    await apply([...DEFAULT_RULES, rule('g-5001-from-h', G, { protocol: 'tcp', portRangeMin: 5001, portRangeMax: 5001, remoteGroupId: H })]);
    assert.equal(await tcp('c', 'a', 5001), true, 'c is in H');
    assert.equal(await tcp('open', 'a', 5001), false, 'open is not');
  });

  it('keeps an established flow another rule still admits, ends one only the removed rule admitted, refuses new ones', async () => {
    const echo = rule('g-echo', G, { protocol: 'icmp', portRangeMin: 8 });
    // One long ping is one conntrack entry (same ICMP id) for its whole life.
    const longPing = () => run(['ip', 'netns', 'exec', nics.get('c')?.ns as string, 'busybox', 'ping', '-c', '12', '-i', '0.2', vm('a').ip], { okCodes: [1], timeoutMs: 20_000 });
    await apply([...DEFAULT_RULES, rule('g-icmp', G, { protocol: 'icmp' }), echo]);
    let flow = longPing();
    await new Promise((r) => setTimeout(r, 600));
    await apply([...DEFAULT_RULES, echo]);
    const kept = (await flow).stdout;
    assert.match(kept, /12 packets transmitted, 12 packets received/, `still admitted by g-echo:\n${kept}`);

    flow = longPing();
    await new Promise((r) => setTimeout(r, 600));
    await apply(DEFAULT_RULES);
    assert.equal(await pings('c', 'a'), false, 'a new ping is refused');
    const ended = /12 packets transmitted, (\d+) packets received/.exec((await flow).stdout);
    assert.ok(ended && Number(ended[1]) < 10, `the flow ended with its rule: ${ended?.[0]}`);
  });

  it('delivers no forged frame from a port with port security, and all of them from one without', async () => {
    await apply(DEFAULT_RULES);
    const sink = vm('sink');
    const matrix = (from: Vm) => {
      const foreignIp = udpFrame({ srcMac: from.mac, dstMac: sink.mac, srcIp: '10.50.0.99', dstIp: sink.ip, srcPort: 4000, dstPort: 4000, token: `foreign-ip-${from.name}` });
      const foreignMac = udpFrame({ srcMac: '02:00:00:00:00:99', dstMac: sink.mac, srcIp: from.ip, dstIp: sink.ip, srcPort: 4000, dstPort: 4000, token: `foreign-mac-${from.name}` });
      const offer = udpFrame({ srcMac: from.mac, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: from.ip, dstIp: '255.255.255.255', srcPort: 67, dstPort: 68, token: `dhcp-offer-${from.name}` });
      const garp = gratuitousArp(from.mac, vm('b').ip);
      const control = udpFrame({ srcMac: from.mac, dstMac: sink.mac, srcIp: from.ip, dstIp: sink.ip, srcPort: 4000, dstPort: 4000, token: `control-${from.name}` });
      const tokens = {
        foreignIp: tokenHex(`foreign-ip-${from.name}`), foreignMac: tokenHex(`foreign-mac-${from.name}`), offer: tokenHex(`dhcp-offer-${from.name}`),
        garp: garp.token, control: tokenHex(`control-${from.name}`),
      };
      return { frames: [foreignIp, foreignMac, offer, garp.frame, control], tokens };
    };
    const seenFrom = async (name: string) => {
      const m = matrix(vm(name));
      const seen = await captureWhile(nics.get('sink')?.ns as string, 'eth0', 1.5, Object.values(m.tokens),
        () => sendFrames(nics.get(name)?.ns as string, 'eth0', m.frames));
      return Object.fromEntries(Object.entries(m.tokens).map(([k, t]) => [k, seen.has(t)]));
    };
    assert.deepEqual(await seenFrom('a'), { foreignIp: false, foreignMac: false, offer: false, garp: false, control: true });
    assert.deepEqual(await seenFrom('open'), { foreignIp: true, foreignMac: true, offer: true, garp: true, control: true });
  });

  it('puts back a firewall rule deleted by hand within one pass', async () => {
    await apply(DEFAULT_RULES);
    const hostNs = compile(modelWith([]), ctx).hostNs;
    const chain = `ingress-${vm('a').id}`;
    const listing = (await run(['ip', 'netns', 'exec', hostNs, 'nft', '-a', 'list', 'chain', 'inet', 'kumo-sg', chain])).stdout;
    const handle = /\sdrop # handle (\d+)\n\s*\}/.exec(listing)?.[1];
    assert.ok(handle, listing);
    await run(['ip', 'netns', 'exec', hostNs, 'nft', 'delete', 'rule', 'inet', 'kumo-sg', chain, 'handle', handle]);
    assert.equal(await pings('c', 'a'), true, 'without its final drop a admits anyone');
    await apply(DEFAULT_RULES);
    assert.equal(await pings('c', 'a'), false, 'the table is whole again');
  });
});
