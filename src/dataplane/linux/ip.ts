/**
 * iproute2 as the driver uses it: every link, address and FDB command runs inside a named
 * namespace (`ip -n NS`), batched through `-batch -` (one process for many changes); the root
 * namespace is only ever asked to list, add or delete namespaces. Observation is `-j` JSON.
 */
import { run, runJson } from './exec.js';

/** One batch line from tokens; a token with whitespace or a comment mark would change its meaning. */
export function line(...tokens: readonly (string | number)[]): string {
  for (const t of tokens) {
    const s = String(t);
    if (s === '' || /[\s#"'\\]/.test(s)) throw new Error(`unsafe token in an ip batch line: ${JSON.stringify(s)}`);
  }
  return tokens.join(' ');
}

export async function ipBatch(ns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await run(['ip', '-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

export async function bridgeBatch(ns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await run(['bridge', '-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

export async function listNamespaces(): Promise<Set<string>> {
  const list = await runJson<{ name: string }[] | null>(['ip', '-j', 'netns', 'list']);
  return new Set((list ?? []).map((n) => n.name));
}

export async function addNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'add', name]);
}

export async function deleteNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'delete', name]);
}

/** PIDs of the processes inside a namespace. */
export async function namespacePids(name: string): Promise<number[]> {
  const { stdout } = await run(['ip', 'netns', 'pids', name]);
  return stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** Runs a program inside a namespace (`ip netns exec`, which execs it: no shell). */
export function execIn(ns: string, argv: readonly string[], timeoutMs?: number) {
  return run(['ip', 'netns', 'exec', ns, ...argv], timeoutMs === undefined ? {} : { timeoutMs });
}

/** `ip -d addr show` as JSON: what the driver reads about links. */
export interface IpLinkJson {
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  address?: string;
  operstate?: string;
  link_netnsid?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; link?: string; port?: number; learning?: boolean; proxy?: boolean };
  };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

export function showLinks(ns: string): Promise<IpLinkJson[]> {
  return runJson<IpLinkJson[]>(['ip', '-n', ns, '-j', '-d', 'addr', 'show']);
}

/**
 * Links of many namespaces with one process: an `ip -batch` of `netns exec NS ip -j -d addr show`
 * lines (ip forks per line, far cheaper than a spawn from Node per namespace). Each line prints
 * one JSON array; if a namespace vanished meanwhile the outputs no longer line up, and each
 * namespace is then asked on its own.
 */
export async function showLinksMany(namespaces: readonly string[]): Promise<Map<string, IpLinkJson[]>> {
  const out = new Map<string, IpLinkJson[]>();
  if (namespaces.length === 0) return out;
  const input = namespaces.map((ns) => `${line('netns', 'exec', ns, 'ip', '-j', '-d', 'addr', 'show')}\n`).join('');
  const { stdout } = await run(['ip', '-force', '-batch', '-'], { input, okCodes: [1] });
  const arrays: IpLinkJson[][] = [];
  let aligned = true;
  for (const row of stdout.split('\n')) {
    if (!row.startsWith('[')) continue;
    try {
      arrays.push(JSON.parse(row) as IpLinkJson[]);
    } catch {
      aligned = false;
    }
  }
  if (aligned && arrays.length === namespaces.length) {
    namespaces.forEach((ns, i) => out.set(ns, arrays[i] as IpLinkJson[]));
    return out;
  }
  await Promise.all(namespaces.map(async (ns) => {
    try {
      out.set(ns, await showLinks(ns));
    } catch {
      // Gone since it was listed: observed as absent.
    }
  }));
  return out;
}

export interface FdbJson {
  mac: string;
  dst?: string;
  ifname?: string;
  flags?: string[];
  state?: string;
  master?: string;
}

/** The namespace's whole FDB (every device); entries of a VXLAN device carry its ifname. */
export function showFdb(ns: string): Promise<FdbJson[]> {
  return runJson<FdbJson[]>(['bridge', '-n', ns, '-j', 'fdb', 'show']);
}

export interface NeighJson {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
}

export function showNeighbours(ns: string): Promise<NeighJson[]> {
  return runJson<NeighJson[]>(['ip', '-n', ns, '-j', 'neigh', 'show']);
}
