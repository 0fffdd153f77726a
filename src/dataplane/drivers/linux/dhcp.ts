/**
 * dnsmasq processes and their files. dnsmasq daemonises itself (its parent returns only once
 * it is serving, or with the reason it cannot), so it outlives the agent and the cloud process:
 * a restarted agent finds it by its pid file and keeps it. Its PID is recorded with its start
 * time and the pid-file path as marker; every signal goes through the verified helpers.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execIn } from '../../linux/ip.js';
import { processStartTime, signalVerified, stopVerified } from '../../linux/proc.js';
import type { DhcpFiles } from '../../plan.js';
import type { DataplaneRecord } from '../../record.js';

const marker = (dir: string) => `--pid-file=${join(dir, 'pid')}`;

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export function writeFiles(dir: string, files: DhcpFiles): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomic(join(dir, 'host'), files.host);
  writeAtomic(join(dir, 'opts'), files.opts);
  writeAtomic(join(dir, 'addn_hosts'), files.addn_hosts);
}

export async function startDnsmasq(record: DataplaneRecord, networkId: string, ns: string, dir: string, argv: readonly string[]): Promise<number> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pidFile = join(dir, 'pid');
  rmSync(pidFile, { force: true });
  await execIn(ns, argv, 10_000);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const startTime = processStartTime(pid);
  if (!Number.isInteger(pid) || pid <= 0 || startTime === null) throw new Error(`dnsmasq for ${networkId} did not stay up (pid file: ${pid})`);
  record.noteProcess({ pid, startTime, namespace: ns, purpose: `dnsmasq ${networkId}`, marker: marker(dir) });
  return pid;
}

export function reloadDnsmasq(dir: string, pid: number): void {
  if (!signalVerified({ pid, startTime: null, marker: marker(dir) }, 'SIGHUP')) {
    throw new Error(`dnsmasq pid ${pid} is gone; the next pass starts a new one`);
  }
}

export async function stopDnsmasq(record: DataplaneRecord, dir: string, pid: number): Promise<void> {
  await stopVerified({ pid, startTime: null, marker: marker(dir) });
  record.forgetProcess(pid);
  rmSync(join(dir, 'pid'), { force: true });
}

/** Ends one lease now (dnsmasq-utils' dhcp_release, sent from inside the namespace). */
export async function releaseLease(ns: string, dev: string, ip: string, mac: string, clientId: string): Promise<void> {
  try {
    await execIn(ns, ['dhcp_release', dev, ip, mac, ...(clientId && clientId !== '*' ? [clientId] : [])], 5_000);
  } catch (err) {
    // Without dnsmasq-utils the host file is still rewritten and dnsmasq reloaded: the lease
    // then lasts until it expires, which is all Neutron's agent did before dhcp_release.
    if (!/exec of "dhcp_release" failed|No such file/.test((err as Error).message)) throw err;
  }
}
