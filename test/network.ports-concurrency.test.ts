/**
 * Acceptance: 8 clients create ports at once on a /24 until it is full. Exactly as many succeed
 * as there are free addresses, every other answer is a 409, no address is handed out twice, and
 * once every port is deleted the pool is whole again. On SQLite and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCloud } from './helpers/cloud.js';
import { backendSkip, startCloudOn, type CloudBackend } from './helpers/postgres.js';
import { newNetwork, newSubnet, type Json } from './helpers/ports-fixtures.js';

const CLIENTS = 8;
/** 172.30.0.2 – .254, DHCP off: nothing else takes an address. */
const FREE = 253;
const EXTRA = 24;

function concurrencySuite(backend: CloudBackend): void {
  describe(`network: concurrent port creation (${backend})`, { skip: backendSkip(backend) }, () => {
    let cloud: TestCloud;
    let demo: string;
    let net: Json;
    let subnet: Json;

    before(async () => {
      ({ cloud, demo } = await startCloudOn(backend));
      net = await newNetwork(cloud, demo, { name: 'race' });
      subnet = await newSubnet(cloud, demo, net.id, '172.30.0.0/24');
    });
    after(async () => cloud?.destroy());

    it('hands out every free address exactly once, answers 409 after, and gets them all back', async () => {
      let next = 0;
      const created: Json[] = [];
      const statuses = new Map<number, number>();
      const types = new Set<string>();
      async function client(): Promise<void> {
        while (next < FREE + EXTRA) {
          next++;
          const res = await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { port: { network_id: net.id } } });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 201) created.push(res.body.port);
          else types.add(res.body?.NeutronError?.type);
        }
      }
      await Promise.all(Array.from({ length: CLIENTS }, client));

      assert.deepEqual([...statuses.keys()].sort(), [201, 409], JSON.stringify([...statuses]));
      assert.equal(statuses.get(201), FREE);
      assert.equal(statuses.get(409), EXTRA);
      assert.deepEqual([...types], ['IpAddressGenerationFailure']);
      const addresses = created.map((p) => p.fixed_ips[0].ip_address);
      assert.equal(new Set(addresses).size, FREE, 'no address twice');
      const macs = created.map((p) => p.mac_address);
      assert.equal(new Set(macs).size, FREE, 'no MAC twice');
      const rows = await cloud.store.db.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
      assert.equal(rows.length, FREE, 'no allocation without its port');
      const listed = await cloud.request('GET', `/network/v2.0/ports?network_id=${net.id}`, { token: demo });
      assert.equal(listed.status, 200, listed.text);
      const byId = new Map(created.map((p) => [p.id, p]));
      assert.equal(listed.body.ports.length, FREE);
      for (const port of listed.body.ports) assert.deepEqual(port, byId.get(port.id), 'the list shows each port as its create did');

      let index = 0;
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (index < created.length) {
          const port = created[index++] as Json;
          const res = await cloud.request('DELETE', `/network/v2.0/ports/${port.id}`, { token: demo });
          assert.equal(res.status, 204, res.text);
        }
      }));
      const left = await cloud.store.db.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
      assert.deepEqual(left, [], 'every address released');
      const first = await cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { port: { network_id: net.id } } });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.port.fixed_ips[0].ip_address, '172.30.0.2', 'the pool is whole again');
    });

    it('never gives one MAC to two ports asking for it at once, nor lets a quota be overshot', async () => {
      const other = await newNetwork(cloud, demo, { name: 'mac-race' });
      const results = await Promise.all(Array.from({ length: CLIENTS }, () =>
        cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { port: { network_id: other.id, mac_address: 'fa:16:3e:77:77:77' } } })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, ...Array<number>(CLIENTS - 1).fill(409)]);
      assert.ok(results.filter((r) => r.status === 409).every((r) => r.body.NeutronError.type === 'MacAddressInUse'));

      const project = net.project_id as string;
      const used = await cloud.store.db.selectFrom('ports').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', project).executeTakeFirstOrThrow();
      await cloud.store.db.insertInto('quotas').values({ project_id: project, service: 'network', resource: 'port', hard_limit: Number(used.n) + 3 }).execute();
      const burst = await Promise.all(Array.from({ length: CLIENTS }, () =>
        cloud.request('POST', '/network/v2.0/ports', { token: demo, body: { port: { network_id: other.id } } })));
      assert.equal(burst.filter((r) => r.status === 201).length, 3, burst.map((r) => r.status).join(','));
      assert.ok(burst.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.NeutronError.type === 'OverQuota'));
    });
  });
}

concurrencySuite('sqlite');
concurrencySuite('postgres');
