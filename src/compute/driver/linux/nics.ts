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

export async function plug(hostNs: string, instanceNs: string, nic: NicState): Promise<void> {
  await ipBatch(hostNs, [
    line('link', 'add', nic.tap, 'mtu', nic.mtu, 'address', tapMac(nic.mac), 'type', 'veth',
      'peer', 'name', guestName(nic.slot), 'mtu', nic.mtu, 'address', nic.mac, 'netns', instanceNs),
    line('link', 'set', nic.tap, 'up'),
  ]);
}

/** Deleting the host end takes the guest end with it; an already-gone link is success. */
export async function unplug(hostNs: string, tap: string): Promise<void> {
  try {
    await ipBatch(hostNs, [line('link', 'delete', tap)]);
  } catch (err) {
    if (!/Cannot find device|No such file|does not exist/i.test((err as Error).message)) throw err;
  }
}
