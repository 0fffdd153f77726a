/**
 * A child process for crash tests of the store: opens the store named in argv[2] (StoreOptions
 * as JSON), keeps `clients` transactions in flight at once, each inserting one domain, and
 * prints each domain's id on stdout once its transaction has been acknowledged. The test kills
 * it with SIGKILL mid-stream and checks every printed id in the reopened store.
 */
import { openStore, type StoreOptions } from '../../src/store/store.js';

const options = JSON.parse(process.argv[2] ?? '{}') as StoreOptions;
const clients = Number(process.argv[3] ?? 8);
const store = await openStore(options);
let n = 0;
const created = new Date().toISOString();

async function writer(client: number): Promise<never> {
  for (;;) {
    const id = `crash-${client}-${n++}`;
    await store.transaction(async (tx) => {
      await tx.insertInto('domains').values({ id, name: id, description: '', enabled: 1, extra: '{}', created_at: created }).execute();
    });
    process.stdout.write(`${id}\n`);
  }
}

await Promise.all(Array.from({ length: clients }, (_, c) => writer(c)));
