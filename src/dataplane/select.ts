/**
 * Picks the data-plane driver from KUMO_DATAPLANE: `linux`, `fake`, `off` (no agent at all), or
 * `auto` (the default): linux when running as root on Linux with iproute2, else fake, with the
 * reason said out loud so nobody mistakes the fake for real packets.
 */
import { existsSync } from 'node:fs';
import type { DataplaneChoice } from './choice.js';
import type { DataplaneDriver } from './driver.js';
import { FakeDataplane } from './drivers/fake/driver.js';
import { LinuxDataplane } from './drivers/linux/driver.js';

export interface DataplaneSelection {
  readonly driver: DataplaneDriver | null;
  /** One line for the banner and the log. */
  readonly reason: string;
}

/** Why the Linux driver cannot run here, or null when it can. */
export function linuxUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p))) return 'iproute2 (ip) is not installed';
  return null;
}

/** Why the Linux driver cannot run metadata proxies here (haproxy missing), or null when it can. */
export function metadataProxyUnavailable(): string | null {
  return ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/sbin/haproxy'].some((p) => existsSync(p))
    ? null : 'haproxy is not installed (scripts/dataplane-deps.sh installs it)';
}

export function selectDataplane(choice: DataplaneChoice, home: string): DataplaneSelection {
  switch (choice) {
    case 'off':
      return { driver: null, reason: 'off (KUMO_DATAPLANE=off): no agent, ports stay as the API leaves them' };
    case 'fake':
      return { driver: new FakeDataplane(home), reason: 'fake (KUMO_DATAPLANE=fake): actions recorded in memory, no real packets' };
    case 'linux': {
      const why = linuxUnavailable();
      if (why) throw new Error(`KUMO_DATAPLANE=linux but ${why}`);
      return { driver: new LinuxDataplane(home), reason: 'linux: namespaces, bridges, VXLAN and dnsmasq' };
    }
    case 'auto': {
      const why = linuxUnavailable();
      return why
        ? { driver: new FakeDataplane(home), reason: `fake (${why}; run as root for real networking): no real packets` }
        : { driver: new LinuxDataplane(home), reason: 'linux: namespaces, bridges, VXLAN and dnsmasq' };
    }
  }
}
