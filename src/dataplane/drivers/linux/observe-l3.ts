/**
 * Reads the L3 namespaces (qrouter-, upstream, outside) for observe.ts: links, routes with a
 * gateway, and net.ipv4.ip_forward, for all of them with one `ip -batch` process (three JSON
 * lines per namespace: `ip -j -d addr`, `ip -j -4 route`, `ip -j netconf`). If a namespace
 * vanished meanwhile the lines no longer line up, and each is then asked on its own.
 */
import { run, runJson } from '../../linux/exec.js';
import { line, type IpLinkJson } from '../../linux/ip.js';
import type { RouteEntry } from '../../plan-router.js';

interface RouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
}

interface NetconfJson {
  family: string;
  interface: string;
  forwarding?: boolean;
}

export interface ObservedL3Namespace {
  readonly links: IpLinkJson[];
  readonly routes: RouteEntry[];
  readonly forwarding: boolean;
}

/** `default` is 0.0.0.0/0 and a host route prints without its /32. */
export function routeEntries(list: readonly RouteJson[]): RouteEntry[] {
  return list.filter((r) => typeof r.gateway === 'string').map((r) => ({
    dst: r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`,
    via: r.gateway as string,
  }));
}

function forwardingOf(list: readonly NetconfJson[]): boolean {
  return list.some((c) => c.family === 'inet' && c.interface === 'all' && c.forwarding === true);
}

const COMMANDS = [['ip', '-j', '-d', 'addr', 'show'], ['ip', '-j', '-4', 'route', 'show'], ['ip', '-j', 'netconf', 'show']] as const;

async function one(ns: string): Promise<ObservedL3Namespace | null> {
  try {
    const [links, routes, netconf] = await Promise.all([
      runJson<IpLinkJson[]>(['ip', '-n', ns, ...COMMANDS[0].slice(1)]),
      runJson<RouteJson[]>(['ip', '-n', ns, ...COMMANDS[1].slice(1)]),
      runJson<NetconfJson[]>(['ip', '-n', ns, ...COMMANDS[2].slice(1)]),
    ]);
    return { links, routes: routeEntries(routes), forwarding: forwardingOf(netconf) };
  } catch {
    return null;
  }
}

export async function observeL3Namespaces(namespaces: readonly string[]): Promise<Map<string, ObservedL3Namespace>> {
  const out = new Map<string, ObservedL3Namespace>();
  if (namespaces.length === 0) return out;
  const input = namespaces.flatMap((ns) => COMMANDS.map((c) => `${line('netns', 'exec', ns, ...c)}\n`)).join('');
  const { stdout } = await run(['ip', '-force', '-batch', '-'], { input, okCodes: [1] });
  const arrays: unknown[][] = [];
  let aligned = true;
  for (const row of stdout.split('\n')) {
    if (!row.startsWith('[')) continue;
    try {
      arrays.push(JSON.parse(row) as unknown[]);
    } catch {
      aligned = false;
    }
  }
  if (aligned && arrays.length === namespaces.length * COMMANDS.length) {
    namespaces.forEach((ns, i) => {
      const [links, routes, netconf] = arrays.slice(i * 3, i * 3 + 3);
      out.set(ns, { links: links as IpLinkJson[], routes: routeEntries(routes as RouteJson[]), forwarding: forwardingOf(netconf as NetconfJson[]) });
    });
    return out;
  }
  await Promise.all(namespaces.map(async (ns) => {
    const o = await one(ns);
    if (o) out.set(ns, o);
  }));
  return out;
}
