/** The nftables table object without root: its transaction text, the listing parser, and what diff() does with tables. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diff } from '../src/dataplane/diff.js';
import { listingHash, nftContentHash, nftKey, nftReplaceText, nftTable, parseListing } from '../src/dataplane/nft-table.js';
import type { ObservedHost, ObservedNftTable } from '../src/dataplane/observed.js';
import type { HostPlan } from '../src/dataplane/plan.js';

const HOST_NS = 'kumo-feedbeef-host-h1';
const ROUTER_NS = 'qrouter-r1';
const BODY = 'chain input {\n\ttype filter hook input priority filter; policy accept;\n\ticmp type echo-request drop\n}\n';

function planWith(tables: HostPlan['nftTables']): HostPlan {
  return { host: 'h1', hostNs: HOST_NS, fabric: { ns: 'kumo-feedbeef-fabric', bridges: [] }, underlay: null, bridges: [], dhcp: [], taps: [], nftTables: tables };
}

function observed(nft: Record<string, ObservedNftTable[]>, deleteNs: string[] = []): ObservedHost {
  const namespaces = new Set([HOST_NS, 'kumo-feedbeef-fabric', ROUTER_NS, ...deleteNs]);
  return {
    namespaces, recorded: new Set([HOST_NS, ...deleteNs]), links: new Map(), fdb: new Map(), neighbours: new Map(), dhcp: new Map(),
    nft: new Map(Object.entries(nft).map(([ns, list]) => [ns, new Map(list.map((t) => [nftKey(t.family, t.name), t]))])),
  };
}

const table = nftTable(HOST_NS, 'inet', 'kumo-test', BODY);
const same: ObservedNftTable = { family: 'inet', name: 'kumo-test', hash: table.hash, drifted: false };

describe('dataplane: nftables tables in diff', () => {
  it('writes a planned table that is missing, whole, as one action', () => {
    assert.deepEqual(diff(planWith([table]), observed({ [HOST_NS]: [] })), [
      { op: 'nft.table', ns: HOST_NS, family: 'inet', name: 'kumo-test', hash: table.hash, body: BODY },
    ]);
  });

  it('does nothing when the table carries the planned hash and has not drifted', () => {
    assert.deepEqual(diff(planWith([table]), observed({ [HOST_NS]: [same] })), []);
  });

  it('replaces the table when its content hash differs or it drifted since it was written', () => {
    assert.deepEqual(diff(planWith([table]), observed({ [HOST_NS]: [{ ...same, hash: 'other' }] })).map((a) => a.op), ['nft.table']);
    assert.deepEqual(diff(planWith([table]), observed({ [HOST_NS]: [{ ...same, hash: null }] })).map((a) => a.op), ['nft.table']);
    assert.deepEqual(diff(planWith([table]), observed({ [HOST_NS]: [{ ...same, drifted: true }] })).map((a) => a.op), ['nft.table']);
  });

  it('deletes a Kumo table the plan no longer has, and never a table without the kumo prefix', () => {
    const actions = diff(planWith([]), observed({ [HOST_NS]: [same, { family: 'ip', name: 'filter', hash: null, drifted: true }] }));
    assert.deepEqual(actions, [{ op: 'nft.delete', ns: HOST_NS, family: 'inet', name: 'kumo-test' }]);
  });

  it('leaves the tables of a namespace that is being deleted to go with it', () => {
    const stale = 'kumo-feedbeef-host-old';
    const actions = diff(planWith([]), observed({ [stale]: [same] }, [stale]));
    assert.deepEqual(actions.map((a) => a.op), ['netns.delete']);
  });

  it('keeps tables apart by namespace and family', () => {
    const routerTable = nftTable(ROUTER_NS, 'ip', 'kumo-test', BODY);
    const actions = diff(planWith([table, routerTable]), observed({ [HOST_NS]: [same], [ROUTER_NS]: [] }));
    assert.deepEqual(actions.map((a) => (a.op === 'nft.table' ? `${a.ns} ${a.family}` : a.op)), [`${ROUTER_NS} ip`]);
    assert.notEqual(routerTable.hash, table.hash, 'the family is part of the content hash');
  });
});

describe('dataplane: nftables table text', () => {
  it('refuses a table name without the kumo prefix or with characters nft would read as syntax', () => {
    assert.throws(() => nftTable(HOST_NS, 'inet', 'filter', ''), /table name/);
    assert.throws(() => nftTable(HOST_NS, 'inet', 'kumo x', ''), /table name/);
    assert.throws(() => nftTable(HOST_NS, 'bogus' as 'inet', 'kumo-x', ''), /family/);
  });

  it('is one transaction: create-if-missing, delete, then the full table with the hash in its comment', () => {
    assert.equal(nftReplaceText(table),
      `add table inet kumo-test\ndelete table inet kumo-test\ntable inet kumo-test {\n\tcomment "kumo:${table.hash}"\n${BODY}}\n`);
    assert.equal(table.hash, nftContentHash('inet', 'kumo-test', BODY));
    assert.notEqual(nftContentHash('inet', 'kumo-test', `${BODY} `), table.hash);
  });

  it('parses a listing into tables with the hash from the comment and a listing hash that changes with any rule', () => {
    const listing = [
      'table ip filter {', '\tchain INPUT {', '\t\ttype filter hook input priority filter; policy accept;', '\t}', '}',
      'table inet kumo-test {', `\tcomment "kumo:${table.hash}"`, '\tchain input {', '\t\ticmp type echo-request drop', '\t}', '}', '',
    ].join('\n');
    const [foreign, ours] = parseListing(listing);
    assert.deepEqual([foreign?.family, foreign?.name, foreign?.hash], ['ip', 'filter', null]);
    assert.deepEqual([ours?.family, ours?.name, ours?.hash], ['inet', 'kumo-test', table.hash]);
    const without = parseListing(listing.replace('\t\ticmp type echo-request drop\n', ''))[1];
    assert.notEqual(listingHash(without?.text ?? ''), listingHash(ours?.text ?? ''));
  });
});
