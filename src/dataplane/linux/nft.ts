/**
 * nft as the driver uses it: always inside a named namespace (`ip netns exec NS nft`), a
 * transaction from stdin (`-f -`: all or nothing), and stateless listings (`-s`: no counter
 * values, so a listing changes only when the ruleset does).
 */
import { run } from './exec.js';

/** Runs one nft transaction in the namespace; on any error nothing of it is applied. */
export async function nftTransaction(ns: string, text: string): Promise<void> {
  await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], { input: text, timeoutMs: 30_000 });
}

/** The namespace's whole ruleset, stateless. */
export async function nftListRuleset(ns: string): Promise<string> {
  return (await run(['ip', 'netns', 'exec', ns, 'nft', '-s', 'list', 'ruleset'], { timeoutMs: 30_000 })).stdout;
}

/** Deletes a table; one that is already gone is success. */
export async function nftDeleteTable(ns: string, family: string, name: string): Promise<void> {
  const r = await run(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', family, name], { okCodes: [1] });
  if (r.code !== 0 && !/No such file or directory/.test(r.stderr)) throw new Error(`nft delete table ${family} ${name} in ${ns}: ${r.stderr.trim()}`);
}
