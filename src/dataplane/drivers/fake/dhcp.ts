/** The fake dnsmasq: a process entry with its argv, files kept in memory, leases a test grants. */
import type { DhcpFiles } from '../../plan.js';
import type { FakeKernel } from './driver.js';

export function writeFiles(kernel: FakeKernel, networkId: string, files: DhcpFiles): void {
  kernel.files.set(networkId, { ...files });
}

export function startDnsmasq(kernel: FakeKernel, networkId: string, ns: string, argv: readonly string[]): void {
  if (kernel.dnsmasq.has(networkId)) throw new Error(`dnsmasq: failed to create listening socket: Address in use (${networkId})`);
  kernel.dnsmasq.set(networkId, { pid: kernel.nextPid++, ns, argv: [...argv], reloads: 0 });
}

export function reloadDnsmasq(kernel: FakeKernel, networkId: string, pid: number): void {
  const d = kernel.dnsmasq.get(networkId);
  if (!d || d.pid !== pid) throw new Error(`dnsmasq pid ${pid} is gone`);
  d.reloads++;
}

export function stopDnsmasq(kernel: FakeKernel, networkId: string, pid: number): void {
  if (kernel.dnsmasq.get(networkId)?.pid === pid) kernel.dnsmasq.delete(networkId);
}

export function releaseLease(kernel: FakeKernel, networkId: string, ip: string, mac: string): void {
  kernel.leases.set(networkId, (kernel.leases.get(networkId) ?? []).filter((l) => !(l.ip === ip && l.mac === mac)));
  kernel.released.push({ networkId, ip, mac });
}
