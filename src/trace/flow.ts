/**
 * The packet a trace follows, parsed from the CLI's `[proto/port]` argument: `icmp` (an echo
 * request, type 8 — or 128 over IPv6), `tcp/22`, `udp/53`, a protocol number. Parsing is strict:
 * a typo is an error, never a silently different question.
 */
import { IP_PROTOCOL_MAP } from '../network/security-groups/protocols.js';

export interface Flow {
  readonly ethertype: 'IPv4' | 'IPv6';
  /** IP protocol number: 1 icmp, 6 tcp, 17 udp, 58 ipv6-icmp, ... */
  readonly protocol: number;
  /** Destination port (tcp/udp/...) or ICMP type; null for protocols with neither. */
  readonly port: number | null;
  /** ICMP code (0 for an echo request); null otherwise. */
  readonly icmpCode: number | null;
}

const PORTED = new Set([6, 17, 33, 132, 136]);

export function isIcmp(protocol: number): boolean {
  return protocol === 1 || protocol === 58;
}

export function describeFlow(f: Flow): string {
  const name = Object.entries(IP_PROTOCOL_MAP).find(([n, v]) => v === f.protocol && n !== 'icmpv6' && n !== 'hopopt')?.[0] ?? String(f.protocol);
  if (isIcmp(f.protocol)) return `${name} type ${f.port ?? 'any'} code ${f.icmpCode ?? 'any'}`;
  return f.port === null ? name : `${name}/${f.port}`;
}

/** `icmp`, `tcp/22`, `udp/53`, `icmp/8`, `17/53`; ethertype from the destination address. */
export function parseFlow(text: string | undefined, ethertype: 'IPv4' | 'IPv6'): Flow {
  const spec = (text ?? 'icmp').trim().toLowerCase();
  const m = /^([a-z0-9-]+)(?:\/(\d{1,5}))?$/.exec(spec);
  if (!m) throw new Error(`cannot read '${text}' as a protocol: use icmp, tcp/<port>, udp/<port> or <number>/<port>`);
  const [, proto = '', portText] = m;
  let protocol = /^\d+$/.test(proto) ? Number(proto) : IP_PROTOCOL_MAP[proto];
  if (protocol === undefined || protocol > 255) throw new Error(`unknown protocol '${proto}'`);
  if (ethertype === 'IPv6' && protocol === 1) protocol = 58;
  if (ethertype === 'IPv4' && protocol === 58) throw new Error('ipv6-icmp towards an IPv4 address');
  const port = portText === undefined ? null : Number(portText);
  if (isIcmp(protocol)) {
    if (port !== null && port > 255) throw new Error(`ICMP type ${port} is out of range (0-255)`);
    return { ethertype, protocol, port: port ?? (protocol === 58 ? 128 : 8), icmpCode: 0 };
  }
  if (PORTED.has(protocol)) {
    if (port === null) throw new Error(`${proto} needs a port: ${proto}/<port>`);
    if (port < 1 || port > 65535) throw new Error(`port ${port} is out of range (1-65535)`);
    return { ethertype, protocol, port, icmpCode: null };
  }
  if (port !== null) throw new Error(`protocol ${proto} has no ports`);
  return { ethertype, protocol, port: null, icmpCode: null };
}
