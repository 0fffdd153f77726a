/**
 * A port list reads every port with its addresses, groups and tags in one query (ports/rows.ts);
 * a single port is read table by table (ports/views.ts). Both must give the same document: for
 * varied ports, as admin and as a member, each listed port equals its GET, in id order, and a
 * paged walk gives the same list. On SQLite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCloud } from './helpers/cloud.js';
import { backendSkip, startCloudOn } from './helpers/postgres.js';
import { newNetwork, newPort, newSubnet, type Json } from './helpers/ports-fixtures.js';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`network: port list equals port show (${backend})`, { skip: backendSkip(backend) }, () => {
    let cloud: TestCloud;
    let admin: string;
    let demo: string;

    before(async () => {
      ({ cloud, admin, demo } = await startCloudOn(backend));
      const net = await newNetwork(cloud, demo, { name: 'listed' });
      const v4a = await newSubnet(cloud, demo, net.id, '10.20.0.0/24');
      const v4b = await newSubnet(cloud, demo, net.id, '10.21.0.0/24');
      const v6 = await newSubnet(cloud, demo, net.id, 'fd00:21::/64');
      const group = (await cloud.request('POST', '/network/v2.0/security-groups', { token: demo, body: { security_group: { name: 'extra' } } })).body.security_group;
      // Plain ones, one per subnet, and ones with everything a port document draws from other tables or JSON columns.
      await newPort(cloud, demo, { network_id: net.id, name: 'plain' });
      await newPort(cloud, demo, { network_id: net.id, fixed_ips: [{ subnet_id: v6.id }] });
      const rich = await newPort(cloud, demo, {
        network_id: net.id, name: 'rich ✓', description: 'quote " and \\ backslash',
        fixed_ips: [{ subnet_id: v4b.id, ip_address: '10.21.0.9' }, { subnet_id: v4a.id, ip_address: '10.20.0.100' }, { subnet_id: v4a.id, ip_address: '10.20.0.20' }, { subnet_id: v6.id }],
        allowed_address_pairs: [{ ip_address: '10.20.0.200' }, { ip_address: '10.30.0.0/24', mac_address: 'fa:16:3e:00:00:01' }],
        extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }],
      });
      const groups = (await cloud.request('GET', `/network/v2.0/ports/${rich.id}`, { token: demo })).body.port.security_groups;
      const updated = await cloud.request('PUT', `/network/v2.0/ports/${rich.id}`, { token: demo, body: { port: { security_groups: [...groups, group.id] } } });
      assert.equal(updated.status, 200, updated.text);
      const tagged = await cloud.request('PUT', `/network/v2.0/ports/${rich.id}/tags`, { token: demo, body: { tags: ['zeta', 'alpha', 'Mid'] } });
      assert.equal(tagged.status, 200, tagged.text);
      const bound = await cloud.request('POST', '/network/v2.0/ports', { token: admin, body: { port: {
        network_id: net.id, port_security_enabled: false, 'binding:host_id': 'compute1', 'binding:profile': { local_link_information: [{ port_id: 'x' }] },
        device_owner: 'compute:nova', device_id: 'server-1', fixed_ips: [],
      } } });
      assert.equal(bound.status, 201, bound.text);
    });
    after(async () => cloud?.destroy());

    for (const who of ['admin', 'demo'] as const) {
      it(`lists each port (as ${who}) exactly as GET shows it, in id order, and pages through the same list`, async () => {
        const token = who === 'admin' ? admin : demo;
        const list = await cloud.request('GET', '/network/v2.0/ports', { token });
        assert.equal(list.status, 200, list.text);
        const ports: Json[] = list.body.ports;
        assert.ok(ports.length >= 4, `${ports.length} ports`);
        assert.deepEqual(ports.map((p) => p.id), ports.map((p) => p.id).sort());
        for (const port of ports) {
          const shown = await cloud.request('GET', `/network/v2.0/ports/${port.id}`, { token });
          assert.equal(shown.status, 200, shown.text);
          assert.deepEqual(port, shown.body.port, `port ${port.name}`);
        }
        const rich = ports.find((p) => p.name === 'rich ✓');
        assert.ok(rich, 'the rich port is listed');
        assert.deepEqual(rich.fixed_ips.map((ip: Json) => ip.ip_address).slice(0, 3), ['10.20.0.20', '10.20.0.100', '10.21.0.9']);
        assert.deepEqual(rich.tags, ['Mid', 'alpha', 'zeta']);
        assert.equal(rich.security_groups.length, 2);
        assert.deepEqual(rich.security_groups, [...rich.security_groups].sort());

        const paged: Json[] = [];
        let marker: string | undefined;
        for (;;) {
          const page = await cloud.request('GET', `/network/v2.0/ports?limit=2${marker ? `&marker=${marker}` : ''}`, { token });
          assert.equal(page.status, 200, page.text);
          paged.push(...page.body.ports);
          if (!page.body.ports_links?.some((l: Json) => l.rel === 'next')) break;
          marker = page.body.ports.at(-1).id;
        }
        assert.deepEqual(paged, ports);
      });
    }
  });
}
