/**
 * Address groups with Debian's unmodified `openstack` client against Kumo in a child process:
 * create with addresses (the client writes a bare address as /32), set and unset addresses
 * (add_addresses, remove_addresses), rename, a security-group rule with
 * --remote-address-group, show and list, and delete, refused while the rule names the group.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CliSession, cliSkip, OPENSTACK } from './helpers/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('address groups with the openstack CLI', { skip: cliSkip }, () => {
  let session: CliSession;
  const os = (...args: string[]) => session.ok('demo', OPENSTACK, ...args);
  const osJson = (...args: string[]) => session.json('demo', OPENSTACK, ...args);

  before(async () => {
    session = await CliSession.start();
  });
  after(async () => {
    await session?.stop();
  });

  it('creates a group with addresses, and shows it', async () => {
    const ag = await osJson('address', 'group', 'create', '--description', 'web clients', '--address', '10.0.0.0/24', '--address', '192.168.1.5', 'ag1');
    assert.equal(ag.name, 'ag1');
    assert.equal(ag.description, 'web clients');
    assert.deepEqual([...ag.addresses].sort(), ['10.0.0.0/24', '192.168.1.5/32']);
    const shown = await osJson('address', 'group', 'show', 'ag1');
    assert.equal(shown.id, ag.id);
    assert.deepEqual([...shown.addresses].sort(), ['10.0.0.0/24', '192.168.1.5/32']);
  });

  it('adds and removes addresses with set and unset, and renames the group', async () => {
    await os('address', 'group', 'set', '--address', '172.16.0.0/16', '--address', '10.1.2.3', 'ag1');
    assert.deepEqual([...(await osJson('address', 'group', 'show', 'ag1')).addresses].sort(), ['10.0.0.0/24', '10.1.2.3/32', '172.16.0.0/16', '192.168.1.5/32']);
    await os('address', 'group', 'unset', '--address', '192.168.1.5', 'ag1');
    assert.deepEqual([...(await osJson('address', 'group', 'show', 'ag1')).addresses].sort(), ['10.0.0.0/24', '10.1.2.3/32', '172.16.0.0/16']);
    const again = await session.run('demo', OPENSTACK, ['address', 'group', 'set', '--address', '10.0.0.0/24', 'ag1']);
    assert.notEqual(again.code, 0, 'an address already in the group is refused');
    assert.match(again.stderr, /already exist in the address group/);
    await os('address', 'group', 'set', '--name', 'ag2', '--description', 'renamed', 'ag1');
    const renamed = await osJson('address', 'group', 'show', 'ag2');
    assert.equal(renamed.description, 'renamed');
    await os('address', 'group', 'set', '--name', 'ag1', 'ag2');
  });

  it('lists groups, by name too', async () => {
    await os('address', 'group', 'create', '--address', '203.0.113.0/24', 'other');
    const all = await osJson('address', 'group', 'list');
    assert.deepEqual(all.map((g: Json) => g.Name).sort(), ['ag1', 'other']);
    const one = await osJson('address', 'group', 'list', '--name', 'other');
    assert.equal(one.length, 1);
    assert.deepEqual(one[0].Addresses, ['203.0.113.0/24']);
  });

  it('makes a rule with --remote-address-group, and the group cannot be deleted while the rule names it', async () => {
    const ag = await osJson('address', 'group', 'show', 'ag1');
    await os('security', 'group', 'create', 'sg-ag');
    const rule = await osJson('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'tcp', '--dst-port', '22', '--remote-address-group', 'ag1', 'sg-ag');
    assert.equal(rule.remote_address_group_id, ag.id);
    assert.equal(rule.remote_ip_prefix, null);
    const rules = await osJson('security', 'group', 'rule', 'list', 'sg-ag');
    assert.deepEqual(rules.filter((r: Json) => r['Remote Address Group'] === ag.id).map((r: Json) => r.ID), [rule.id]);

    const refused = await session.run('demo', OPENSTACK, ['address', 'group', 'delete', 'ag1']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is in use on one or more security group rules/);
    await os('security', 'group', 'rule', 'delete', rule.id);
    await os('address', 'group', 'delete', 'ag1', 'other');
    assert.deepEqual(await osJson('address', 'group', 'list'), []);
  });
});
