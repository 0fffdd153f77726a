/**
 * Applies actions to the kernel in the order given. Link, address and neighbour steps become
 * `ip -n NS -batch -` lines and FDB steps `bridge -n NS -batch -` lines; consecutive lines for
 * one namespace and tool go in one process (hundreds of changes cost one fork). Namespace,
 * dnsmasq, nftables and metadata-proxy steps run on their own, after the pending batch.
 */
import type { Action } from '../../actions.js';
import { addNamespace, bridgeBatch, deleteNamespace, execIn, ipBatch, line, namespacePids } from '../../linux/ip.js';
import { stopVerified } from '../../linux/proc.js';
import type { DataplaneRecord } from '../../record.js';
import { releaseLease, reloadDnsmasq, startDnsmasq, stopDnsmasq, writeFiles } from './dhcp.js';
import { pruneNatConntrack } from './conntrack.js';
import { pruneFirewallConntrack } from './firewall-conntrack.js';
import { addHostAccess, deleteHostAccess, secureHostAccess, setHostAccessAddress } from './host-access.js';
import { deleteTable, forgetTables, replaceTables } from './nft.js';
import { startProxy, stopProxy, writeProxyConfig } from './metadata-proxy.js';

interface Command {
  readonly tool: 'ip' | 'bridge';
  readonly ns: string;
  readonly line: string;
}

/** The batch lines of an action, or null for a step that runs on its own. */
function commands(a: Action): Command[] | null {
  const ip = (ns: string, ...tokens: (string | number)[]): Command => ({ tool: 'ip', ns, line: line(...tokens) });
  switch (a.op) {
    case 'link.add.bridge':
      return [ip(a.ns, 'link', 'add', a.name, 'mtu', a.mtu, 'type', 'bridge'), ip(a.ns, 'link', 'set', a.name, 'up')];
    case 'link.add.vxlan':
      return [
        ip(a.ns, 'link', 'add', a.name, 'mtu', a.mtu, 'type', 'vxlan', 'id', a.vni, 'local', a.local, 'dev', a.dev, 'dstport', 4789, 'nolearning', 'proxy'),
        ip(a.ns, 'link', 'set', a.name, 'master', a.master, 'up'),
      ];
    case 'link.add.veth': {
      const mac = (m?: string) => (m ? ['address', m] : []);
      const out = [ip(a.a.ns, 'link', 'add', a.a.name, 'mtu', a.a.mtu, ...mac(a.a.mac), 'type', 'veth',
        'peer', 'name', a.b.name, 'mtu', a.b.mtu, ...mac(a.b.mac), 'netns', a.b.ns)];
      out.push(ip(a.a.ns, 'link', 'set', a.a.name, ...(a.a.master ? ['master', a.a.master] : []), 'up'));
      out.push(ip(a.b.ns, 'link', 'set', a.b.name, ...(a.b.master ? ['master', a.b.master] : []), 'up'));
      return out;
    }
    case 'link.set': {
      const tokens: (string | number)[] = [];
      if (a.master === null) tokens.push('nomaster');
      else if (a.master !== undefined) tokens.push('master', a.master);
      if (a.mtu !== undefined) tokens.push('mtu', a.mtu);
      if (a.mac !== undefined) tokens.push('address', a.mac);
      if (a.up !== undefined) tokens.push(a.up ? 'up' : 'down');
      return [ip(a.ns, 'link', 'set', a.name, ...tokens)];
    }
    case 'addr.add': return [ip(a.ns, 'addr', 'add', a.cidr, 'dev', a.dev)];
    case 'addr.delete': return [ip(a.ns, 'addr', 'del', a.cidr, 'dev', a.dev)];
    case 'neigh.add': return [ip(a.ns, 'neigh', 'replace', a.ip, 'lladdr', a.mac, 'dev', a.dev, 'nud', 'permanent')];
    case 'neigh.delete': return [ip(a.ns, 'neigh', 'del', a.ip, 'dev', a.dev)];
    case 'route.replace': return [ip(a.ns, 'route', 'replace', a.dst, 'via', a.via)];
    case 'route.delete': return [ip(a.ns, 'route', 'del', a.dst, 'via', a.via)];
    case 'fdb.add': return [{ tool: 'bridge', ns: a.ns, line: line('fdb', 'append', a.mac, 'dev', a.dev, 'dst', a.dst, 'self', 'permanent') }];
    case 'fdb.delete': return [{ tool: 'bridge', ns: a.ns, line: line('fdb', 'del', a.mac, 'dev', a.dev, 'dst', a.dst, 'self') }];
    default: return null;
  }
}

async function addNs(record: DataplaneRecord, a: Extract<Action, { op: 'netns.add' }>): Promise<void> {
  // Noted first: a crash right after the create still leaves the namespace on record.
  record.noteNamespace(a.ns, a.host, a.kind);
  await addNamespace(a.ns);
  await ipBatch(a.ns, [line('link', 'set', 'lo', 'up')]);
  if (a.kind === 'router') {
    // Neutron's router namespace settings: no ICMP redirects (a hairpinned floating IP would
    // otherwise teach the sender a shortcut around the NAT) and IPv4 only here.
    await execIn(a.ns, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0',
      'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']).catch(() => undefined);
  }
  if (a.kind === 'host' || a.kind === 'fabric' || a.kind === 'upstream' || a.kind === 'outside') {
    // Bridges and VXLAN devices would otherwise get IPv6 link-local addresses and chatter.
    await execIn(a.ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']).catch(() => undefined);
  }
  if (a.kind === 'host') {
    // Security groups see bridged packets through br_netfilter: on in this namespace only
    // (the kernel's per-namespace setting; the root namespace's is never touched).
    await execIn(a.ns, ['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1']);
  }
}

