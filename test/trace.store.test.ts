/**
 * `kumo trace` against a real store: the first-start provisioning (public, private, router1), a
 * server booted through Nova, a floating IP and security-group rules made through Neutron's API;
 * the CLI command reads them back and answers with the rule ids the API returned.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from './helpers/cloud.js';
import { bootActive, nova } from './helpers/servers-fixtures.js';
import { waitFor } from './helpers/dataplane.js';
import { traceCommand } from '../src/cli/trace.js';
import type { OutsideWorld } from '../src/trace/path.js';

const V2 = '/network/v2.0';
const OUTSIDE: OutsideWorld = { cidr: '203.0.113.0/24', hostIp: '203.0.113.10', hostAccess: [] };

describe('kumo trace on a provisioned cloud', () => {
  let cloud: TestCloud;
  let demo: string;
  let server: Record<string, any>;
  let fixedIp: string;

  async function run(args: string[], outside: OutsideWorld | null | undefined = OUTSIDE): Promise<{ code: number; text: string }> {
    let text = '';
    const code = await traceCommand(cloud.config, args, outside, (t) => { text += t; });
    return { code, text };
  }

  before(async () => {
    cloud = await startTestCloud({ config: { dataplane: 'fake', provisionDemo: true } });
    demo = await cloud.token('demo');
    const nets = (await cloud.request('GET', `${V2}/networks?name=private`, { token: demo })).body.networks;
    server = await bootActive(cloud, nova(cloud, demo), nets[0].id, { name: 'cirros-01' });
    assert.equal(server.status, 'ACTIVE');
    fixedIp = server.addresses.private[0].addr;
    // The fake data plane wires the port and reports it ACTIVE, as the Linux one does.
    await waitFor('the server port to go ACTIVE', async () => {
      const ports = (await cloud.request('GET', `${V2}/ports?device_id=${server.id}`, { token: demo })).body.ports;
      return ports[0]?.status === 'ACTIVE';
    });
  });
  after(async () => {
    await cloud?.destroy();
  });

  it('reaches the network DHCP port on-link, allowed out by a default-group egress rule', async () => {
    const sub = (await cloud.request('GET', `${V2}/subnets?name=private_subnet`, { token: demo })).body.subnets[0];
    const ports = (await cloud.request('GET', `${V2}/ports?network_id=${sub.network_id}&device_owner=network:dhcp`, { token: demo })).body.ports;
    const dhcpIp = ports[0].fixed_ips[0].ip_address as string;
    const rules = (await cloud.request('GET', `${V2}/security-group-rules?direction=egress&ethertype=IPv4`, { token: demo })).body.security_group_rules;
    const r = await run(['cirros-01', dhcpIp, 'udp/53']);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, new RegExp(`trace udp/53 from server cirros-01 \\(${fixedIp.replaceAll('.', '\\.')}\\) to ${dhcpIp.replaceAll('.', '\\.')}`));
    assert.ok(rules.some((x: any) => r.text.includes(`rule ${x.id} of group default`)), r.text);
    assert.match(r.text, /result: REACHABLE/);
  });

  it('an address nobody has on the network: dropped, ARP unanswered', async () => {
    const r = await run(['cirros-01', '10.0.0.250']);
    assert.equal(r.code, 1, r.text);
    assert.match(r.text, /DROP network private .*no port on this network has 10\.0\.0\.250/);
  });

  it('from outside to its floating IP: DNAT, dropped by default, passes once the tcp 22 rule exists', async () => {
    const pub = (await cloud.request('GET', `${V2}/networks?name=public`, { token: demo })).body.networks[0];
    const port = (await cloud.request('GET', `${V2}/ports?device_id=${server.id}`, { token: demo })).body.ports[0];
    const fip = (await cloud.request('POST', `${V2}/floatingips`, { token: demo, body: { floatingip: { floating_network_id: pub.id, port_id: port.id } } })).body.floatingip;
    assert.ok(fip?.floating_ip_address);
    const closed = await run(['--outside', fip.floating_ip_address, 'tcp/22']);
    assert.equal(closed.code, 1, closed.text);
    assert.match(closed.text, new RegExp(`DNAT ${fip.floating_ip_address.replaceAll('.', '\\.')} → ${fixedIp.replaceAll('.', '\\.')}`));
    assert.match(closed.text, /DROP destination port .*security groups drop it/);

    const group = (await cloud.request('GET', `${V2}/security-groups?name=default`, { token: demo })).body.security_groups[0];
    const created = await cloud.request('POST', `${V2}/security-group-rules`, { token: demo, body: { security_group_rule: {
      security_group_id: group.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' } } });
    assert.equal(created.status, 201, created.text);
    const open = await run(['--outside', fip.floating_ip_address, 'tcp/22']);
    assert.equal(open.code, 0, open.text);
    assert.ok(open.text.includes(`by rule ${created.body.security_group_rule.id} of group default`), open.text);
    // Port 80 stays closed: the rule is for 22 only.
    assert.equal((await run(['--outside', fip.floating_ip_address, 'tcp/80'])).code, 1);
  });

  it('finds the outside world where the data plane puts it (the first free documentation range)', async () => {
    const r = await run(['cirros-01', '203.0.113.10'], undefined);
    assert.equal(r.code, 0, r.text);
    // The earlier case gave the server a floating IP: it leaves with that address.
    assert.match(r.text, /SNAT \S+ → 172\.24\.4\.\d+ \(the source's floating IP\)/);
    assert.match(r.text, /delivered to the outside host 203\.0\.113\.10/);
    const beyond = await run(['cirros-01', '8.8.8.8'], undefined);
    assert.equal(beyond.code, 1);
    assert.match(beyond.text, /dead end/);
  });

  it('unknown servers, bad addresses and bad protocols are errors, not verdicts', async () => {
    await assert.rejects(run(['nobody', '10.0.0.1']), /no server nobody/);
    await assert.rejects(run(['cirros-01', 'not-an-ip']), /not an IP address/);
    await assert.rejects(run(['cirros-01', '10.0.0.1', 'tcp']), /needs a port/);
    await assert.rejects(run(['--outside', '172.24.4.1'], null), /outside world is not known/);
    await assert.rejects(run([]), /usage: kumo trace/);
  });
});
