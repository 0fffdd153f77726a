/**
 * `kumo down` for the Linux driver: every recorded process (verified by start time and pid
 * file; instances' cgroups are thawed first so a paused init can still halt), every dnsmasq
 * and metadata proxy whose pid file is in this home (in case a crash came between its start and
 * its record), the recorded host access veth, then every recorded namespace, the shared fabric
 * last, then the recorded cgroups (instances', then the home's parent). Nothing unrecorded and
 * nothing outside this KUMO_HOME is touched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFrozen, killGroup, removeGroup, setFrozen } from '../../linux/cgroup.js';
import { listNamespaces } from '../../linux/ip.js';
import { stopVerified } from '../../linux/proc.js';
import type { DataplaneRecord, RecordedNamespace } from '../../record.js';
import type { TeardownReport } from '../../driver.js';
import { deleteNs } from './apply.js';
import { teardownHostAccess } from './host-access.js';
import { proxyMarker } from './metadata-proxy.js';

const ORDER: Record<RecordedNamespace['kind'], number> = { instance: 0, test: 0, dhcp: 1, router: 1, outside: 1, upstream: 2, host: 2, fabric: 3 };

/**
 * Daemons whose pid file is in this home (in case a crash came between a start and its record):
 * dnsmasq under dhcp/<network>/pid, haproxy under metadata-proxy/<network>/pid, each verified by
 * the marker its command line carries.
 */
async function orphans(home: string, sub: string, marker: (dir: string) => string): Promise<number[]> {
  const stopped: number[] = [];
  let dirs: string[] = [];
  try {
    dirs = readdirSync(join(home, sub));
  } catch {
    return stopped;
  }
  for (const d of dirs) {
    const dir = join(home, sub, d);
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0) continue;
    await stopVerified({ pid, startTime: null, marker: marker(dir) });
    stopped.push(pid);
  }
  return stopped;
}

export async function teardown(home: string, record: DataplaneRecord, host?: string): Promise<TeardownReport> {
  const all = record.namespaces();
  const chosen = all.filter((n) => host === undefined || n.host === host);
  const names = new Set(chosen.map((n) => n.name));
  const groups = record.cgroups().filter((c) => c.kind === 'instance' && (host === undefined || c.host === host));
  for (const g of groups) if (isFrozen(g.path)) await setFrozen(g.path, false);
  const processes: number[] = [];
  // All at once: each gets its own grace period, and twenty inits halting one after another
  // would make `kumo down` wait twenty times as long.
  await Promise.all(record.processes().filter((p) => host === undefined || names.has(p.namespace)).map(async (p) => {
    await stopVerified(p);
    record.forgetProcess(p.pid);
    processes.push(p.pid);
  }));
  if (host === undefined) {
    processes.push(...(await orphans(home, 'dhcp', (dir) => `--pid-file=${join(dir, 'pid')}`)));
    processes.push(...(await orphans(home, 'metadata-proxy', proxyMarker)));
  }
  // The host access veth first: it is the one thing in the root namespace, and the home's.
  const rootLinks = host === undefined ? await teardownHostAccess(record) : [];
  const existing = await listNamespaces();
  const removed: string[] = [];
  for (const n of [...chosen].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.name.localeCompare(b.name))) {
    if (!existing.has(n.name)) {
      record.forgetNamespace(n.name);
      continue;
    }
    processes.push(...(await deleteNs(record, n.name)));
    removed.push(n.name);
  }
  for (const g of groups) {
    await killGroup(g.path);
    await removeGroup(g.path);
    record.forgetCgroup(g.name);
  }
  if (host === undefined) {
    for (const parent of record.cgroups().filter((c) => c.kind === 'parent')) {
      await removeGroup(parent.path);
      record.forgetCgroup(parent.name);
    }
  }
  return { namespaces: removed, processes, rootLinks };
}
