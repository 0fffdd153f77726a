/** The Linux data-plane driver: network namespaces, veths, bridges, VXLAN and dnsmasq, all recorded. */
import type { Action } from '../../actions.js';
import type { DataplaneDriver, TeardownReport } from '../../driver.js';
import type { ObservedHost, ObserveScope } from '../../observed.js';
import { DataplaneRecord } from '../../record.js';
import { apply } from './apply.js';
import { observe } from './observe.js';
import { teardown } from './teardown.js';

export class LinuxDataplane implements DataplaneDriver {
  readonly kind = 'linux' as const;
  readonly record: DataplaneRecord;

  constructor(readonly home: string) {
    this.record = new DataplaneRecord(home);
  }

  observe(scope: ObserveScope): Promise<ObservedHost> {
    return observe(this.home, this.record, scope);
  }

  apply(actions: readonly Action[]): Promise<void> {
    return apply(this.record, actions);
  }

  teardown(host?: string): Promise<TeardownReport> {
    return teardown(this.home, this.record, host);
  }
}
