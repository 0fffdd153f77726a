/**
 * The nftables table object on both drivers (fake always; linux as root, with real nft in a
 * test namespace and real packets): written whole in one transaction, observed by its content
 * hash, written again after a rule is deleted by hand, replaced when the plan changes, left as
 * it was when a transaction fails, deleted when no longer planned, foreign tables untouched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diff } from '../src/dataplane/diff.js';
import type { DataplaneDriver } from '../src/dataplane/driver.js';
import { FakeDataplane } from '../src/dataplane/drivers/fake/driver.js';
import { LinuxDataplane } from '../src/dataplane/drivers/linux/driver.js';
import { run } from '../src/dataplane/linux/exec.js';
import { fabricNamespace, homeHash, homePrefix, hostNamespace } from '../src/dataplane/names.js';
import { nftKey, nftTable, type NftTablePlan } from '../src/dataplane/nft-table.js';
import type { ObserveScope } from '../src/dataplane/observed.js';
import type { HostPlan } from '../src/dataplane/plan.js';
import { leftoverNamespaces, ping, rootSkip } from './helpers/dataplane.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const HOST = 'nfthost';
const DROP_PING = 'chain input {\n\ttype filter hook input priority filter; policy accept;\n\ticmp type echo-request drop\n\tudp dport 9 drop\n}\n';
const ALLOW_PING = 'chain input {\n\ttype filter hook input priority filter; policy accept;\n\tudp dport 9 drop\n}\n';

interface Harness {
  readonly name: 'fake' | 'linux';
  readonly skip: string | false;
  make(home: string): DataplaneDriver;
  /** Deletes the first rule of the table's chain `input` behind the driver's back. */
  deleteRule(driver: DataplaneDriver, ns: string, family: string, name: string): Promise<void>;
  /** A table nobody in Kumo planned (another program's). */
  foreignTable(driver: DataplaneDriver, ns: string): Promise<void>;
}

const HARNESSES: Harness[] = [
  {
    name: 'fake',
    skip: false,
    make: (home) => new FakeDataplane(home),
    async deleteRule(driver, ns, family, name) {
      const t = (driver as FakeDataplane).kernel.nft?.get(ns)?.get(nftKey(family, name));
      assert.ok(t, 'table exists');
      t.tampered = true;
    },
    async foreignTable(driver, ns) {
      (driver as FakeDataplane).kernel.nft?.get(ns)?.set(nftKey('ip', 'other'), { family: 'ip', name: 'other', hash: 'x', body: '', tampered: false });
    },
  },
  {
    name: 'linux',
    skip: rootSkip(),
    make: (home) => new LinuxDataplane(home),
    async deleteRule(_driver, ns, family, name) {
      const r = await run(['ip', 'netns', 'exec', ns, 'nft', '-a', 'list', 'chain', family, name, 'input']);
      const handle = /echo-request drop # handle (\d+)/.exec(r.stdout)?.[1];
      assert.ok(handle, `a rule to delete in\n${r.stdout}`);
      await run(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'rule', family, name, 'input', 'handle', handle]);
    },
    async foreignTable(_driver, ns) {
      await run(['ip', 'netns', 'exec', ns, 'nft', 'add', 'table', 'ip', 'other']);
    },
  },
];

