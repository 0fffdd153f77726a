/**
 * What a powered-off or paused VM looks like from the network, for a container whose kernel
 * keeps answering for it: a stopped instance's NICs lose their addresses and go down (its
 * next boot configures them afresh, as a VM's does); a paused one keeps its state but a table in
 * its own namespace drops every packet in and out until it is unpaused, so nothing (not even
 * an ICMP echo the kernel would answer) gets through while its processes are frozen.
 */
import { ipBatch, line } from '../../../dataplane/linux/ip.js';
import { run } from '../../../dataplane/linux/exec.js';
import { guestName } from './nics.js';
import type { InstanceState } from './state.js';

const PAUSE_TABLE = 'kumo-paused';

/** Addresses flushed and links down, for every NIC the instance has. */
export async function unconfigureNics(s: InstanceState): Promise<void> {
  const lines = s.nics.flatMap((n) => [line('addr', 'flush', 'dev', guestName(n.slot)), line('link', 'set', guestName(n.slot), 'down')]);
  if (lines.length > 0) await ipBatch(s.ns, lines).catch(() => undefined);
}

function pauseRules(): string {
  return [
    `table inet ${PAUSE_TABLE} {`,
    '  chain input { type filter hook input priority -300; policy drop; }',
    '  chain output { type filter hook output priority -300; policy drop; }',
    '}',
  ].join('\n');
}

/** One nft transaction in the instance's namespace: the drop-all table added, or removed. */
export async function cutNetwork(s: InstanceState, cut: boolean): Promise<void> {
  const script = cut
    ? `table inet ${PAUSE_TABLE}\ndelete table inet ${PAUSE_TABLE}\n${pauseRules()}\n`
    : `table inet ${PAUSE_TABLE}\ndelete table inet ${PAUSE_TABLE}\n`;
  await run(['ip', 'netns', 'exec', s.ns, 'nft', '-f', '-'], { input: script });
}
