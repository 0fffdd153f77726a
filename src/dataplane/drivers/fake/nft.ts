/** The fake nftables: whole tables per namespace, replaced and deleted as the real transaction does. */
import { isOwnedTable, nftKey, type NftFamily } from '../../nft-table.js';
import type { ObservedNftTable } from '../../observed.js';
import type { FakeKernel } from './driver.js';

export interface FakeNftTable {
  readonly family: string;
  readonly name: string;
  readonly hash: string;
  readonly body: string;
  /** Set by a test that edits the table behind the driver's back (the real driver's drift). */
  tampered: boolean;
}

function tablesOf(kernel: FakeKernel, ns: string): Map<string, FakeNftTable> {
  if (!kernel.namespaces.has(ns)) throw new Error(`Cannot open network namespace "${ns}": No such file or directory`);
  let tables = kernel.nft.get(ns);
  if (!tables) {
    tables = new Map();
    kernel.nft.set(ns, tables);
  }
  return tables;
}

export function replaceTable(kernel: FakeKernel, ns: string, t: { family: NftFamily; name: string; hash: string; body: string }): void {
  tablesOf(kernel, ns).set(nftKey(t.family, t.name), { family: t.family, name: t.name, hash: t.hash, body: t.body, tampered: false });
}

export function deleteTable(kernel: FakeKernel, ns: string, family: string, name: string): void {
  tablesOf(kernel, ns).delete(nftKey(family, name));
}

export function observeTables(kernel: FakeKernel, namespaces: Iterable<string>): Map<string, Map<string, ObservedNftTable>> {
  const out = new Map<string, Map<string, ObservedNftTable>>();
  for (const ns of namespaces) {
    if (!kernel.namespaces.has(ns)) continue;
    const tables = new Map<string, ObservedNftTable>();
    for (const [key, t] of kernel.nft.get(ns) ?? []) if (isOwnedTable(t.name)) tables.set(key, { family: t.family, name: t.name, hash: t.hash, drifted: t.tampered });
    out.set(ns, tables);
  }
  return out;
}
