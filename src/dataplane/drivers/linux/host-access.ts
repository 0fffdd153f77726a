/**
 * Opt-in host access (KUMO_HOST_ACCESS=1): the only kernel object Kumo ever makes in the root
 * namespace, a veth `kumo-<home hash>` whose peer joins an external segment in the fabric. It is
 * noted in the record before it exists and every later step first checks the record, so nothing
 * else in the root namespace can be touched through here. It gets on-link addresses only (no
 * route, no gateway role), no IPv6 link-local address (addrgenmode none, set while still down),
 * and forwarding off for packets arriving on it, so the machine never routes sandbox traffic
 * onwards. Its per-device forwarding sysctl belongs to the device and goes with it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { VethEnd } from '../../actions.js';
import { run, runJson } from '../../linux/exec.js';
import { line, type IpLinkJson } from '../../linux/ip.js';
import type { DataplaneRecord } from '../../record.js';

const DEV = /^kumo-[0-9a-f]{8}$/;
const PURPOSE = 'host access (KUMO_HOST_ACCESS)';

function checked(record: DataplaneRecord, dev: string): string {
  if (!DEV.test(dev)) throw new Error(`host access: refusing to touch root namespace link ${JSON.stringify(dev)}`);
  if (!record.rootLinks().some((l) => l.name === dev)) throw new Error(`host access: ${dev} is not recorded; not touching it`);
  return dev;
}

const forwardingPath = (dev: string) => `/proc/sys/net/ipv4/conf/${dev}/forwarding`;

/** The veth's forwarding flag, or null when the device does not exist. */
export function rootForwarding(dev: string): boolean | null {
  try {
    return readFileSync(forwardingPath(dev), 'utf8').trim() !== '0';
  } catch {
    return null;
  }
}

export async function observeHostAccess(record: DataplaneRecord, dev: string): Promise<(IpLinkJson & { forwarding: boolean }) | null> {
  if (!DEV.test(dev) || !record.rootLinks().some((l) => l.name === dev)) return null;
  const forwarding = rootForwarding(dev);
  if (forwarding === null) return null;
  try {
    const [link] = await runJson<IpLinkJson[]>(['ip', '-j', '-d', 'addr', 'show', 'dev', dev]);
    return link ? { ...link, forwarding } : null;
  } catch {
    return null;
  }
}

async function secure(dev: string, mtu?: number): Promise<void> {
  await run(['ip', 'link', 'set', 'dev', dev, 'addrgenmode', 'none']);
  writeFileSync(forwardingPath(dev), '0\n');
  await run(['ip', 'link', 'set', 'dev', dev, ...(mtu ? ['mtu', String(mtu)] : []), 'up']);
}

export async function addHostAccess(record: DataplaneRecord, dev: string, mtu: number, peer: VethEnd): Promise<void> {
  if (!DEV.test(dev)) throw new Error(`host access: bad device name ${JSON.stringify(dev)}`);
  // A link of that name that Kumo did not record is someone else's: never adopt it.
  if (rootForwarding(dev) !== null && !record.rootLinks().some((l) => l.name === dev)) throw new Error(`host access: ${dev} exists and is not Kumo's`);
  record.noteRootLink(dev, PURPOSE);
  await run(['ip', 'link', 'add', dev, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', peer.name, 'mtu', String(peer.mtu), 'netns', peer.ns]);
  await secure(dev);
  await run(['ip', '-n', peer.ns, '-batch', '-'], { input: `${line('link', 'set', peer.name, ...(peer.master ? ['master', peer.master] : []), 'up')}\n` });
}

export async function secureHostAccess(record: DataplaneRecord, dev: string): Promise<void> {
  await secure(checked(record, dev));
}

export async function setHostAccessAddress(record: DataplaneRecord, dev: string, cidr: string, add: boolean): Promise<void> {
  await run(['ip', 'addr', add ? 'add' : 'del', line(cidr), 'dev', checked(record, dev)]);
}

export async function deleteHostAccess(record: DataplaneRecord, dev: string): Promise<void> {
  try {
    await run(['ip', 'link', 'delete', 'dev', checked(record, dev), 'type', 'veth']);
  } catch (err) {
    if (!/Cannot find device|does not exist/i.test((err as Error).message)) throw err;
  }
  record.forgetRootLink(dev);
}

/** `kumo down`: every recorded root-namespace link of the home, and nothing else. */
export async function teardownHostAccess(record: DataplaneRecord): Promise<string[]> {
  const removed: string[] = [];
  for (const l of record.rootLinks()) {
    if (!DEV.test(l.name)) {
      record.forgetRootLink(l.name);
      continue;
    }
    await deleteHostAccess(record, l.name);
    removed.push(l.name);
  }
  return removed;
}
