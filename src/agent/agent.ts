/**
 * The per-host agent: a level-triggered reconcile loop. Each pass reads the desired state from
 * the store, compiles this host's plan, observes the kernel through the driver, applies the
 * diff, observes again and reports port status. A pass with nothing to change does nothing
 * (and writes nothing). Wake-ups: a store fingerprint polled every pollMs, a full resync every
 * resyncMs (which is what repairs drift, e.g. a veth deleted by hand), and a backoff retry after
 * a failure. One pass at a time; requests during a pass coalesce into one more pass.
 */
import { performance as loopPerformance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { describe, type Action } from '../dataplane/actions.js';
import { diff } from '../dataplane/diff.js';
import type { DataplaneDriver } from '../dataplane/driver.js';
import { homeHash } from '../dataplane/names.js';
import type { ObserveScope } from '../dataplane/observed.js';
import type { HostPlan } from '../dataplane/plan.js';
import type { Store } from '../store/store.js';
import type { DhcpSettings } from './compile-dhcp.js';
import { compile, type CompileContext } from './compile.js';
import { loadModel } from './model.js';
import { dhcpReadyPorts, observedHostFile, plannedHostFile, portReports, writePortReports } from './status.js';
import { floatingIpReports, routerPortReports, writeFloatingIpReports } from './status-router.js';
import { fingerprint } from './watch.js';

export interface AgentOptions {
  readonly store: Store;
  readonly driver: DataplaneDriver;
  readonly host: string;
  readonly logger?: Logger;
  readonly pollMs?: number;
  readonly resyncMs?: number;
  readonly underlayPrefixLen?: number;
  readonly physicalMtu?: number;
  readonly dhcp?: Partial<DhcpSettings>;
  /** KUMO_HOST_ACCESS: the root namespace gets one on-link address on the external segment. */
  readonly hostAccess?: boolean;
  /** Report instance ports' status (off while Nova's fake compute driver reports them itself). */
  readonly instancePortStatus?: boolean;
  /** The metadata service's socket: each DHCP namespace and each router with an internal interface then gets a proxy to it. */
  readonly metadataSocket?: string;
}

export interface PassResult {
  readonly actions: readonly Action[];
  readonly reported: number;
}

export const UNDERLAY_PREFIX_LEN = 24;

const isConntrackCleanup = (a: Action): boolean => a.op === 'firewall.conntrack' || a.op === 'nat.conntrack';

export function scopeOf(plan: HostPlan): ObserveScope {
  return {
    host: plan.host, hostNs: plan.hostNs, fabricNs: plan.fabric.ns,
    vxlanDevices: plan.bridges.flatMap((b) => (b.uplink?.kind === 'vxlan' ? [b.uplink.device] : [])),
    dhcp: plan.dhcp.map((d) => ({ networkId: d.networkId, ns: d.ns, dir: d.dir })),
    routers: (plan.routers ?? []).map((r) => r.ns),
    outside: plan.outside ? { upstreamNs: plan.outside.upstreamNs, outsideNs: plan.outside.outsideNs, hostAccessDev: plan.outside.hostAccessDev } : null,
    nftNamespaces: [...new Set([plan.hostNs, ...(plan.nftTables ?? []).map((t) => t.ns)])].sort(),
    metadata: (plan.metadata ?? []).map((m) => ({ id: m.id, dir: m.dir })),
  };
}

/**
 * Longest rest between two passes while changes keep arriving: bounds how late a change waits
 * behind a busy stretch (issue 7: a floating IP answers within a second of its association).
 */
const MAX_REST_MS = 400;
/**
 * The agent's share of the event loop while changes keep arriving: each ms the loop is busy
 * during a pass is paid back by REST_FACTOR ms without passes, so passes take at most about a
 * tenth of the loop. In the all-in-one process every Neutron write asks for a pass, and a pass
 * over a thousand ports is 15-30 ms of the API's event loop. Busy time rather than wall time, so
 * that a pass waiting on ip or nft (the linux driver) does not hold back the next one; API work
 * that runs while a pass awaits is counted too, which only lengthens the rest when the API is busy.
 */
const REST_FACTOR = 9;
/**
 * Busy ms of passes that may run back to back before any rest: after a quiet spell a change is
 * applied at once, and so is one that arrives during that pass (a floating IP associated right
 * after it was created); only a stream of changes over a big model has to wait.
 */
const BURST_MS = 20;
/**
 * A pass starts this long after it is asked for, so that a run of writes (a client creating
 * ports one after another, each kicking the agent) is applied by one pass, not one each.
 */
const DEBOUNCE_MS = 10;

export class Agent {
  readonly context: CompileContext;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lastFingerprint = '';
  private failures = 0;
  private retry: NodeJS.Timeout | null = null;
  /** The last pass's outcome, for tests and diagnostics. */
  lastError: Error | null = null;
  passes = 0;
  /** Pass attempts begun and ended (failed ones too), for settled(). */
  private begun = 0;
  private ended = 0;
  private waiters: { readonly after: number; readonly ports?: readonly string[]; readonly resolve: () => void }[] = [];
  /** Ends the rest between two passes early (settled() calls it). */
  private cutRest: (() => void) | null = null;
  /** Busy ms of passes not yet paid back by rest, as of debtAt (performance.now()). */
  private debt = 0;
  private debtAt = 0;
  /** Ports whose DHCP entry was in place at the end of the last pass (dhcpReadyPorts). */
  private dhcpReady: ReadonlySet<string> = new Set();

  constructor(private readonly options: AgentOptions) {
    this.context = {
      host: options.host, home: options.driver.home, homeHash: homeHash(options.driver.home),
      underlayPrefixLen: options.underlayPrefixLen ?? UNDERLAY_PREFIX_LEN, physicalMtu: options.physicalMtu ?? 1500,
      dhcp: { domain: options.dhcp?.domain ?? 'openstacklocal', leaseSeconds: options.dhcp?.leaseSeconds ?? 86400 },
      hostAccess: options.hostAccess ?? false,
      ...(options.metadataSocket ? { metadata: { socket: options.metadataSocket } } : {}),
    };
  }

  get driver(): DataplaneDriver {
    return this.options.driver;
  }

  /** One reconcile pass: load, compile, observe, diff, apply, observe, report. */
  async pass(): Promise<PassResult> {
    const db = this.options.store.db;
    const model = await loadModel(db);
    const plan = compile(model, this.context);
    const scope = scopeOf(plan);
    let observed = await this.driver.observe(scope);
    const actions = diff(plan, observed);
    let applyError: Error | null = null;
    if (actions.length > 0) {
      for (const a of actions) this.options.logger?.debug({ host: this.options.host }, describe(a));
      // Ending the flows a firewall or NAT change no longer admits is cleanup: it runs after
      // a booting instance held for its DHCP entry (settled()) has been let go.
      const cleanup = actions.filter(isConntrackCleanup);
      try {
        await this.driver.apply(actions.filter((a) => !isConntrackCleanup(a)));
      } catch (err) {
        applyError = err as Error;
      }
      if (!applyError) {
        // Applied means written and reloaded: a booting instance need not wait for the re-read.
        this.dhcpReady = dhcpReadyPorts(plan, model, plannedHostFile(plan));
        this.wake();
        if (cleanup.length > 0) await this.driver.apply(cleanup).catch((err: Error) => { applyError = err; });
      }
      observed = await this.driver.observe(scope);
    }
    this.dhcpReady = dhcpReadyPorts(plan, model, observedHostFile(observed));
    const reports = [...portReports(plan, observed, model, this.options.instancePortStatus ?? false), ...routerPortReports(plan, observed, model)];
    await writePortReports(db, reports);
    await writeFloatingIpReports(db, floatingIpReports(plan, observed, model));
    this.passes++;
    if (applyError) throw applyError;
    return { actions, reported: reports.length };
  }

  /** Starts with a full pass (awaited, so the data plane matches the store when start returns). */
  async start(): Promise<void> {
    this.stopped = false;
    this.kick();
    await this.idle();
    const poll = setInterval(() => {
      fingerprint(this.options.store.db).then((fp) => {
        if (fp !== this.lastFingerprint) {
          this.lastFingerprint = fp;
          this.kick();
        }
      }, () => undefined);
    }, this.options.pollMs ?? 300);
    const resync = setInterval(() => this.kick(), this.options.resyncMs ?? 5000);
    poll.unref();
    resync.unref();
    this.timers = [poll, resync];
  }

  /** Asks for a pass soon; passes never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /**
   * Resolves once the data plane has acted on everything the store and the kernel held when
   * asked: after a pass that began after this call, or, given ports, as soon as a pass ends with
   * all of them in dnsmasq (the caller has wired their taps itself). At once when stopped. The
   * compute driver waits for it between plugging a new instance's NICs and starting its init,
   * as Nova waits for network-vif-plugged, so the guest's first DHCP request is answered.
   */
  settled(ports?: readonly string[]): Promise<void> {
    if (this.stopped || (ports && ports.every((p) => this.dhcpReady.has(p)))) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ after: this.begun + 1, ...(ports ? { ports } : {}), resolve }));
    this.kick();
    this.cutRest?.();
    return done;
  }

  private wake(all = false): void {
    const ready = this.waiters.filter((w) => all || w.after <= this.ended || (w.ports?.every((p) => this.dhcpReady.has(p)) ?? false));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Resolves when no pass is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The debt left now that the time since debtAt has paid some of it back. */
  private currentDebt(): number {
    const now = performance.now();
    this.debt = Math.max(0, this.debt - (now - this.debtAt) / REST_FACTOR);
    this.debtAt = now;
    return this.debt;
  }

  private async loop(): Promise<void> {
    do {
      // The agent shares the event loop with the API in the all-in-one process: while passes
      // owe more than the burst allowance, rest until it is paid back; otherwise wait only the
      // debounce. No wait while someone waits in settled() (a booting instance is held until
      // then), and a wait is cut short when someone starts waiting.
      const owed = this.currentDebt() - BURST_MS;
      const rest = Math.min(Math.max(DEBOUNCE_MS, owed * REST_FACTOR), MAX_REST_MS);
      if (this.waiters.length === 0 && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.cutRest = null;
            resolve();
          }, rest);
          this.cutRest = () => {
            clearTimeout(timer);
            this.cutRest = null;
            resolve();
          };
        });
        if (this.stopped) break;
      }
      this.again = false;
      const loop0 = loopPerformance.eventLoopUtilization();
      this.begun++;
      try {
        const result = await this.pass();
        this.lastError = null;
        this.failures = 0;
        if (result.actions.length > 0) this.options.logger?.info({ host: this.options.host, actions: result.actions.length, reported: result.reported }, 'data plane converged');
      } catch (err) {
        this.lastError = err as Error;
        this.failures++;
        this.options.logger?.warn({ host: this.options.host, err: (err as Error).message }, 'data plane pass failed; retrying');
        this.scheduleRetry();
      }
      this.ended++;
      this.debt = this.currentDebt() + loopPerformance.eventLoopUtilization(loop0).active;
      this.wake();
    } while (this.again && !this.stopped);
  }

  private scheduleRetry(): void {
    if (this.retry || this.stopped) return;
    const delay = Math.min(250 * 2 ** Math.min(this.failures, 5), this.options.resyncMs ?? 5000);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.kick();
    }, delay);
    this.retry.unref();
  }

  /** Stops the loop; what it made keeps running (dnsmasq, namespaces) for the next start to adopt. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cutRest?.();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    await this.idle();
    this.wake(true);
  }
}
