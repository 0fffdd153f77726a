/**
 * NICs as veth pairs: the host end `tap<port id[:11]>` in the host's namespace (the agent puts it
 * in the network's bridge and reports the port ACTIVE), the guest end `ens<slot>` in the
 * instance's namespace with the port's MAC and the network's MTU. A NIC is created DOWN on the
 * guest side: the boot NIC is brought up by the guest's init, a hot-plugged one by the user.
 */
import { ipBatch, line } from '../../../dataplane/linux/ip.js';
import { tapMac } from '../../../dataplane/names.js';
import type { NicState } from './state.js';

export const guestName = (slot: number): string => `ens${slot}`;

/**
 * The batch lines, run in the instance's namespace, that create a NIC: the guest end
 * ens<slot> there, the host end tap<port> in the host's namespace.
 */
export function nicLines(hostNs: string, nic: NicState): string[] {
  return [line('link', 'add', guestName(nic.slot), 'mtu', nic.mtu, 'address', nic.mac, 'type', 'veth',
    'peer', 'name', nic.tap, 'mtu', nic.mtu, 'address', tapMac(nic.mac), 'netns', hostNs)];
}

/**
 * Brings the taps up and, where the network's bridge is already on the host, puts them in it
 * (as os-vif does for Nova), so a guest's first packets reach its network without waiting for
 * the agent, which wires them otherwise. Resolves with whether every tap is in its bridge.
 */
export async function wireTaps(hostNs: string, taps: readonly { readonly tap: string; readonly bridge?: string | undefined }[]): Promise<boolean> {
  const bridged = taps.filter((t): t is { tap: string; bridge: string } => Boolean(t.bridge));
  // Masters last: a bridge not made yet fails its line only after every tap is up.
  const lines = [...taps.map((t) => line('link', 'set', t.tap, 'up')), ...bridged.map((t) => line('link', 'set', t.tap, 'master', t.bridge))];
  try {
    await ipBatch(hostNs, lines);
  } catch (err) {
    const message = (err as Error).message;
    if (bridged.some((t) => message.includes(t.bridge)) && /Cannot find device|does not exist/i.test(message)) return false;
    throw err;
  }
  return bridged.length === taps.length;
}

/** Hot-plug: the NIC made and its tap wired, the guest end left DOWN for the user. */
export async function plug(hostNs: string, instanceNs: string, nic: NicState, bridge?: string): Promise<boolean> {
  await ipBatch(instanceNs, nicLines(hostNs, nic));
  return wireTaps(hostNs, [{ tap: nic.tap, bridge }]);
}

/** Deleting the host end takes the guest end with it; an already-gone link is success. */
export async function unplug(hostNs: string, tap: string): Promise<void> {
  try {
    await ipBatch(hostNs, [line('link', 'delete', tap)]);
  } catch (err) {
    if (!/Cannot find device|No such file|does not exist/i.test((err as Error).message)) throw err;
  }
}
