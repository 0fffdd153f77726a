/** The metadata trees of one instance, rendered without a store or a socket (pure). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configDriveFiles } from '../src/metadata/config-drive.js';
import type { InstanceMetadata } from '../src/metadata/instance.js';
import { metadataTree, render, type Rendered } from '../src/metadata/tree.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKumoTestKeyMaterial demo@kumo\n';

const MD: InstanceMetadata = {
  uuid: 'd8e02d56-2648-49a3-bf97-6be8f1204f38', id: 0x2a, hostname: 'cirros-01', name: 'cirros 01', projectId: 'f7ac731cc11f40efbc03a9f9e1d1d21f',
  availabilityZone: 'nova', launchIndex: 0, reservationId: 'r-1cnh08js', imageId: '3e1b4c0a-9f0e-4c39-8d3c-2b1f5a6e7d80', flavorName: 'm1.nano',
  key: { name: 'KEY_NAME_DEMO', type: 'ssh', data: KEY },
  userData: Buffer.from('#!/bin/sh\necho hello\n'),
  meta: { role: 'webserver' },
  securityGroups: ['default', 'web'],
  interfaces: [{
    portId: 'cd9f6d46-4a3a-43ab-a466-994af9db96fc', networkId: '99e88329-f20d-4741-9593-25bf07847b16', mac: 'fa:16:3e:9c:bf:3d', mtu: 1450,
    fixedIps: [{
      ip: '10.0.0.6',
      subnet: { id: 's1', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', enableDhcp: true, dnsNameservers: ['192.168.1.1'], hostRoutes: [] },
    }],
    floatingIps: ['192.168.1.51'],
  }, {
    portId: '0b2b7f5e-1111-4222-8333-444455556666', networkId: '5a5a5a5a-0000-4000-8000-000000000001', mac: 'fa:16:3e:00:00:07', mtu: 1500,
    fixedIps: [{
      ip: '172.16.0.11',
      subnet: {
        id: 's2', ipVersion: 4, cidr: '172.16.0.0/24', gatewayIp: '172.16.0.1', enableDhcp: false, dnsNameservers: ['172.16.0.3'],
        hostRoutes: [{ destination: '10.20.0.0/16', nexthop: '172.16.0.254' }],
      },
    }],
    floatingIps: [],
  }],
};

const seed = (n: number) => Buffer.alloc(n, 7);
const tree = metadataTree(MD, { random: seed });

function ok(path: string): string {
  const r: Rendered = render(tree, path);
  assert.equal(r.status, 200, `GET ${path}`);
  return r.status === 200 ? r.body.toString() : '';
}

function json(path: string): Record<string, any> {
  const r = render(tree, path);
  assert.equal(r.status === 200 && r.type, 'json', `GET ${path} is JSON`);
  return JSON.parse(ok(path));
}

describe('metadata tree: OpenStack format', () => {
  it('lists the dated versions and latest under /openstack, and the files of a version', () => {
    assert.deepEqual(ok('/openstack').split('\n'), [
      '2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14', 'latest',
    ]);
    assert.equal(ok('/openstack/'), ok('/openstack'));
    assert.deepEqual(ok('/openstack/latest').split('\n'),
      ['meta_data.json', 'user_data', 'password', 'vendor_data.json', 'network_data.json', 'vendor_data2.json']);
    assert.deepEqual(ok('/openstack/2012-08-10/').split('\n'), ['meta_data.json', 'user_data']);
  });

  it('meta_data.json has the fields of Nova\'s user guide, with the key pair and the hostname.novalocal', () => {
    const m = json('/openstack/latest/meta_data.json');
    assert.deepEqual(Object.keys(m).sort(), [
      'availability_zone', 'dedicated_cpus', 'devices', 'hostname', 'keys', 'launch_index', 'meta', 'name', 'project_id', 'public_keys', 'random_seed', 'uuid',
    ]);
    assert.equal(m.uuid, MD.uuid);
    assert.equal(m.hostname, 'cirros-01.novalocal');
    assert.equal(m.name, 'cirros 01');
    assert.deepEqual(m.public_keys, { KEY_NAME_DEMO: KEY });
    assert.deepEqual(m.keys, [{ name: 'KEY_NAME_DEMO', type: 'ssh', data: KEY }]);
    assert.deepEqual(m.meta, { role: 'webserver' });
    assert.equal(m.project_id, MD.projectId);
    assert.equal(Buffer.from(m.random_seed, 'base64').length, 512);
    assert.equal(m.admin_pass, undefined, 'the service never shows the admin password');
  });

  it('older versions show only what existed then', () => {
    const old = json('/openstack/2012-08-10/meta_data.json');
    assert.equal(old.random_seed, undefined);
    assert.equal(old.project_id, undefined);
    assert.equal(old.devices, undefined);
    assert.equal(json('/openstack/2015-10-15/meta_data.json').project_id, MD.projectId);
    assert.equal(render(tree, '/openstack/2013-10-17/network_data.json').status, 404);
  });

  it('user_data is the decoded bytes; vendor data is an empty object', () => {
    assert.equal(ok('/openstack/latest/user_data'), '#!/bin/sh\necho hello\n');
    assert.deepEqual(json('/openstack/latest/vendor_data.json'), {});
    assert.deepEqual(json('/openstack/latest/vendor_data2.json'), {});
  });

  it('network_data.json: a link per NIC, DHCP networks as ipv4_dhcp, static ones with address, routes and DNS', () => {
    const n = json('/openstack/latest/network_data.json');
    assert.deepEqual(n.links, [
      { id: 'tapcd9f6d46-4a', vif_id: MD.interfaces[0]?.portId, type: 'bridge', mtu: 1450, ethernet_mac_address: 'fa:16:3e:9c:bf:3d' },
      { id: 'tap0b2b7f5e-11', vif_id: MD.interfaces[1]?.portId, type: 'bridge', mtu: 1500, ethernet_mac_address: 'fa:16:3e:00:00:07' },
    ]);
    assert.deepEqual(n.networks, [
      { id: 'network0', type: 'ipv4_dhcp', link: 'tapcd9f6d46-4a', network_id: '99e88329-f20d-4741-9593-25bf07847b16' },
      {
        id: 'network1', type: 'ipv4', link: 'tap0b2b7f5e-11', ip_address: '172.16.0.11', netmask: '255.255.255.0',
        routes: [{ network: '10.20.0.0', netmask: '255.255.0.0', gateway: '172.16.0.254' }, { network: '0.0.0.0', netmask: '0.0.0.0', gateway: '172.16.0.1' }],
        network_id: '5a5a5a5a-0000-4000-8000-000000000001', services: [{ type: 'dns', address: '172.16.0.3' }],
      },
    ]);
    assert.deepEqual(n.services, [{ type: 'dns', address: '192.168.1.1' }, { type: 'dns', address: '172.16.0.3' }]);
  });
});

describe('metadata tree: EC2-compatible format', () => {
  it('lists the EC2 versions at the root (not /openstack), and meta-data/ and user-data in a version', () => {
    assert.deepEqual(ok('/').split('\n'), ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04', 'latest']);
    assert.deepEqual(ok('/latest/').split('\n'), ['meta-data/', 'user-data']);
  });

  it('meta-data/ lists the 2009-04-04 items, directories with a slash', () => {
    assert.deepEqual(ok('/latest/meta-data/').split('\n'), [
      'ami-id', 'ami-launch-index', 'ami-manifest-path', 'block-device-mapping/', 'hostname', 'instance-action', 'instance-id', 'instance-type',
      'local-hostname', 'local-ipv4', 'placement/', 'public-hostname', 'public-ipv4', 'public-keys/', 'reservation-id', 'security-groups',
    ]);
    assert.deepEqual(ok('/1.0/meta-data').split('\n'), [
      'ami-id', 'ami-launch-index', 'ami-manifest-path', 'hostname', 'instance-id', 'local-ipv4', 'public-keys/', 'reservation-id', 'security-groups',
    ]);
  });

  it('serves each item: ids, addresses (the floating IP as public-ipv4), placement, flavor, groups', () => {
    assert.equal(ok('/latest/meta-data/instance-id'), 'i-0000002a');
    assert.equal(ok('/latest/meta-data/ami-id'), 'ami-3e1b4c0a');
    assert.equal(ok('/latest/meta-data/hostname'), 'cirros-01.novalocal');
    assert.equal(ok('/latest/meta-data/local-hostname'), 'cirros-01.novalocal');
    assert.equal(ok('/latest/meta-data/local-ipv4'), '10.0.0.6');
    assert.equal(ok('/latest/meta-data/public-ipv4'), '192.168.1.51');
    assert.equal(ok('/latest/meta-data/placement/availability-zone'), 'nova');
    assert.equal(ok('/2009-04-04/meta-data/instance-type'), 'm1.nano');
    assert.equal(ok('/latest/meta-data/security-groups'), 'default\nweb');
    assert.equal(ok('/latest/meta-data/block-device-mapping/root'), '/dev/vda');
    assert.equal(ok('/latest/meta-data/instance-action'), 'none');
  });

  it('public-keys/ lists 0=<key name>; 0/openssh-key is the key', () => {
    assert.equal(ok('/latest/meta-data/public-keys/'), '0=KEY_NAME_DEMO');
    assert.equal(ok('/latest/meta-data/public-keys/0/'), 'openssh-key');
    assert.equal(ok('/latest/meta-data/public-keys/0/openssh-key'), KEY);
    assert.equal(ok('/latest/user-data'), '#!/bin/sh\necho hello\n');
  });

  it('a server without key, user data or floating IP shows none of them', () => {
    const bare = metadataTree({ ...MD, key: null, userData: null, interfaces: MD.interfaces.map((i) => ({ ...i, floatingIps: [] })) }, { random: seed });
    assert.equal(render(bare, '/latest/meta-data/public-keys/').status, 404);
    assert.equal(render(bare, '/latest/user-data').status, 404);
    assert.equal(render(bare, '/openstack/latest/user_data').status, 404);
    const r = render(bare, '/latest/meta-data/public-ipv4');
    assert.equal(r.status === 200 && r.body, '');
    const m = render(bare, '/openstack/latest/meta_data.json');
    assert.ok(m.status === 200);
    assert.equal(JSON.parse(m.body.toString()).public_keys, undefined);
  });
});

describe('metadata tree: paths', () => {
  it('404 for unknown versions, items, traversal and encoded slashes', () => {
    for (const p of ['/2099-01-01/meta-data/', '/openstack/2011-01-01/meta_data.json', '/latest/meta-data/nothing', '/latest/meta-data/hostname/x',
      '/openstack/latest/../latest/meta_data.json', '/latest/meta-data/%2e%2e/user-data', '/openstack/latest%2fmeta_data.json', '/latest/%E0%A4%A']) {
      assert.equal(render(tree, p).status, 404, p);
    }
  });

  it('repeated and trailing slashes name the same node', () => {
    assert.equal(ok('//latest///meta-data//hostname/'), 'cirros-01.novalocal');
  });
});

describe('config drive', () => {
  const files = new Map(configDriveFiles(MD, { random: seed, adminPass: 's3cret' }).map((f) => [f.path, f.body.toString()]));

  it('lays the trees out as openstack/<version>/... and ec2/<version>/...', () => {
    for (const p of ['openstack/latest/meta_data.json', 'openstack/latest/network_data.json', 'openstack/latest/user_data', 'openstack/latest/vendor_data2.json',
      'openstack/2012-08-10/meta_data.json', 'openstack/2018-08-27/network_data.json', 'ec2/2009-04-04/meta-data.json', 'ec2/latest/meta-data.json', 'ec2/latest/user-data']) {
      assert.ok(files.has(p), p);
    }
    assert.ok(![...files.keys()].some((p) => p.startsWith('ec2/1.0') || p.endsWith('/password')));
  });

  it('carries the same documents as the service, plus the admin password', () => {
    const m = JSON.parse(files.get('openstack/latest/meta_data.json') as string);
    assert.equal(m.admin_pass, 's3cret');
    assert.equal(m.hostname, 'cirros-01.novalocal');
    assert.deepEqual(m.public_keys, { KEY_NAME_DEMO: KEY });
    assert.equal(files.get('openstack/latest/network_data.json'), ok('/openstack/latest/network_data.json'));
    const ec2 = JSON.parse(files.get('ec2/latest/meta-data.json') as string);
    assert.equal(ec2['instance-id'], 'i-0000002a');
    assert.equal(ec2['public-keys']['0']['openssh-key'], KEY);
    assert.deepEqual(ec2['security-groups'], ['default', 'web']);
    assert.equal(files.get('ec2/latest/user-data'), '#!/bin/sh\necho hello\n');
  });
});
