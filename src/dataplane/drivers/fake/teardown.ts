/** `kumo down` on the in-memory kernel: the home's (or one host's) namespaces, dnsmasq and proxies go. */
import type { TeardownReport } from '../../driver.js';
import { apply } from './apply.js';
import type { FakeKernel } from './driver.js';

export function teardown(kernel: FakeKernel, host?: string): TeardownReport {
  const processes: number[] = [];
  const namespaces: string[] = [];
  const chosen = [...kernel.namespaces].filter(([, n]) => host === undefined || n.host === host).map(([name]) => name);
  for (const [networkId, d] of kernel.dnsmasq) {
    if (chosen.includes(d.ns)) {
      processes.push(d.pid);
      kernel.dnsmasq.delete(networkId);
    }
  }
  for (const [networkId, p] of kernel.proxies) {
    if (chosen.includes(p.ns)) {
      processes.push(p.pid);
      kernel.proxies.delete(networkId);
    }
  }
  // Namespaces holding links that others' veths point into go last, as the Linux driver does.
  const rank = (name: string) => {
    const kind = kernel.namespaces.get(name)?.kind;
    return kind === 'fabric' ? 2 : kind === 'host' || kind === 'upstream' ? 1 : 0;
  };
  if (host === undefined) for (const dev of [...kernel.rootLinks.keys()]) apply(kernel, { op: 'hostaccess.delete', dev });
  for (const name of chosen.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    apply(kernel, { op: 'netns.delete', ns: name });
    namespaces.push(name);
  }
  return { namespaces, processes };
}
