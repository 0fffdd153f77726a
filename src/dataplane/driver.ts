/**
 * The data-plane driver interface: observe a host, apply actions, tear a home down. Two
 * implementations with the same file names: drivers/linux (namespaces, veths, bridges, VXLAN,
 * dnsmasq) and drivers/fake (an in-memory kernel that records every action; no root needed).
 * The agent cannot tell them apart, so the driver suite runs the same cases on both.
 */
import type { Action } from './actions.js';
import type { ObservedHost, ObserveScope } from './observed.js';

export type DataplaneKind = 'linux' | 'fake';

export interface TeardownReport {
  readonly namespaces: readonly string[];
  readonly processes: readonly number[];
  /** Root-namespace links removed (only ever the host access veth). */
  readonly rootLinks?: readonly string[];
}

export interface DataplaneDriver {
  readonly kind: DataplaneKind;
  /** The KUMO_HOME whose objects this driver makes and records. */
  readonly home: string;
  observe(scope: ObserveScope): Promise<ObservedHost>;
  /** Runs the actions in order; stops at the first failure (the next pass converges). */
  apply(actions: readonly Action[]): Promise<void>;
  /** Removes every recorded object and process of the home (or only those of one host). */
  teardown(host?: string): Promise<TeardownReport>;
}
