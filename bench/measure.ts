/**
 * How every figure is measured: several rounds, each timing a batch of the trivial baseline
 * request and then a batch of the operation on the same server, so a figure and its baseline
 * see the same machine load. A figure is the median of the round medians; its ratio is the
 * median of the per-round ratios (operation median / baseline median).
 */
import { median, percentile } from './stats.js';

export interface Target {
  /** '<' for latencies (ms), '>=' for rates (ops/s). */
  readonly op: '<' | '>=';
  readonly value: number;
}

export interface Row {
  readonly suite: string;
  readonly name: string;
  readonly unit: 'ms' | 'ops/s' | 'MB' | 'Gbit/s' | '%';
  readonly median: number;
  readonly p90: number | null;
  readonly n: number;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly target: Target | null;
  readonly pass: boolean | null;
  /** The real OpenStack figure on this machine, from the issue. */
  readonly openstack: string | null;
  readonly roundMedians: readonly number[];
  /**
   * Server main-thread CPU per call (median over rounds). On a contended machine wall time
   * mostly measures waiting for a core; CPU per call barely moves, so it compares runs.
   */
  readonly cpuMs: number | null;
  readonly note?: string;
}

export interface Series {
  readonly samples: number[];
  readonly rounds: number[][];
}

export interface RoundsResult {
  readonly baseline: Series;
  /** Per round: server CPU (ms) per baseline call, and per operation call (its whole iteration). */
  readonly baselineCpu: number[];
  readonly opCpu: number[];
  /** Operation name → its samples: the timed call itself, plus any extra figures it returned. */
  readonly ops: Map<string, Series>;
}

export interface RoundsSpec {
  readonly rounds: number;
  readonly perRound: number;
  readonly warmup?: number;
  readonly baseline: () => Promise<void>;
  /** Untimed preparation before round r's operations (fixtures the round consumes). */
  readonly before?: (round: number) => Promise<void>;
  /** i counts every call across rounds; warm-up calls get negative i. May return figures (ms): extra ones, or its own under the series name. */
  readonly op: (i: number) => Promise<Record<string, number> | void>;
  /** The server's CPU time so far in ms (absent: no CPU figures). */
  readonly cpu?: () => number;
}

/** The named series of a rounds result (the operation itself, or a figure it returned). */
export function seriesOf(result: RoundsResult, name: string): Series {
  const series = result.ops.get(name);
  if (!series) throw new Error(`no samples recorded for ${name}`);
  return series;
}

const push = (map: Map<string, Series>, name: string, round: number, v: number) => {
  let s = map.get(name);
  if (!s) map.set(name, (s = { samples: [], rounds: [] }));
  s.samples.push(v);
  (s.rounds[round] ??= []).push(v);
};

export async function latencyRounds(name: string, spec: RoundsSpec): Promise<RoundsResult> {
  const baseline: Series = { samples: [], rounds: [] };
  const ops = new Map<string, Series>();
  const baselineCpu: number[] = [];
  const opCpu: number[] = [];
  const cpu = spec.cpu ?? (() => Number.NaN);
  for (let w = 0; w < (spec.warmup ?? 3); w++) {
    await spec.baseline();
    await spec.op(-1 - w);
  }
  let i = 0;
  for (let r = 0; r < spec.rounds; r++) {
    if (spec.before) await spec.before(r);
    baseline.rounds[r] = [];
    const c0 = cpu();
    for (let k = 0; k < spec.perRound; k++) {
      const t0 = performance.now();
      await spec.baseline();
      const ms = performance.now() - t0;
      baseline.samples.push(ms);
      baseline.rounds[r]?.push(ms);
    }
    const c1 = cpu();
    for (let k = 0; k < spec.perRound; k++) {
      const t0 = performance.now();
      const extra = await spec.op(i++);
      const elapsed = performance.now() - t0;
      // An op that times part of itself (the create before its polling) returns that under `name`.
      if (!extra || !(name in extra)) push(ops, name, r, elapsed);
      for (const [key, v] of Object.entries(extra ?? {})) push(ops, key, r, v);
    }
    baselineCpu.push((c1 - c0) / spec.perRound);
    opCpu.push((cpu() - c1) / spec.perRound);
  }
  return { baseline, ops, baselineCpu, opCpu };
}

/** Closed loop: `clients` workers call fn back to back for `seconds`; completed calls per second and their latencies. */
export async function closedLoop(clients: number, seconds: number, fn: (client: number, k: number) => Promise<void>): Promise<{ rate: number; latencies: number[]; errors: number; firstError: string | null }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; performance.now() < end; k++) {
      const s = performance.now();
      try {
        await fn(c, k);
        latencies.push(performance.now() - s);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  }));
  return { rate: latencies.length / ((performance.now() - t0) / 1000), latencies, errors, firstError };
}

function judge(value: number, target: Target | null): boolean | null {
  if (!target) return null;
  return target.op === '<' ? value < target.value : value >= target.value;
}

export interface RowMeta {
  readonly suite: string;
  readonly target: Target | null;
  readonly openstack: string | null;
  /** Per round, server CPU ms per call. */
  readonly cpu?: readonly number[];
  readonly note?: string;
}

function cpuFigure(cpu: readonly number[] | undefined): number | null {
  const known = (cpu ?? []).filter((x) => Number.isFinite(x));
  return known.length ? median(known) : null;
}

/** A latency row from one operation's series and the baseline of the same rounds. */
export function latencyRow(name: string, series: Series, baseline: Series | null, meta: RowMeta): Row {
  const roundMedians = series.rounds.filter((r) => r.length > 0).map((r) => median(r));
  const value = median(roundMedians);
  let ratio: number | null = null;
  let base: number | null = null;
  if (baseline) {
    const baseMedians = baseline.rounds.map((r) => median(r));
    base = median(baseMedians);
    const ratios = series.rounds.map((r, i) => (r.length > 0 && baseMedians[i] ? median(r) / (baseMedians[i] as number) : Number.NaN)).filter((x) => !Number.isNaN(x));
    ratio = median(ratios);
  }
  return {
    suite: meta.suite, name, unit: 'ms', median: value, p90: percentile(series.samples, 90), n: series.samples.length,
    baseline: base, ratio, target: meta.target, pass: judge(value, meta.target), openstack: meta.openstack, roundMedians,
    cpuMs: cpuFigure(meta.cpu), ...(meta.note ? { note: meta.note } : {}),
  };
}

/**
 * A throughput row. Its ratio is baseline rate / operation rate under the same concurrency,
 * i.e. how many trivial requests the server answers in the time of one operation.
 */
export function rateRow(name: string, rates: number[], baselineRates: number[], latencies: number[], meta: RowMeta): Row {
  const value = median(rates);
  const ratios = rates.map((r, i) => (baselineRates[i] as number) / r);
  return {
    suite: meta.suite, name, unit: 'ops/s', median: value, p90: null, n: latencies.length,
    baseline: median(baselineRates), ratio: median(ratios), target: meta.target, pass: judge(value, meta.target),
    openstack: meta.openstack, roundMedians: rates, cpuMs: cpuFigure(meta.cpu),
    note: [`latency p50 ${median(latencies).toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)} ms`, meta.note].filter(Boolean).join('; '),
  };
}
