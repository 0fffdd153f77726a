/** Ports: security groups and port security, address pairs, DHCP options, DNS, bindings, list filters. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startCloudWithTokens, startTestCloud, type TestCloud } from './helpers/cloud.js';
import { neutronError, newNetwork, newPort, newSubnet, type Json } from './helpers/ports-fixtures.js';

describe('network: port attributes', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let net: Json;
  let subnet: Json;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    net = await newNetwork(cloud, demo, { name: 'attrs' });
    subnet = await newSubnet(cloud, demo, net.id, '10.10.0.0/24');
  });
  after(async () => cloud.destroy());

  const post = (token: string, port: Record<string, unknown>) => cloud.request('POST', '/network/v2.0/ports', { token, body: { port } });
  const put = (token: string, id: string, port: Record<string, unknown>) => cloud.request('PUT', `/network/v2.0/ports/${id}`, { token, body: { port } });
  const list = async (token: string, query: string): Promise<Json[]> => {
    const res = await cloud.request('GET', `/network/v2.0/ports?${query}`, { token });
    assert.equal(res.status, 200, res.text);
    return res.body.ports;
  };

  /** A security group of the caller's project; shared with every project through RBAC if asked. */
  async function group(token: string, shared = false): Promise<string> {
    const res = await cloud.request('POST', '/network/v2.0/security-groups', { token, body: { security_group: { name: `g-${randomUUID().slice(0, 8)}` } } });
    assert.equal(res.status, 201, res.text);
    const id = res.body.security_group.id as string;
    if (shared) {
      const rbac = await cloud.request('POST', '/network/v2.0/rbac-policies', { token, body: { rbac_policy: { object_type: 'security_group', object_id: id, action: 'access_as_shared', target_tenant: '*' } } });
      assert.equal(rbac.status, 201, rbac.text);
    }
    return id;
  }

  it('takes the groups asked for (own or shared), refuses unknown and foreign ones, and allows none', async () => {
    const mine = await group(demo);
    const port = await newPort(cloud, demo, { network_id: net.id, security_groups: [mine] });
    assert.deepEqual(port.security_groups, [mine]);
    const foreign = await group(admin);
    neutronError(await post(demo, { network_id: net.id, security_groups: [foreign] }), 404, 'SecurityGroupNotFound');
    neutronError(await post(demo, { network_id: net.id, security_groups: [randomUUID()] }), 404, 'SecurityGroupNotFound');
    neutronError(await post(demo, { network_id: net.id, security_groups: ['nope'] }), 400, 'HTTPBadRequest');
    const sharedGroup = await group(admin, true);
    assert.deepEqual((await newPort(cloud, demo, { network_id: net.id, security_groups: [sharedGroup] })).security_groups, [sharedGroup]);
    assert.deepEqual((await newPort(cloud, demo, { network_id: net.id, security_groups: [] })).security_groups, []);
    const two = await put(demo, port.id, { security_groups: [mine, sharedGroup] });
    assert.deepEqual(two.body.port.security_groups, [mine, sharedGroup].sort());
    assert.equal(two.body.port.revision_number, 2);
    assert.deepEqual((await list(demo, `security_groups=${mine}`)).map((p) => p.id), [port.id]);
    neutronError(await put(demo, port.id, { security_groups: [foreign] }), 404, 'SecurityGroupNotFound');
  });

  it('ties security groups and address pairs to port security', async () => {
    neutronError(await post(demo, { network_id: net.id, port_security_enabled: false, security_groups: [await group(demo)] }), 409, 'PortSecurityAndIPRequiredForSecurityGroups');
    neutronError(await post(demo, { network_id: net.id, port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.10.0.50' }] }), 409, 'AddressPairAndPortSecurityRequired');
    const open = await newPort(cloud, demo, { network_id: net.id, port_security_enabled: false });
    assert.equal(open.port_security_enabled, false);
    assert.deepEqual(open.security_groups, [], 'no default group without port security');
    const port = await newPort(cloud, demo, { network_id: net.id, allowed_address_pairs: [{ ip_address: '10.10.0.51' }] });
    neutronError(await put(demo, port.id, { port_security_enabled: false }), 409, 'AddressPairAndPortSecurityRequired');
    neutronError(await put(demo, port.id, { port_security_enabled: false, allowed_address_pairs: [] }), 409, 'PortSecurityPortHasSecurityGroup');
    const off = await put(demo, port.id, { port_security_enabled: false, allowed_address_pairs: [], security_groups: [] });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.port.port_security_enabled, false);
    neutronError(await put(demo, port.id, { security_groups: [await group(demo)] }), 409, 'PortSecurityAndIPRequiredForSecurityGroups');
    const insecureNet = await newNetwork(cloud, demo, { name: 'insecure', port_security_enabled: false });
    const inherited = await newPort(cloud, demo, { network_id: insecureNet.id });
    assert.equal(inherited.port_security_enabled, false);
    assert.deepEqual(inherited.security_groups, []);
  });

  it('stores allowed address pairs with CIDRs and the port\'s MAC by default, and validates them', async () => {
    const port = await newPort(cloud, demo, { network_id: net.id, allowed_address_pairs: [{ ip_address: '10.10.0.0/24' }, { ip_address: '10.10.0.60', mac_address: 'fa:16:3e:12:34:56' }] });
    assert.deepEqual(port.allowed_address_pairs, [
      { ip_address: '10.10.0.0/24', mac_address: port.mac_address },
      { ip_address: '10.10.0.60', mac_address: 'fa:16:3e:12:34:56' },
    ]);
    const cases: [unknown, number, string][] = [
      [[{ ip_address: '10.10.0.5' }, { ip_address: '10.10.0.5' }], 400, 'DuplicateAddressPairInRequest'],
      [[{ mac_address: 'fa:16:3e:12:34:56' }], 400, 'AllowedAddressPairsMissingIP'],
      [Array.from({ length: 11 }, (_, i) => ({ ip_address: `10.10.1.${i}` })), 400, 'AllowedAddressPairExhausted'],
      [[{ ip_address: 'x' }], 400, 'HTTPBadRequest'],
      [[{ ip_address: '224.0.0.1' }], 400, 'HTTPBadRequest'],
      [[{ ip_address: '10.10.0.5', foo: 1 }], 400, 'HTTPBadRequest'],
      ['10.10.0.5', 400, 'HTTPBadRequest'],
    ];
    for (const [pairs, status, type] of cases) neutronError(await put(demo, port.id, { allowed_address_pairs: pairs }), status, type);
    const replaced = await put(demo, port.id, { allowed_address_pairs: [{ ip_address: 'fd00::5' }] });
    assert.deepEqual(replaced.body.port.allowed_address_pairs, [{ ip_address: 'fd00::5', mac_address: port.mac_address }]);
  });

  it('keeps extra DHCP options, merges them on update, and refuses anything that would inject into dnsmasq', async () => {
    const opts = [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }, { opt_name: 'tftp-server', opt_value: '123.123.123.123' }, { opt_name: 'dns-server', opt_value: '2015::dead', ip_version: 6 }];
    const port = await newPort(cloud, demo, { network_id: net.id, extra_dhcp_opts: opts });
    assert.deepEqual(port.extra_dhcp_opts, [
      { opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 },
      { opt_name: 'tftp-server', opt_value: '123.123.123.123', ip_version: 4 },
      { opt_name: 'dns-server', opt_value: '2015::dead', ip_version: 6 },
    ]);
    const merged = await put(demo, port.id, { extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'grub.efi' }, { opt_name: 'tftp-server', opt_value: null }, { opt_name: 'router', opt_value: '' }, { opt_name: 'classless-static-route', opt_value: '10.0.0.0/8,10.10.0.1' }] });
    assert.equal(merged.status, 200, merged.text);
    assert.deepEqual(merged.body.port.extra_dhcp_opts.map((o: Json) => `${o.opt_name}=${o.opt_value}/${o.ip_version}`), [
      'bootfile-name=grub.efi/4', 'dns-server=2015::dead/6', 'router=/4', 'classless-static-route=10.0.0.0/8,10.10.0.1/4',
    ]);
    const injections: unknown[] = [
      [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0\ndhcp-option=3,6.6.6.6' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a\rb' }],
      [{ opt_name: 'bootfile-name\nx', opt_value: 'a' }],
      [{ opt_name: 'tag:evil,option:router', opt_value: '1.2.3.4' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a,tag:evil' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a,,b' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a"b' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a\\b' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a\u0000b' }],
      [{ opt_name: 'bootfile name', opt_value: 'a' }],
      [{ opt_name: 'bootfile-name', opt_value: '' }],
      [{ opt_name: '', opt_value: 'a' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a', ip_version: 5 }],
      [{ opt_name: 'bootfile-name' }],
      [{ opt_name: 'bootfile-name', opt_value: 'a' }, { opt_name: 'bootfile-name', opt_value: 'b' }],
      'bootfile-name=a',
    ];
    for (const bad of injections) {
      const res = await post(demo, { network_id: net.id, extra_dhcp_opts: bad });
      assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
      neutronError(await put(demo, port.id, { extra_dhcp_opts: bad }), 400, 'HTTPBadRequest');
    }
  });

  it('derives dns_assignment from the addresses and keeps no dns_name under the default domain', async () => {
    const port = await newPort(cloud, demo, { network_id: net.id, dns_name: 'vm1', fixed_ips: [{ ip_address: '10.10.0.33' }] });
    assert.equal(port.dns_name, '');
    assert.deepEqual(port.dns_assignment, [{ ip_address: '10.10.0.33', hostname: 'host-10-10-0-33', fqdn: 'host-10-10-0-33.openstacklocal.' }]);
    for (const bad of ['-bad', 'a..b', 'x'.repeat(64), 'host.123', 'under_score']) neutronError(await post(demo, { network_id: net.id, dns_name: bad }), 400, 'HTTPBadRequest');
  });

  it('lets admins bind a host and set a profile, and validates the vnic type', async () => {
    const port = await newPort(cloud, admin, { network_id: net.id, 'binding:host_id': 'compute1', 'binding:profile': { pci_slot: '0000:03:00.0' }, 'binding:vnic_type': 'direct' });
    assert.equal(port['binding:host_id'], 'compute1');
    assert.deepEqual(port['binding:profile'], { pci_slot: '0000:03:00.0' });
    assert.equal(port['binding:vnic_type'], 'direct');
    assert.equal(port['binding:vif_type'], 'unbound');
    neutronError(await post(admin, { network_id: net.id, 'binding:vnic_type': 'fancy' }), 400, 'HTTPBadRequest');
    neutronError(await post(admin, { network_id: net.id, 'binding:vif_type': 'ovs' }), 400, 'HTTPBadRequest');
    const moved = await put(admin, port.id, { 'binding:host_id': 'compute2' });
    assert.equal(moved.body.port['binding:host_id'], 'compute2');
    const listed = await list(admin, 'binding:host_id=compute2');
    assert.deepEqual(listed.map((p) => p.id), [port.id]);
    const mine = await newPort(cloud, demo, { network_id: net.id, 'binding:vnic_type': 'macvtap' });
    neutronError(await put(demo, mine.id, { 'binding:host_id': 'compute1' }), 403, 'PolicyNotAuthorized');
    assert.equal((await put(demo, mine.id, { 'binding:vnic_type': 'normal' })).status, 200);
  });

  it('filters on fixed_ips (address, subnet, substring), MAC, device and any attribute; projects fields; sorts and pages', async () => {
    const a = await newPort(cloud, demo, { network_id: net.id, name: 'f-a', device_id: 'dev-1', device_owner: 'compute:nova', fixed_ips: [{ ip_address: '10.10.0.121' }] });
    const b = await newPort(cloud, demo, { network_id: net.id, name: 'f-b', device_id: 'dev-2', fixed_ips: [{ ip_address: '10.10.0.131' }] });
    const c = await newPort(cloud, demo, { network_id: net.id, name: 'f-c', device_id: 'dev-2', fixed_ips: [{ ip_address: '10.10.0.132' }] });
    assert.deepEqual((await list(demo, 'fixed_ips=ip_address%3D10.10.0.121')).map((p) => p.id), [a.id]);
    assert.deepEqual((await list(demo, `fixed_ips=subnet_id%3D${subnet.id}&fixed_ips=ip_address%3D10.10.0.131`)).map((p) => p.id), [b.id]);
    assert.deepEqual((await list(demo, 'fixed_ips=ip_address_substr%3D10.10.0.13&sort_key=name')).map((p) => p.name), ['f-b', 'f-c']);
    assert.deepEqual((await list(demo, `mac_address=${a.mac_address.toUpperCase()}`)).map((p) => p.id), [a.id]);
    assert.deepEqual((await list(demo, 'device_id=dev-2&sort_key=name&sort_dir=desc')).map((p) => p.name), ['f-c', 'f-b']);
    assert.deepEqual((await list(demo, 'device_owner=compute:nova')).map((p) => p.id), [a.id]);
    assert.deepEqual((await list(demo, 'name=f-a&name=f-c&fields=id&fields=name')).map((p) => Object.keys(p).sort()), [['id', 'name'], ['id', 'name']]);
    const page = await cloud.request('GET', '/network/v2.0/ports?device_id=dev-2&device_id=dev-1&limit=2&sort_key=name', { token: demo });
    assert.deepEqual(page.body.ports.map((p: Json) => p.name), ['f-a', 'f-b']);
    assert.equal(page.body.ports_links[0].rel, 'next');
    assert.equal((await list(demo, `network_id=${net.id}&name=f-b`))[0].id, b.id);
    assert.equal((await list(demo, `id=${c.id}`))[0].name, 'f-c');
    neutronError(await cloud.request('GET', '/network/v2.0/ports?bogus=1', { token: demo }), 400, 'HTTPBadRequest');
    neutronError(await cloud.request('GET', '/network/v2.0/ports?fixed_ips=10.10.0.1', { token: demo }), 400, 'HTTPBadRequest');
    const shown = await cloud.request('GET', `/network/v2.0/ports/${a.id}?fields=id&fields=mac_address`, { token: demo });
    assert.deepEqual(Object.keys(shown.body.port).sort(), ['id', 'mac_address']);
  });

  it('pages through a network\'s ports by id with marker links, as the full list orders them', async () => {
    const paged = await newNetwork(cloud, demo, { name: 'paged' });
    await newSubnet(cloud, demo, paged.id, '10.40.0.0/24');
    for (let i = 0; i < 7; i++) await newPort(cloud, demo, { network_id: paged.id, name: `pg-${i}` });
    const all = (await list(demo, `network_id=${paged.id}`)).map((p) => p.id);
    assert.deepEqual(all, [...all].sort());
    const seen: string[] = [];
    let path: string | undefined = `/network/v2.0/ports?network_id=${paged.id}&limit=3&fields=id&fields=name`;
    for (let pages = 0; path && pages < 5; pages++) {
      const res = await cloud.request('GET', path, { token: demo });
      assert.equal(res.status, 200, res.text);
      for (const p of res.body.ports) assert.deepEqual(Object.keys(p).sort(), ['id', 'name']);
      seen.push(...res.body.ports.map((p: Json) => p.id));
      const next = (res.body.ports_links ?? []).find((l: Json) => l.rel === 'next');
      path = next ? new URL(next.href).pathname.replace(/^.*\/network\//, '/network/') + new URL(next.href).search : undefined;
    }
    assert.deepEqual(seen, all, 'three pages of 3, 3 and 1 in id order');
    const second = await cloud.request('GET', `/network/v2.0/ports?network_id=${paged.id}&limit=3&marker=${all[2]}`, { token: demo });
    assert.deepEqual(second.body.ports.map((p: Json) => p.id), all.slice(3, 6));
    assert.deepEqual(second.body.ports_links.map((l: Json) => l.rel).sort(), ['next', 'previous']);
    const unknownMarker = await cloud.request('GET', `/network/v2.0/ports?network_id=${paged.id}&limit=3&marker=${randomUUID()}`, { token: demo });
    assert.deepEqual(unknownMarker.body.ports.map((p: Json) => p.id), all.slice(0, 3));
    const reversed = await cloud.request('GET', `/network/v2.0/ports?network_id=${paged.id}&limit=2&marker=${all[4]}&page_reverse=True`, { token: demo });
    assert.deepEqual(reversed.body.ports.map((p: Json) => p.id), all.slice(2, 4));
    neutronError(await cloud.request('GET', `/network/v2.0/ports?network_id=${paged.id}&limit=x`, { token: demo }), 400, 'HTTPBadRequest');
  });

  it('lists 1,000 ports quickly, in a few queries', async () => {
    const big = await newNetwork(cloud, admin, { name: 'big' });
    await cloud.store.db.insertInto('quotas').values({ project_id: big.project_id, service: 'network', resource: 'port', hard_limit: -1 }).execute();
    await newSubnet(cloud, admin, big.id, '10.20.0.0/20');
    for (let i = 0; i < 4; i++) {
      const res = await cloud.request('POST', '/network/v2.0/ports', { token: admin, body: { ports: Array.from({ length: 250 }, (_, j) => ({ network_id: big.id, name: `p${i}-${j}` })) } });
      assert.equal(res.status, 201, res.text);
    }
    // Count the statements one list runs: a fixed handful, not one per port.
    const executor = cloud.store.db.getExecutor() as unknown as { executeQuery: (...args: unknown[]) => Promise<unknown> };
    const original = executor.executeQuery.bind(executor);
    let statements = 0;
    executor.executeQuery = (...args: unknown[]) => {
      // Token validation has its own queries; count those of the port list.
      if (/"(ports|ip_allocations|port_security_groups|resource_tags|subnets|networks)"/.test((args[0] as { sql: string }).sql)) statements++;
      return original(...args);
    };
    let res;
    try {
      res = await cloud.request('GET', `/network/v2.0/ports?network_id=${big.id}`, { token: admin });
    } finally {
      delete (executor as { executeQuery?: unknown }).executeQuery;
    }
    assert.equal(res.body.ports.length, 1000);
    assert.ok(statements <= 5, `${statements} statements for one list`);
    assert.ok(res.body.ports.every((p: Json) => p.fixed_ips.length === 1 && p.security_groups.length === 1));
    // How fast is bench/'s question (target 25 ms); a per-port query creeping in fails the count above.
  });
});

describe('network: port DNS names under a configured domain', () => {
  let cloud: TestCloud;
  before(async () => {
    process.env.KUMO_DNS_DOMAIN = 'example.org';
    try {
      cloud = await startTestCloud();
    } finally {
      delete process.env.KUMO_DNS_DOMAIN;
    }
  });
  after(async () => cloud.destroy());

  it('keeps dns_name and builds hostname and fqdn from it', async () => {
    const demo = await cloud.token('demo');
    const net = await newNetwork(cloud, demo, { name: 'dns' });
    await newSubnet(cloud, demo, net.id, '10.30.0.0/24');
    const port = await newPort(cloud, demo, { network_id: net.id, dns_name: 'VM1', fixed_ips: [{ ip_address: '10.30.0.7' }] });
    assert.equal(port.dns_name, 'vm1');
    assert.deepEqual(port.dns_assignment, [{ ip_address: '10.30.0.7', hostname: 'vm1', fqdn: 'vm1.example.org.' }]);
    const cleared = await cloud.request('PUT', `/network/v2.0/ports/${port.id}`, { token: demo, body: { port: { dns_name: '' } } });
    assert.deepEqual(cleared.body.port.dns_assignment, [{ ip_address: '10.30.0.7', hostname: 'host-10-30-0-7', fqdn: 'host-10-30-0-7.example.org.' }]);
  });
});
