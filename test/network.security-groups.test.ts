/** Security groups and rules: default groups, Neutron's rule validation, duplicates, policy, isolation, in-use groups. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPort } from '../src/network/ports/create.js';
import { projectId, startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { snapshot } from './helpers/snapshot.js';

interface Rule {
  id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  normalized_cidr: string | null;
  remote_group_id: string | null;
  security_group_id: string;
}

describe('network: security groups and rules', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let demoProject: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    demoProject = await projectId(cloud, 'demo');
  });
  after(async () => cloud.destroy());

  const sg = (token: string, security_group: Record<string, unknown>) =>
    cloud.request('POST', '/network/v2.0/security-groups', { token, body: { security_group } });
  const rule = (token: string, security_group_rule: Record<string, unknown>) =>
    cloud.request('POST', '/network/v2.0/security-group-rules', { token, body: { security_group_rule } });
  const newGroup = async (name: string, token = demo): Promise<string> => {
    const res = await sg(token, { name });
    assert.equal(res.status, 201, res.text);
    return res.body.security_group.id;
  };

  it('has the default groups of admin, demo and service from the start, with Neutron\'s default rules', async () => {
    const all = await cloud.request('GET', '/network/v2.0/security-groups?name=default', { token: admin });
    assert.equal(all.status, 200);
    assert.equal(all.body.security_groups.length, 3, 'admin sees the admin, demo and service default groups');
    const mine = await cloud.request('GET', '/network/v2.0/security-groups', { token: demo });
    assert.equal(mine.body.security_groups.length, 1);
    const group = mine.body.security_groups[0];
    assert.equal(group.name, 'default');
    assert.equal(group.project_id, demoProject);
    assert.equal(group.stateful, true);
    const rules = (group.security_group_rules as Rule[]).map((r) => `${r.direction}/${r.ethertype}/${r.remote_group_id === group.id ? 'self' : r.remote_group_id}`).sort();
    assert.deepEqual(rules, ['egress/IPv4/null', 'egress/IPv6/null', 'ingress/IPv4/self', 'ingress/IPv6/self']);
  });

  it('creates a group with egress rules, updates and deletes it, and its rules go with it', async () => {
    const res = await sg(demo, { name: 'web', description: 'web servers' });
    assert.equal(res.status, 201);
    const group = res.body.security_group;
    assert.equal(group.description, 'web servers');
    assert.equal(group.revision_number, 1);
    assert.deepEqual((group.security_group_rules as Rule[]).map((r) => `${r.direction}/${r.ethertype}`).sort(), ['egress/IPv4', 'egress/IPv6']);
    const r = await rule(demo, { security_group_id: group.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 });
    assert.equal(r.status, 201);
    const shown = await cloud.request('GET', `/network/v2.0/security-groups/${group.id}`, { token: demo });
    assert.equal(shown.body.security_group.revision_number, 2, 'a new rule revises its group');
    const upd = await cloud.request('PUT', `/network/v2.0/security-groups/${group.id}`, { token: demo, body: { security_group: { name: 'web2', stateful: false } } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.security_group.name, 'web2');
    assert.equal(upd.body.security_group.stateful, false);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/security-groups/${group.id}`, { token: demo })).status, 204);
    assert.equal((await cloud.request('GET', `/network/v2.0/security-group-rules/${r.body.security_group_rule.id}`, { token: demo })).status, 404);
    assert.equal((await cloud.request('GET', `/network/v2.0/security-groups/${group.id}`, { token: demo })).status, 404);
  });

  it('reserves the name default and protects the default group', async () => {
    for (const name of ['default', 'Default']) {
      const res = await sg(demo, { name });
      assert.equal(res.status, 409);
      assert.equal(res.body.NeutronError.type, 'SecurityGroupDefaultAlreadyExists');
    }
    const other = await newGroup('renamable');
    const rename = await cloud.request('PUT', `/network/v2.0/security-groups/${other}`, { token: demo, body: { security_group: { name: 'default' } } });
    assert.equal(rename.status, 409);
    const list = await cloud.request('GET', '/network/v2.0/security-groups?name=default', { token: demo });
    const def = list.body.security_groups[0].id;
    const upd = await cloud.request('PUT', `/network/v2.0/security-groups/${def}`, { token: demo, body: { security_group: { name: 'x' } } });
    assert.equal(upd.status, 409);
    assert.equal(upd.body.NeutronError.type, 'SecurityGroupCannotUpdateDefault');
    const desc = await cloud.request('PUT', `/network/v2.0/security-groups/${def}`, { token: demo, body: { security_group: { description: 'mine' } } });
    assert.equal(desc.status, 200, 'the description of the default group may change');
    const del = await cloud.request('DELETE', `/network/v2.0/security-groups/${def}`, { token: demo });
    assert.equal(del.status, 409);
    assert.equal(del.body.NeutronError.type, 'SecurityGroupCannotRemoveDefault');
  });

  it('validates rules as Neutron does', async () => {
    const id = await newGroup('validation');
    const cases: [Record<string, unknown>, number, string, RegExp?][] = [
      [{ protocol: 'bad_protocol_name' }, 400, 'SecurityGroupRuleInvalidProtocol'],
      [{ protocol: 256 }, 400, 'SecurityGroupRuleInvalidProtocol'],
      [{ protocol: 'tcp', remote_ip_prefix: '192.168.1./24' }, 400, 'InvalidCIDR'],
      [{ protocol: 'tcp', remote_ip_prefix: '192.168.1.1/33' }, 400, 'InvalidCIDR'],
      [{ protocol: 'tcp', remote_ip_prefix: '256' }, 400, 'InvalidCIDR'],
      [{ ethertype: 'bad_ethertype' }, 400, 'SecurityGroupRuleInvalidEtherType'],
      [{ protocol: 'tcp', port_range_min: -16, port_range_max: 80 }, 400, 'SecurityGroupInvalidPortValue', /Invalid value for port -16/],
      [{ protocol: 'tcp', port_range_min: 80, port_range_max: 79 }, 400, 'SecurityGroupInvalidPortRange', /port_range_min must be <= port_range_max/],
      [{ protocol: 'tcp', port_range_min: 80, port_range_max: 65536 }, 400, 'SecurityGroupInvalidPortValue', /Invalid value for port 65536/],
      [{ protocol: 'tcp', port_range_max: 6 }, 400, 'SecurityGroupInvalidPortRange'],
      [{ protocol: 'icmp', port_range_min: 1, port_range_max: 256 }, 400, 'SecurityGroupInvalidIcmpValue', /Invalid value for ICMP code/],
      [{ protocol: 'icmp', port_range_max: 6 }, 400, 'SecurityGroupMissingIcmpType', /ICMP type \(port-range-min\) is missing/],
      [{ protocol: 'icmp', port_range_min: 300, port_range_max: 1 }, 400, 'SecurityGroupInvalidIcmpValue', /Invalid value for ICMP type/],
      [{ protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 400, 'SecurityGroupInvalidProtocolForPort', /protocol 47/],
      [{ port_range_min: 22, port_range_max: 22 }, 400, 'SecurityGroupProtocolRequiredWithPorts'],
      [{ ethertype: 'IPv6', protocol: 'tcp', remote_ip_prefix: '10.0.0.0/8' }, 400, 'SecurityGroupRuleParameterConflict', /Conflicting value ethertype/],
      [{ ethertype: 'IPv4', protocol: 'ipv6-icmp' }, 400, 'SecurityGroupEthertypeConflictWithProtocol'],
      [{ remote_ip_prefix: '10.0.0.0/8', remote_group_id: id }, 400, 'SecurityGroupMultipleRemoteEntites'],
      [{ remote_group_id: 'bad_group_id' }, 404, 'SecurityGroupNotFound'],
      [{ remote_address_group_id: '8d9ab1c3-2b43-4b05-8f4f-2f5d3dd9a0a1' }, 404, 'AddressGroupNotFound'],
      [{ direction: 'sideways' }, 400, 'HTTPBadRequest'],
      [{ colour: 'red' }, 400, 'HTTPBadRequest'],
      [{ security_group_id: '3f8c1b52-5c9e-4a0e-9a60-1c2d3e4f5a6b' }, 404, 'SecurityGroupNotFound'],
    ];
    const before = await snapshot(cloud.store, ['revocation_events']);
    for (const [body, status, type, message] of cases) {
      const res = await rule(demo, { security_group_id: id, direction: 'ingress', ...body });
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.NeutronError.type, type, JSON.stringify(body));
      if (message) assert.match(res.body.NeutronError.message, message);
    }
    const missing = await rule(demo, { security_group_id: id });
    assert.equal(missing.status, 400);
    assert.match(missing.body.NeutronError.message, /Required attribute 'direction' not specified/);
    assert.deepEqual(await snapshot(cloud.store, ['revocation_events']), before, 'rejected rules change nothing');
  });

  it('normalises protocols, ports and prefixes like Neutron', async () => {
    const id = await newGroup('normalise');
    const make = async (body: Record<string, unknown>): Promise<Rule> => {
      const res = await rule(demo, { security_group_id: id, direction: 'ingress', ...body });
      assert.equal(res.status, 201, `${JSON.stringify(body)}: ${res.text}`);
      return res.body.security_group_rule;
    };
    assert.equal((await make({ protocol: 17 })).protocol, '17');
    assert.equal((await make({ protocol: 'TCP', port_range_min: 1, port_range_max: 65535 })).port_range_min, null, 'the whole range is no range');
    const v6 = await make({ ethertype: 'ipv6', protocol: 'icmp', port_range_min: 128, port_range_max: 0 });
    assert.equal(v6.ethertype, 'IPv6');
    assert.equal(v6.protocol, 'ipv6-icmp');
    assert.equal(v6.port_range_max, 0);
    const host = await make({ protocol: 'udp', port_range_min: 53, port_range_max: 53, remote_ip_prefix: '10.1.2.3/24' });
    assert.equal(host.remote_ip_prefix, '10.1.2.3/24', 'host bits are kept');
    assert.equal(host.normalized_cidr, '10.1.2.0/24');
    assert.equal((await make({ protocol: 'udp', port_range_min: 54, port_range_max: 54, remote_ip_prefix: '10.9.9.9' })).remote_ip_prefix, '10.9.9.9/32');
    const six = await make({ ethertype: 'IPv6', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '2001:DB8:0:0::/64' });
    assert.equal(six.remote_ip_prefix, '2001:db8::/64');
    assert.equal((await make({ protocol: 'any', ethertype: 'IPv4', remote_ip_prefix: '192.0.2.0/24' })).protocol, null);
  });

  it('refuses duplicate rules with a 409 naming the existing rule', async () => {
    const id = await newGroup('dups');
    const first = await rule(demo, { security_group_id: id, direction: 'ingress', protocol: 'tcp', port_range_min: 66, port_range_max: 67 });
    assert.equal(first.status, 201);
    const again = await rule(demo, { security_group_id: id, direction: 'ingress', protocol: '6', port_range_min: 66, port_range_max: 67, remote_ip_prefix: '0.0.0.0/0' });
    assert.equal(again.status, 409);
    assert.equal(again.body.NeutronError.type, 'SecurityGroupRuleExists');
    assert.equal(again.body.NeutronError.message, `Security group rule already exists. Rule id is ${first.body.security_group_rule.id}.`);
    const egress = await rule(demo, { security_group_id: id, direction: 'egress' });
    assert.equal(egress.status, 409, 'the default egress rule already exists');
    const bulk = await cloud.request('POST', '/network/v2.0/security-group-rules', {
      token: demo,
      body: { security_group_rules: [{ security_group_id: id, direction: 'ingress', protocol: 'udp' }, { security_group_id: id, direction: 'ingress', protocol: 'udp' }] },
    });
    assert.equal(bulk.status, 409);
    assert.equal(bulk.body.NeutronError.type, 'DuplicateSecurityGroupRuleInPost');
    const ok = await cloud.request('POST', '/network/v2.0/security-group-rules', {
      token: demo,
      body: { security_group_rules: [{ security_group_id: id, direction: 'ingress', protocol: 'udp' }, { security_group_id: id, direction: 'ingress', protocol: 'sctp' }] },
    });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.security_group_rules.length, 2);
  });

  it('hides other projects\' groups and rules behind 404s, lets an admin add rules to any group', async () => {
    const adminGroup = await newGroup('admin-only', admin);
    assert.equal((await cloud.request('GET', `/network/v2.0/security-groups/${adminGroup}`, { token: demo })).status, 404);
    const r = await rule(demo, { security_group_id: adminGroup, direction: 'ingress' });
    assert.equal(r.status, 404);
    assert.equal((await cloud.request('DELETE', `/network/v2.0/security-groups/${adminGroup}`, { token: demo })).status, 404);
    const demoGroup = await newGroup('demo-group');
    const byAdmin = await rule(admin, { security_group_id: demoGroup, direction: 'ingress', protocol: 'icmp' });
    assert.equal(byAdmin.status, 201);
    const demoRules = await cloud.request('GET', `/network/v2.0/security-group-rules?security_group_id=${demoGroup}`, { token: demo });
    assert.ok(demoRules.body.security_group_rules.some((x: Rule) => x.id === byAdmin.body.security_group_rule.id), 'rules in my group are mine to see');
    const adminRules = await cloud.request('GET', '/network/v2.0/security-group-rules', { token: demo });
    assert.ok(!adminRules.body.security_group_rules.some((x: Rule) => x.security_group_id === adminGroup));
    const unknownFilter = await cloud.request('GET', '/network/v2.0/security-groups?colour=red', { token: demo });
    assert.equal(unknownFilter.status, 400);
  });

  it('creates the default group of a new project on its first list, and lets an admin delete it', async () => {
    const project = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: 'fresh', domain_id: 'default' } } });
    assert.equal(project.status, 201);
    const pid = project.body.project.id;
    const list = await cloud.request('GET', `/network/v2.0/security-groups?project_id=${pid}`, { token: admin });
    assert.equal(list.body.security_groups.length, 1);
    const def = list.body.security_groups[0];
    assert.equal(def.name, 'default');
    assert.equal((await cloud.request('DELETE', `/network/v2.0/security-groups/${def.id}`, { token: admin })).status, 204);
    const again = await cloud.request('GET', `/network/v2.0/security-groups?project_id=${pid}`, { token: admin });
    assert.equal(again.body.security_groups.length, 1);
    assert.notEqual(again.body.security_groups[0].id, def.id, 'a new default group on next need');
  });

  it('refuses to delete a group a port uses, and a stateful change while in use', async () => {
    const id = await newGroup('in-use');
    const net = await cloud.request('POST', '/network/v2.0/networks', { token: demo, body: { network: { name: 'sg-net' } } });
    assert.equal(net.status, 201);
    const port = await cloud.store.transaction((tx) => createPort(tx, { networkId: net.body.network.id, projectId: demoProject, securityGroups: [id] }));
    const del = await cloud.request('DELETE', `/network/v2.0/security-groups/${id}`, { token: demo });
    assert.equal(del.status, 409);
    assert.equal(del.body.NeutronError.type, 'SecurityGroupInUse');
    assert.equal(del.body.NeutronError.message, `Security Group ${id} in use.`);
    const upd = await cloud.request('PUT', `/network/v2.0/security-groups/${id}`, { token: demo, body: { security_group: { stateful: false } } });
    assert.equal(upd.status, 409);
    await cloud.store.transaction((tx) => tx.deleteFrom('ports').where('id', '=', port.id).execute());
    assert.equal((await cloud.request('DELETE', `/network/v2.0/security-groups/${id}`, { token: demo })).status, 204);
  });

  it('counts groups and rules against the project quota', async () => {
    const project = await cloud.request('POST', '/v3/projects', { token: admin, body: { project: { name: 'tight', domain_id: 'default' } } });
    const pid = project.body.project.id;
    await cloud.request('PUT', `/network/v2.0/quotas/${pid}`, { token: admin, body: { quota: { security_group: 2, security_group_rule: 7 } } });
    const g = await sg(admin, { name: 'one', project_id: pid });
    assert.equal(g.status, 201, g.text);
    const over = await sg(admin, { name: 'two', project_id: pid });
    assert.equal(over.status, 409, 'default + one = 2 groups');
    assert.equal(over.body.NeutronError.type, 'OverQuota');
    const seventh = await rule(admin, { security_group_id: g.body.security_group.id, direction: 'ingress', protocol: 'tcp', project_id: pid });
    assert.equal(seventh.status, 201, '4 default rules + 2 egress rules + this one = 7');
    const eighth = await rule(admin, { security_group_id: g.body.security_group.id, direction: 'ingress', protocol: 'udp', project_id: pid });
    assert.equal(eighth.status, 409);
    assert.equal(eighth.body.NeutronError.message, "Quota exceeded for resources: ['security_group_rule'].");
  });
});
