/**
 * `kumo trace <server> <address> [proto/port]` and `kumo trace --outside <address> [proto/port]`:
 * why a packet would pass, or where it would be dropped, explained hop by hop from the stored
 * model (src/trace/path.ts). Reads the store of this KUMO_HOME directly, like `kumo exec`, so it
 * works while the cloud runs and needs no token. Exit status: 0 reachable, 1 dropped, 2 error.
 */
import type { KumoConfig } from '../config/config.js';
import { openStore } from '../store/store.js';
import { parseIp } from '../network/ipam/ip.js';
import { parseFlow } from '../trace/flow.js';
import { loadTraceModel } from '../trace/model.js';
import { outsideWorld } from '../trace/outside.js';
import { liveFindings } from '../trace/live.js';
import { renderTrace, trace, type OutsideWorld, type TraceRequest, type TraceSource } from '../trace/path.js';

/** Reading another namespace's nftables needs root; without it the trace is model-only. */
function liveReadable(): boolean {
  return process.getuid?.() === 0;
}

export const TRACE_USAGE = 'usage: kumo trace <server> <address> [icmp|tcp/<port>|udp/<port>]\n       kumo trace --outside <address> [icmp|tcp/<port>|udp/<port>]';

/** `outside` undefined: the outside world is compiled from the store as the data plane builds it. */
export async function traceCommand(config: KumoConfig, args: readonly string[], outside: OutsideWorld | null | undefined, write: (text: string) => void): Promise<number> {
  const fromOutside = args[0] === '--outside';
  const rest = fromOutside ? args.slice(1) : args;
  const [first, second, third] = rest;
  const source: TraceSource | null = fromOutside ? { kind: 'outside' } : first ? { kind: 'server', ref: first } : null;
  const destination = fromOutside ? first : second;
  const flowText = fromOutside ? second : third;
  if (!source || !destination || rest.length > (fromOutside ? 2 : 3)) throw new Error(TRACE_USAGE);
  const ip = parseIp(destination);
  if (!ip) throw new Error(`'${destination}' is not an IP address\n${TRACE_USAGE}`);
  const flow = parseFlow(flowText, ip.version === 6 ? 'IPv6' : 'IPv4');
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  try {
    const world = outside === undefined ? await outsideWorld(store.db, config.home, config.hostAccess) : outside;
    const request: TraceRequest = { source, destination, flow, outside: world };
    const result = trace(await loadTraceModel(store.db), request);
    // The kernel's side, where there is one to read: the Linux data plane, as root.
    const live = liveReadable() ? await liveFindings(result, config.home) : new Map<number, string>();
    write(renderTrace(request, result, live));
    return result.reachable ? 0 : 1;
  } finally {
    await store.close();
  }
}
