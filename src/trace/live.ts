/**
 * The live half of `kumo trace`: for each security-group decision of the path, the port's chain
 * as the kernel holds it on the port's host (table inet kumo-sg in the host's namespace, one
 * chain per port and direction, each Neutron rule commented with its id). A trace then says
 * whether the kernel agrees with the model: the deciding rule is there, or the chain or rule is
 * missing because the agent has not converged (or the data plane is not Linux).
 */
import { FIREWALL_TABLE_NAME } from '../dataplane/plan-firewall.js';
import { homeHash, hostNamespace } from '../dataplane/names.js';
import { run } from '../dataplane/linux/exec.js';
import { listNamespaces } from '../dataplane/linux/ip.js';
import type { FirewallCheck, LiveFindings, TraceResult } from './path.js';

/** The rule ids commented in one chain, or null when the chain (or namespace) does not exist. */
export type ChainReader = (ns: string, chain: string) => Promise<string[] | null>;

export const readChain: ChainReader = async (ns, chain) => {
  const r = await run(['ip', 'netns', 'exec', ns, 'nft', 'list', 'chain', 'inet', FIREWALL_TABLE_NAME, chain], { okCodes: [1, 255] }).catch(() => null);
  if (!r || r.code !== 0) return null;
  return [...r.stdout.matchAll(/comment "([^"]+)"/g)].map((m) => m[1] as string);
};

function finding(check: FirewallCheck, ns: string, chain: string, rules: string[] | null): string {
  const where = `chain ${chain} of table inet ${FIREWALL_TABLE_NAME} in ${ns}`;
  if (rules === null) return `no ${where}: the kernel does not filter this port as planned (agent not converged, or no Linux data plane here)`;
  if (check.ruleId === null) return `${where} has ${rules.length} rule(s), none for this flow: it ends in drop`;
  return rules.includes(check.ruleId)
    ? `rule ${check.ruleId} is in ${where}`
    : `rule ${check.ruleId} is NOT in ${where} yet: the kernel does not allow this flow (agent not converged)`;
}

/**
 * Findings for the hops whose host namespace exists on this machine; a cloud without a Linux
 * data plane here (fake, off, another machine) has none, and the trace stays model-only.
 */
export async function liveFindings(result: TraceResult, home: string, read: ChainReader = readChain,
  namespaces: () => Promise<ReadonlySet<string>> = listNamespaces): Promise<LiveFindings> {
  const out = new Map<number, string>();
  const hash = homeHash(home);
  const present = result.hops.some((h) => h.firewall) ? await namespaces().catch(() => new Set<string>()) : new Set<string>();
  await Promise.all(result.hops.map(async (hop, i) => {
    const check = hop.firewall;
    if (!check) return;
    const ns = hostNamespace(hash, check.host);
    if (!present.has(ns)) return;
    const chain = `${check.direction}-${check.portId}`;
    out.set(i, finding(check, ns, chain, await read(ns, chain)));
  }));
  return out;
}
