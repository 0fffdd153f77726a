/** What every benchmark suite shares: its options, the API prefixes it calls and the baseline request. */
import type { Client } from './http.js';
import type { KumoOptions } from './kumo.js';

export interface SuiteOptions {
  readonly rounds: number;
  /** Timed calls per round for single operations (lists take a quarter of it). */
  readonly perRound: number;
  /** Seconds each round of a load test runs. */
  readonly loadSeconds: number;
  readonly clients: number;
  readonly kumo?: KumoOptions;
}

export const NET = '/network/v2.0';
export const NOVA = '/compute/v2.1';

/** The unauthenticated version document: HTTP, routing and serialisation with no store access. */
export const rootBaseline = (c: Client) => async (): Promise<void> => { await c.raw('GET', '/'); };

/** What the L3 figures reuse from the network suite: the port network and ports to put floating IPs on. */
export interface PortFixture {
  readonly networkId: string;
  readonly subnetId: string;
  readonly portIds: readonly string[];
}