/** Stops the namespace's recorded processes, then any other process inside it, then deletes it. */
export async function deleteNs(record: DataplaneRecord, ns: string): Promise<number[]> {
  const stopped: number[] = [];
  for (const p of record.processes().filter((r) => r.namespace === ns)) {
    await stopVerified(p);
    record.forgetProcess(p.pid);
    stopped.push(p.pid);
  }
  try {
    for (const pid of await namespacePids(ns)) {
      // Inside a namespace Kumo made and is about to delete: it would pin the namespace alive.
      await stopVerified({ pid, startTime: null, marker: '' });
      stopped.push(pid);
    }
    await deleteNamespace(ns);
  } catch (err) {
    // Already gone (deleted by hand): nothing left to remove.
    if (!/No such file|does not exist|Invalid argument/i.test(String((err as Error).message))) throw err;
  }
  forgetTables(record.home, ns);
  record.forgetNamespace(ns);
  return stopped;
}

/**
 * Deleting a link that is already gone is success: a namespace's devices (and their veth peers
 * elsewhere) disappear asynchronously after `ip netns delete`, so one seen a moment ago may be
 * gone by now.
 */
async function deleteLink(ns: string, name: string): Promise<void> {
  try {
    await ipBatch(ns, [line('link', 'delete', name)]);
  } catch (err) {
    if (!/Cannot find device/.test((err as Error).message)) throw err;
  }
}

async function single(record: DataplaneRecord, a: Action): Promise<void> {
  switch (a.op) {
    case 'link.delete': return deleteLink(a.ns, a.name);
    case 'netns.add': return addNs(record, a);
    case 'netns.delete': await deleteNs(record, a.ns); return;
    case 'dhcp.files': return writeFiles(a.dir, a.files);
    case 'dhcp.start': await startDnsmasq(record, a.networkId, a.ns, a.dir, a.argv); return;
    case 'dhcp.reload': return reloadDnsmasq(a.dir, a.pid);
    case 'dhcp.stop': return stopDnsmasq(record, a.dir, a.pid);
    case 'dhcp.release': return releaseLease(a.ns, a.dev, a.ip, a.mac, a.clientId);
    case 'sysctl.set': await execIn(a.ns, ['sysctl', '-q', '-w', `${a.key}=${a.value}`]); return;
    case 'nat.conntrack': return pruneNatConntrack(a.ns, a.floating, a.removed);
    case 'firewall.conntrack': await pruneFirewallConntrack(a.ns, a.firewall); return;
    case 'arp.announce':
      // Best effort, like Neutron's arping: neighbours that miss it re-learn within seconds anyway.
      await execIn(a.ns, ['busybox', 'arping', '-U', '-c', '1', '-I', a.dev, '-s', a.ip, a.ip], 5_000).catch(() => undefined);
      return;
    case 'hostaccess.add': return addHostAccess(record, a.dev, a.mtu, a.peer);
    case 'hostaccess.secure': return secureHostAccess(record, a.dev);
    case 'hostaccess.addr.add': return setHostAccessAddress(record, a.dev, a.cidr, true);
    case 'hostaccess.addr.delete': return setHostAccessAddress(record, a.dev, a.cidr, false);
    case 'hostaccess.delete': return deleteHostAccess(record, a.dev);
    case 'nft.table': return replaceTables(record.home, a.ns, [a]);
    case 'nft.delete': return deleteTable(record.home, a.ns, a.family, a.name);
    case 'metadata.config': return writeProxyConfig(a.dir, a.config);
    case 'metadata.start': await startProxy(record, a.id, a.ns, a.dir, a.argv); return;
    case 'metadata.stop': return stopProxy(record, a.dir, a.pid);
    default: throw new Error(`not a single step: ${a.op}`);
  }
}

export async function apply(record: DataplaneRecord, actions: readonly Action[]): Promise<void> {
  let pending: Command[] = [];
  const flush = async () => {
    while (pending.length > 0) {
      const first = pending[0] as Command;
      let n = 1;
      while (n < pending.length && pending[n]?.tool === first.tool && pending[n]?.ns === first.ns) n++;
      const lines = pending.slice(0, n).map((c) => c.line);
      pending = pending.slice(n);
      if (first.tool === 'ip') await ipBatch(first.ns, lines);
      else await bridgeBatch(first.ns, lines);
    }
  };
  try {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as Action;
      if (a.op === 'nft.table') {
        // Consecutive tables of one namespace change in one transaction.
        const tables = [a];
        for (let next = actions[i + 1]; next?.op === 'nft.table' && next.ns === a.ns; next = actions[i + 1]) {
          tables.push(next);
          i++;
        }
        await flush();
        await replaceTables(record.home, a.ns, tables);
        continue;
      }
      const cmds = commands(a);
      if (cmds) {
        pending.push(...cmds);
        continue;
      }
      await flush();
      await single(record, a);
    }
    await flush();
  } finally {
    pending = [];
  }
}
