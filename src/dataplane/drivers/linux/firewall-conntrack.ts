/**
 * Flows the host's security groups no longer admit, removed from the host namespace's
 * conntrack table (conntrack-tools, inside the namespace) right after the firewall changed:
 * one listing, the plan decides (firewall-eval.ts), one delete per stale flow, in its zone.
 * Without conntrack-tools such flows run until they time out (said in the log by the caller).
 */
import { execIn } from '../../linux/ip.js';
import { parseConntrackFlows, staleFlows, type TrackedFlow } from '../../firewall-eval.js';
import type { FirewallPlan } from '../../plan-firewall.js';

function deleteArgs(f: TrackedFlow): string[] {
  const args = ['conntrack', '-D', '-f', 'ipv4', '-w', String(f.zone), '-p', String(f.protocol), '-s', f.src, '-d', f.dst];
  if (f.sport !== null && f.dport !== null) args.push('--sport', String(f.sport), '--dport', String(f.dport));
  if (f.protocol === 1 && f.icmpType !== null) {
    args.push('--icmp-type', String(f.icmpType), '--icmp-code', String(f.icmpCode ?? 0));
    if (f.icmpId !== null) args.push('--icmp-id', String(f.icmpId));
  }
  return args;
}

export async function pruneFirewallConntrack(ns: string, plan: FirewallPlan): Promise<number> {
  let listing: string;
  try {
    listing = (await execIn(ns, ['conntrack', '-L', '-f', 'ipv4'], 10_000)).stdout;
  } catch (err) {
    if (/exec of "conntrack" failed|No such file/.test((err as Error).message)) return 0;
    throw err;
  }
  const stale = staleFlows(plan, parseConntrackFlows(listing));
  for (const f of stale) {
    try {
      await execIn(ns, deleteArgs(f), 10_000);
    } catch (err) {
      // Ended meanwhile: nothing to delete.
      if (!/0 flow entries|No such file or directory|exit 1/.test((err as Error).message)) throw err;
    }
  }
  return stale.length;
}
