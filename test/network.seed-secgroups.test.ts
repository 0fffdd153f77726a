/**
 * Seed 001 replayed with the real Debian CLIs against `kumo start` in a child process: the demo
 * user opens ICMP and SSH in its default security group with the legacy `neutron` CLI; the
 * admin running the same command is told the name is ambiguous, because it sees the default
 * groups of the admin, demo and service projects. Then the `openstack` equivalents.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CliSession, cliSkip, NEUTRON, OPENSTACK } from './helpers/cli.js';

describe('seed 001: security group rules with the neutron and openstack CLIs', { skip: cliSkip }, () => {
  let session: CliSession;

  before(async () => {
    session = await CliSession.start();
  });
  after(async () => {
    await session?.stop();
  });

  /** The value column of a `neutron` show table, by field name. */
  function field(table: string, name: string): string | undefined {
    const row = table.split('\n').find((line) => new RegExp(`^\\|\\s*${name}\\s*\\|`).test(line));
    return row?.split('|')[2]?.trim();
  }

  it('lets demo add the ICMP and SSH rules to its default group with neutron security-group-rule-create', async () => {
    const icmp = await session.run('demo', NEUTRON, ['security-group-rule-create', '--protocol', 'icmp', '--direction', 'ingress', 'default']);
    assert.equal(icmp.code, 0, icmp.stderr);
    assert.match(icmp.stdout, /Created a new security_group_rule:/);
    assert.equal(field(icmp.stdout, 'protocol'), 'icmp');
    assert.equal(field(icmp.stdout, 'direction'), 'ingress');
    assert.equal(field(icmp.stdout, 'ethertype'), 'IPv4');
    assert.match(field(icmp.stdout, 'security_group_id') ?? '', /^[0-9a-f-]{36}$/);
    const ssh = await session.run('demo', NEUTRON, ['security-group-rule-create', '--protocol', 'tcp', '--port-range-min', '22', '--port-range-max', '22', '--direction', 'ingress', 'default']);
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.equal(field(ssh.stdout, 'protocol'), 'tcp');
    assert.equal(field(ssh.stdout, 'port_range_min'), '22');
    assert.equal(field(ssh.stdout, 'port_range_max'), '22');
    assert.equal(field(ssh.stdout, 'security_group_id'), field(icmp.stdout, 'security_group_id'));
  });

  it('tells the admin that "default" is ambiguous, with the client\'s message', async () => {
    const res = await session.run('admin', NEUTRON, ['security-group-rule-create', '--protocol', 'icmp', '--direction', 'ingress', 'default']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /Multiple security_group matches found for name 'default', use an ID to be more specific\./);
    const list = await session.run('admin', NEUTRON, ['security-group-list', '-c', 'id', '-c', 'name', '-f', 'value']);
    assert.equal(list.code, 0, list.stderr);
    const defaults = list.stdout.trim().split('\n').filter((line) => / default$/.test(line));
    assert.equal(defaults.length, 3, `admin, demo and service default groups:\n${list.stdout}`);
  });

  it('does the same with the openstack CLI', async () => {
    const rules = await session.run('demo', OPENSTACK, ['security', 'group', 'rule', 'list', 'default', '-f', 'json']);
    assert.equal(rules.code, 0, rules.stderr);
    const parsed = JSON.parse(rules.stdout) as { 'IP Protocol': string | null; 'Port Range': string; Direction: string }[];
    assert.ok(parsed.some((r) => r['IP Protocol'] === 'icmp' && r.Direction === 'ingress'), rules.stdout);
    assert.ok(parsed.some((r) => r['IP Protocol'] === 'tcp' && r['Port Range'] === '22:22'), rules.stdout);
    const dup = await session.run('demo', OPENSTACK, ['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--ingress', 'default']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /Security group rule already exists\. Rule id is [0-9a-f-]{36}\./);
    const http = await session.run('demo', OPENSTACK, ['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '80:81', '--ingress', 'default', '-f', 'json']);
    assert.equal(http.code, 0, http.stderr);
    const created = JSON.parse(http.stdout) as { port_range_min: number; port_range_max: number; remote_ip_prefix: string };
    assert.deepEqual([created.port_range_min, created.port_range_max, created.remote_ip_prefix], [80, 81, '0.0.0.0/0']);
    const ambiguous = await session.run('admin', OPENSTACK, ['security', 'group', 'rule', 'create', '--protocol', 'icmp', '--ingress', 'default']);
    assert.notEqual(ambiguous.code, 0);
    assert.match(ambiguous.stderr, /More than one SecurityGroup exists with the name 'default'/);
    const group = await session.run('demo', OPENSTACK, ['security', 'group', 'create', 'web', '--description', 'web servers', '-f', 'json']);
    assert.equal(group.code, 0, group.stderr);
    assert.equal((JSON.parse(group.stdout) as { description: string }).description, 'web servers');
    assert.equal((await session.run('demo', OPENSTACK, ['security', 'group', 'delete', 'web'])).code, 0);
  });
});
