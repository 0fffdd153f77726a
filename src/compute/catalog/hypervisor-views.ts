/**
 * os-hypervisors representations: one hypervisor per nova-compute service, named after its
 * host, with the host's capacity and what its instances use; integer ids before 2.53 and
 * UUIDs after; cpu_info a JSON string before 2.28 and an object after; no resource figures but
 * an uptime from 2.88.
 */
import type { FastifyRequest } from 'fastify';
import { arch, cpus, loadavg, networkInterfaces, uptime } from 'node:os';
import { atLeast } from '../microversion.js';
import type { ServiceRecord } from './services.js';
import type { HostLoad } from './usage.js';

/** Reported by every driver today; the Linux driver may report its own later. */
export const HYPERVISOR_VERSION = 1000;

const NO_LOAD: HostLoad = { running: 0, vcpus: 0, memoryMb: 0, diskGb: 0, busy: 0 };

/** The host's address when it registered none: this machine's first external IPv4 address. */
function localAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function cpuInfo(vcpus: number): Record<string, unknown> {
  const cpu = cpus()[0];
  return {
    arch: arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch(),
    model: cpu?.model ?? 'unknown',
    vendor: /intel/i.test(cpu?.model ?? '') ? 'Intel' : /amd/i.test(cpu?.model ?? '') ? 'AMD' : 'unknown',
    topology: { cells: 1, sockets: 1, cores: vcpus, threads: 1 },
    features: [],
  };
}

/** `uptime`'s line, which is what Nova relays from libvirt hosts. */
export function uptimeLine(): string {
  const now = new Date();
  const secs = Math.floor(uptime());
  const days = Math.floor(secs / 86400);
  const hours = Math.floor((secs % 86400) / 3600);
  const minutes = Math.floor((secs % 3600) / 60);
  const clock = now.toTimeString().slice(0, 8);
  const up = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ${String(hours).padStart(2, ' ')}:${String(minutes).padStart(2, '0')}` : `${String(hours).padStart(2, ' ')}:${String(minutes).padStart(2, '0')}`;
  const load = loadavg().map((l) => l.toFixed(2)).join(', ');
  return ` ${clock} up ${up},  0 users,  load average: ${load}`;
}

export function hypervisorId(request: FastifyRequest, s: ServiceRecord): number | string {
  return atLeast(request, '2.53') ? s.row.node_uuid : s.row.id;
}

export function hypervisorBrief(request: FastifyRequest, s: ServiceRecord): Record<string, unknown> {
  return {
    id: hypervisorId(request, s),
    hypervisor_hostname: s.hostName,
    state: s.alive ? 'up' : 'down',
    status: s.disabled ? 'disabled' : 'enabled',
  };
}

export function hypervisorDetail(request: FastifyRequest, s: ServiceRecord, load: HostLoad | undefined): Record<string, unknown> {
  const host = s.host;
  const view: Record<string, unknown> = {
    ...hypervisorBrief(request, s),
    hypervisor_type: host?.hypervisor_type ?? 'fake',
    hypervisor_version: HYPERVISOR_VERSION,
    host_ip: host?.underlay_ip ?? localAddress(),
    service: { id: atLeast(request, '2.53') ? s.row.uuid : s.row.id, host: s.hostName, disabled_reason: s.disabledReason },
  };
  if (!atLeast(request, '2.88')) {
    const l = load ?? NO_LOAD;
    const vcpus = host?.vcpus ?? 0;
    const memory = host?.memory_mb ?? 0;
    const disk = host?.disk_gb ?? 0;
    Object.assign(view, {
      vcpus, memory_mb: memory, local_gb: disk,
      vcpus_used: l.vcpus, memory_mb_used: l.memoryMb, local_gb_used: l.diskGb,
      free_ram_mb: memory - l.memoryMb, free_disk_gb: disk - l.diskGb,
      current_workload: l.busy, running_vms: l.running, disk_available_least: disk - l.diskGb,
    });
    const info = cpuInfo(vcpus);
    view.cpu_info = atLeast(request, '2.28') ? info : JSON.stringify(info);
  } else {
    view.uptime = s.alive ? uptimeLine() : null;
  }
  return view;
}

/** GET /os-hypervisors/statistics: the sums over every hypervisor. */
export function statistics(records: readonly ServiceRecord[], loads: ReadonlyMap<string, HostLoad>): Record<string, number> {
  const stats = {
    count: 0, vcpus: 0, memory_mb: 0, local_gb: 0, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0,
    free_ram_mb: 0, free_disk_gb: 0, current_workload: 0, running_vms: 0, disk_available_least: 0,
  };
  for (const s of records) {
    const l = loads.get(s.hostName) ?? NO_LOAD;
    const memory = s.host?.memory_mb ?? 0;
    const disk = s.host?.disk_gb ?? 0;
    stats.count += 1;
    stats.vcpus += s.host?.vcpus ?? 0;
    stats.memory_mb += memory;
    stats.local_gb += disk;
    stats.vcpus_used += l.vcpus;
    stats.memory_mb_used += l.memoryMb;
    stats.local_gb_used += l.diskGb;
    stats.free_ram_mb += memory - l.memoryMb;
    stats.free_disk_gb += disk - l.diskGb;
    stats.current_workload += l.busy;
    stats.running_vms += l.running;
    stats.disk_available_least += disk - l.diskGb;
  }
  return stats;
}
