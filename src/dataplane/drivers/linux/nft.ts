/**
 * nftables tables on the kernel: a replace is one transaction, then the table's stateless
 * listing is hashed and kept under $KUMO_HOME/dataplane/nft/ so a later observation notices a
 * table changed behind Kumo's back (a rule deleted by hand) and the diff writes it again. A
 * missing hash file (a lost home directory) just costs one more atomic replace.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nftDeleteTable, nftListRuleset, nftListTable, nftTransaction } from '../../linux/nft.js';
import { isOwnedTable, listingHash, nftKey, nftReplaceText, parseListing, type NftTablePlan } from '../../nft-table.js';
import type { ObservedNftTable } from '../../observed.js';

const stateFile = (home: string, ns: string, family: string, name: string) => join(home, 'dataplane', 'nft', ns, `${family}.${name}`);

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export async function replaceTable(home: string, ns: string, t: Pick<NftTablePlan, 'family' | 'name' | 'body' | 'hash'>): Promise<void> {
  const file = stateFile(home, ns, t.family, t.name);
  // Forgotten first: a crash between the transaction and the note leaves "unknown", never a stale match.
  rmSync(file, { force: true });
  await nftTransaction(ns, nftReplaceText(t));
  const listed = parseListing((await nftListTable(ns, t.family, t.name)) ?? '')[0];
  if (!listed) throw new Error(`nft table ${t.family} ${t.name} missing in ${ns} right after its transaction`);
  mkdirSync(join(home, 'dataplane', 'nft', ns), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, `${listingHash(listed.text)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export async function deleteTable(home: string, ns: string, family: string, name: string): Promise<void> {
  await nftDeleteTable(ns, family, name);
  rmSync(stateFile(home, ns, family, name), { force: true });
}

/** Kumo's tables in each namespace (one nft process per namespace, in parallel). */
export async function observeTables(home: string, namespaces: readonly string[]): Promise<Map<string, Map<string, ObservedNftTable>>> {
  const out = new Map<string, Map<string, ObservedNftTable>>();
  await Promise.all(namespaces.map(async (ns) => {
    let listing: string;
    try {
      listing = await nftListRuleset(ns);
    } catch {
      return; // Gone since it was listed: observed as absent.
    }
    const tables = new Map<string, ObservedNftTable>();
    for (const t of parseListing(listing)) {
      if (!isOwnedTable(t.name)) continue;
      const noted = readOrNull(stateFile(home, ns, t.family, t.name));
      tables.set(nftKey(t.family, t.name), { family: t.family, name: t.name, hash: t.hash, drifted: noted !== listingHash(t.text) });
    }
    out.set(ns, tables);
  }));
  return out;
}

/** A deleted namespace took its tables along: their listing hashes go too. */
export function forgetTables(home: string, ns: string): void {
  rmSync(join(home, 'dataplane', 'nft', ns), { recursive: true, force: true });
}
