/**
 * haproxy processes, one per metadata proxy (a network's or a router's, named by its id).
 * haproxy -D forks once it listens and
 * its parent exits, so the proxy outlives the agent like dnsmasq: a restarted agent finds it by
 * its pid file. Its PID is recorded with its start time and its config path as marker; every
 * signal goes through the verified helpers.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execIn } from '../../linux/ip.js';
import { processStartTime, stopVerified, verifiedPidFromFile } from '../../linux/proc.js';
import { readTextOrNull } from '../../../util/files.js';
import type { ObservedMetadataProxy } from '../../observed.js';
import type { DataplaneRecord } from '../../record.js';

export const proxyMarker = (dir: string): string => join(dir, 'haproxy.cfg');

export function writeProxyConfig(dir: string, config: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(`${path}.tmp`, config, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export async function startProxy(record: DataplaneRecord, id: string, ns: string, dir: string, argv: readonly string[]): Promise<number> {
  const pidFile = join(dir, 'pid');
  rmSync(pidFile, { force: true });
  await execIn(ns, argv, 10_000);
  const pid = Number(readTextOrNull(pidFile)?.trim());
  const startTime = Number.isInteger(pid) && pid > 0 ? processStartTime(pid) : null;
  if (startTime === null) throw new Error(`metadata proxy for ${id} did not stay up (pid file: ${pid})`);
  record.noteProcess({ pid, startTime, namespace: ns, purpose: `metadata proxy ${id}`, marker: proxyMarker(dir) });
  return pid;
}

export async function stopProxy(record: DataplaneRecord, dir: string, pid: number): Promise<void> {
  await stopVerified({ pid, startTime: null, marker: proxyMarker(dir) });
  record.forgetProcess(pid);
  rmSync(join(dir, 'pid'), { force: true });
}

/** A proxy: running only if its pid file names a live haproxy started with its config. */
export function observeProxy(id: string, dir: string): ObservedMetadataProxy {
  return { id, dir, pid: verifiedPidFromFile(join(dir, 'pid'), proxyMarker(dir)), config: readTextOrNull(join(dir, 'haproxy.cfg')) };
}
