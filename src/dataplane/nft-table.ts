/**
 * The nftables table as a data-plane object: a plan says "namespace N has table <family> <name>
 * with exactly this body", and a driver makes it so by replacing the whole table in one
 * `nft -f` transaction (add, delete, re-create: atomic, so no packet ever sees half a ruleset).
 * Pure helpers only: the content hash a plan carries, the transaction text, and the parser that
 * splits an `nft -s list ruleset` listing into tables (the comment holding the hash, and the
 * stateless text whose hash detects drift such as a rule deleted by hand).
 */
import { createHash } from 'node:crypto';

export type NftFamily = 'inet' | 'ip' | 'ip6' | 'bridge' | 'netdev' | 'arp';
const FAMILIES: readonly NftFamily[] = ['inet', 'ip', 'ip6', 'bridge', 'netdev', 'arp'];

/** Every table Kumo owns is named with this prefix; a table without it is never touched. */
export const NFT_TABLE_PREFIX = 'kumo';
const NAME = /^kumo[A-Za-z0-9_-]{0,27}$/;
/** The table comment that carries the plan's content hash. */
const COMMENT_PREFIX = 'kumo:';

export interface NftTablePlan {
  readonly ns: string;
  readonly family: NftFamily;
  readonly name: string;
  /** The table's inside in nft syntax: sets, maps, chains (no `table` line, no comment). */
  readonly body: string;
  /** Hash of family, name and body: what the table's comment says once applied. */
  readonly hash: string;
}

export function nftContentHash(family: NftFamily, name: string, body: string): string {
  return createHash('sha256').update(`${family} ${name}\n${body}`).digest('hex').slice(0, 20);
}

/** A planned table; throws on a name or family the driver would refuse to own. */
export function nftTable(ns: string, family: NftFamily, name: string, body: string): NftTablePlan {
  if (!FAMILIES.includes(family)) throw new Error(`nft: unknown family ${JSON.stringify(family)}`);
  if (!NAME.test(name)) throw new Error(`nft: table name must match ${NAME} (got ${JSON.stringify(name)})`);
  return { ns, family, name, body, hash: nftContentHash(family, name, body) };
}

/** `family name`: one table's key within its namespace. */
export const nftKey = (family: string, name: string): string => `${family} ${name}`;

export function isOwnedTable(name: string): boolean {
  return name.startsWith(NFT_TABLE_PREFIX);
}

/**
 * The whole replacement as one transaction: `add table` makes the `delete` valid when the table
 * does not exist yet, then the full table comes back with its hash in the comment.
 */
export function nftReplaceText(t: Pick<NftTablePlan, 'family' | 'name' | 'body' | 'hash'>): string {
  const body = t.body.endsWith('\n') || t.body === '' ? t.body : `${t.body}\n`;
  return `add table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n`
    + `table ${t.family} ${t.name} {\n\tcomment "${COMMENT_PREFIX}${t.hash}"\n${body}}\n`;
}

export interface ListedTable {
  readonly family: string;
  readonly name: string;
  /** The hash from the table's comment, or null when it has none of ours. */
  readonly hash: string | null;
  /** The table's block as listed (stateless), hashed to notice drift. */
  readonly text: string;
}

/** Splits `nft -s list ruleset` (or `list table`) output into its tables. */
export function parseListing(listing: string): ListedTable[] {
  const out: ListedTable[] = [];
  const lines = listing.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^table (\S+) (\S+) \{/.exec(lines[i] ?? '');
    if (!head) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== '}') j++;
    const block = lines.slice(i, j + 1);
    const comment = block.map((l) => /^\tcomment "([^"]*)"$/.exec(l)).find((m) => m !== null);
    const text = comment?.[1] ?? '';
    out.push({
      family: head[1] as string,
      name: head[2] as string,
      hash: text.startsWith(COMMENT_PREFIX) ? text.slice(COMMENT_PREFIX.length) : null,
      text: block.join('\n'),
    });
    i = j;
  }
  return out;
}

/** Hash of a table's stateless listing: equal listings mean nobody changed the table. */
export function listingHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}
