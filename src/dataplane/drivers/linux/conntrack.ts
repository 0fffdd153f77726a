/**
 * Flows a router's NAT no longer allows, removed from its namespace's conntrack table
 * (conntrack-tools, inside the qrouter- namespace). One listing per change; an entry is stale
 * when it was translated through a floating IP that is gone, or that now maps to another fixed
 * address: inbound (original destination the floating IP, replies from another server) or
 * outbound (replies to the floating IP, started by another server). Each stale address quad is
 * deleted with one more call. Without conntrack-tools the flows simply run out (as before
 * Neutron learned to delete them): the NAT table itself is already right.
 */
import { execIn } from '../../linux/ip.js';

export interface ConntrackEntry {
  readonly origSrc: string;
  readonly origDst: string;
  readonly replySrc: string;
  readonly replyDst: string;
}

/** `conntrack -L` lines: the first src=/dst= pair is the original direction, the second the reply. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const row of text.split('\n')) {
    const src = [...row.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1] as string);
    const dst = [...row.matchAll(/\bdst=(\S+)/g)].map((m) => m[1] as string);
    if (src.length >= 2 && dst.length >= 2) out.push({ origSrc: src[0] as string, origDst: dst[0] as string, replySrc: src[1] as string, replyDst: dst[1] as string });
  }
  return out;
}

/** The entries that translate with a mapping the router no longer has. Pure. */
export function staleEntries(entries: readonly ConntrackEntry[], floating: readonly { address: string; fixedIp: string }[], removed: readonly string[]): ConntrackEntry[] {
  const fixedOf = new Map(floating.map((f) => [f.address, f.fixedIp]));
  const gone = new Set(removed);
  const seen = new Set<string>();
  return entries.filter((e) => {
    const inbound = fixedOf.get(e.origDst);
    const outbound = fixedOf.get(e.replyDst);
    const stale = gone.has(e.origDst) || gone.has(e.replyDst)
      || (inbound !== undefined && e.replySrc !== inbound) || (outbound !== undefined && e.origSrc !== outbound);
    const key = `${e.origSrc} ${e.origDst} ${e.replySrc} ${e.replyDst}`;
    if (!stale || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function missing(err: unknown): boolean {
  return /exec of "conntrack" failed|No such file/.test((err as Error).message);
}

export async function pruneNatConntrack(ns: string, floating: readonly { address: string; fixedIp: string }[], removed: readonly string[]): Promise<void> {
  let listing: string;
  try {
    listing = (await execIn(ns, ['conntrack', '-L', '-f', 'ipv4'], 10_000)).stdout;
  } catch (err) {
    if (missing(err)) return;
    throw err;
  }
  for (const e of staleEntries(parseConntrack(listing), floating, removed)) {
    try {
      await execIn(ns, ['conntrack', '-D', '-f', 'ipv4', '-s', e.origSrc, '-d', e.origDst, '-r', e.replySrc, '-q', e.replyDst], 10_000);
    } catch (err) {
      // Gone meanwhile (it timed out or was closed): nothing to delete.
      if (!/0 flow entries|No such file or directory|exit 1/.test((err as Error).message)) throw err;
    }
  }
}