for (const h of HARNESSES) {
  describe(`dataplane: nftables tables on the ${h.name} driver`, { skip: h.skip }, () => {
    let home: string;
    let driver: DataplaneDriver;
    let hostNs: string;
    let rootBefore: RootSnapshot | null = null;

    const planOf = (tables: NftTablePlan[]): HostPlan => ({
      host: HOST, hostNs, fabric: { ns: fabricNamespace(homeHash(home)), bridges: [] }, underlay: null, bridges: [], dhcp: [], taps: [], nftTables: tables,
    });
    const scope = (): ObserveScope => ({ host: HOST, hostNs, fabricNs: fabricNamespace(homeHash(home)), vxlanDevices: [], dhcp: [], nftNamespaces: [hostNs] });
    const pass = async (plan: HostPlan) => {
      const actions = diff(plan, await driver.observe(scope()));
      await driver.apply(actions);
      return actions;
    };
    const pingsItself = async () => (await ping(hostNs, '127.0.0.1', 1)).received === 1;

    before(async () => {
      home = mkdtempSync(join(tmpdir(), `sg-nft-${h.name}-`));
      hostNs = hostNamespace(homeHash(home), HOST);
      driver = h.make(home);
      if (h.name === 'linux') rootBefore = await snapshotRootNetns();
      // The host and fabric namespaces, made by the same diff an agent runs.
      await pass(planOf([]));
    });

    after(async () => {
      await driver.teardown();
      const left = h.name === 'linux' ? await leftoverNamespaces(home) : [];
      rmSync(home, { recursive: true, force: true });
      assert.deepEqual(left, []);
      if (rootBefore) await assertRootNetnsUnchanged(rootBefore);
    });

    it('writes a planned table in one pass and finds it with its hash; the next pass does nothing', async () => {
      const t = nftTable(hostNs, 'inet', 'kumo-test', DROP_PING);
      assert.deepEqual((await pass(planOf([t]))).map((a) => a.op), ['nft.table']);
      const obs = await driver.observe(scope());
      assert.deepEqual(obs.nft?.get(hostNs)?.get('inet kumo-test'), { family: 'inet', name: 'kumo-test', hash: t.hash, drifted: false });
      assert.deepEqual(diff(planOf([t]), obs), []);
      if (h.name === 'linux') assert.equal(await pingsItself(), false, 'the table drops ping');
    });

    it('writes the table again after a rule was deleted by hand', async () => {
      const t = nftTable(hostNs, 'inet', 'kumo-test', DROP_PING);
      await pass(planOf([t]));
      await h.deleteRule(driver, hostNs, 'inet', 'kumo-test');
      if (h.name === 'linux') assert.equal(await pingsItself(), true, 'the sabotage let ping through');
      assert.equal((await driver.observe(scope())).nft?.get(hostNs)?.get('inet kumo-test')?.drifted, true);
      assert.deepEqual((await pass(planOf([t]))).map((a) => a.op), ['nft.table']);
      assert.deepEqual(diff(planOf([t]), await driver.observe(scope())), []);
      if (h.name === 'linux') assert.equal(await pingsItself(), false, 'the rule is back');
    });

    it('replaces the whole table when the plan changes', async () => {
      await pass(planOf([nftTable(hostNs, 'inet', 'kumo-test', DROP_PING)]));
      const allow = nftTable(hostNs, 'inet', 'kumo-test', ALLOW_PING);
      assert.deepEqual((await pass(planOf([allow]))).map((a) => a.op), ['nft.table']);
      assert.equal((await driver.observe(scope())).nft?.get(hostNs)?.get('inet kumo-test')?.hash, allow.hash);
      if (h.name === 'linux') assert.equal(await pingsItself(), true, 'the new table lets ping through');
    });

    it('leaves the previous table in place when a transaction fails', { skip: h.name === 'fake' ? 'the fake driver does not parse nft syntax' : false }, async () => {
      const good = nftTable(hostNs, 'inet', 'kumo-test', DROP_PING);
      await pass(planOf([good]));
      const bad = nftTable(hostNs, 'inet', 'kumo-test', `${DROP_PING}chain broken {\n\tip saddr @no-such-set accept\n}\n`);
      await assert.rejects(pass(planOf([bad])), /no-such-set|No such file/);
      const obs = await driver.observe(scope());
      assert.equal(obs.nft?.get(hostNs)?.get('inet kumo-test')?.hash, good.hash);
      assert.equal(await pingsItself(), false, 'the old rules still drop ping');
    });

    it('deletes a table no longer planned and leaves tables that are not Kumo\'s alone', async () => {
      await pass(planOf([nftTable(hostNs, 'inet', 'kumo-test', DROP_PING), nftTable(hostNs, 'bridge', 'kumo-test', 'chain c {\n}\n')]));
      await h.foreignTable(driver, hostNs);
      assert.deepEqual((await pass(planOf([]))).map((a) => a.op), ['nft.delete', 'nft.delete']);
      const tables = (await driver.observe(scope())).nft?.get(hostNs);
      assert.deepEqual([...(tables?.keys() ?? [])], []);
      if (h.name === 'linux') {
        const listing = (await run(['ip', 'netns', 'exec', hostNs, 'nft', 'list', 'tables'])).stdout.trim();
        assert.equal(listing, 'table ip other');
        assert.equal(await pingsItself(), true);
      }
      assert.ok(hostNs.startsWith(homePrefix(homeHash(home))));
    });
  });
}
