/**
 * nftables tables on the kernel: a replace is one transaction; the first observation after it
 * hashes the table's stateless listing and keeps the hash under $KUMO_HOME/dataplane/nft/, so a
 * later observation notices a table changed behind Kumo's back (a rule deleted by hand) and the
 * diff writes it again. A missing hash file (a lost home directory) just costs one more atomic
 * replace.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTextOrNull } from '../../../util/files.js';
import { nftDeleteTable, nftListRuleset, nftTransaction } from '../../linux/nft.js';
import { isOwnedTable, listingHash, nftKey, nftReplaceText, parseListing, type NftTablePlan } from '../../nft-table.js';
import type { ObservedNftTable } from '../../observed.js';

const stateFile = (home: string, ns: string, family: string, name: string) => join(home, 'dataplane', 'nft', ns, `${family}.${name}`);

/** What a replace notes until the next observation reads the table back: the plan hash it wrote. */
const PENDING = 'pending ';

/**
 * Replaces several tables of one namespace in ONE transaction (e.g. the firewall's bridge and
 * inet tables, which must change together). The listing hash that detects drift is taken by
 * the next observation (the agent observes right after it applies): listing here as well would
 * put a second `nft list` on the way of every change, a booting instance's firewall included.
 */
export async function replaceTables(home: string, ns: string, tables: readonly Pick<NftTablePlan, 'family' | 'name' | 'body' | 'hash'>[]): Promise<void> {
  // Forgotten first: a crash between the transaction and the note leaves "unknown", never a stale match.
  for (const t of tables) rmSync(stateFile(home, ns, t.family, t.name), { force: true });
  await nftTransaction(ns, tables.map(nftReplaceText).join(''));
  mkdirSync(join(home, 'dataplane', 'nft', ns), { recursive: true, mode: 0o700 });
  for (const t of tables) noteState(home, ns, t.family, t.name, `${PENDING}${t.hash}`);
}

function noteState(home: string, ns: string, family: string, name: string, text: string): void {
  const file = stateFile(home, ns, family, name);
  writeFileSync(`${file}.tmp`, `${text}\n`, { mode: 0o600 });
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
      const listed = listingHash(t.text);
      let noted = readTextOrNull(stateFile(home, ns, t.family, t.name))?.trim() ?? null;
      // The first listing after Kumo's own replace (carrying the hash it wrote) is the reference.
      if (t.hash !== null && noted === `${PENDING}${t.hash}`) {
        noted = listed;
        noteState(home, ns, t.family, t.name, listed);
      }
      tables.set(nftKey(t.family, t.name), { family: t.family, name: t.name, hash: t.hash, drifted: noted !== listed });
    }
    out.set(ns, tables);
  }));
  return out;
}

/** A deleted namespace took its tables along: their listing hashes go too. */
export function forgetTables(home: string, ns: string): void {
  rmSync(join(home, 'dataplane', 'nft', ns), { recursive: true, force: true });
}
