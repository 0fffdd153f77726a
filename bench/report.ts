/** Prints benchmark rows as one table (median, p90, n, baseline, ratio, target, pass/miss) and writes them as JSON. */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import type { Row } from './measure.js';
import { fmt } from './stats.js';

export const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

/** Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI): how contended the figures are. */
export function cpuPressure(): number | null {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export const machineState = () => `load average ${load().join(' ')}, CPU pressure ${cpuPressure() ?? '?'}%`;

function value(x: number | null, unit: string): string {
  if (x === null || Number.isNaN(x)) return '';
  return unit === 'ops/s' ? x.toFixed(0) : fmt(x);
}

export function printRows(title: string, rows: readonly Row[]): void {
  const header = ['benchmark', 'median', 'p90', 'n', 'baseline', 'ratio', 'CPU/call', 'target', 'result', 'rounds (min-max)', 'real OpenStack'];
  const data = rows.map((r) => [
    r.name,
    `${value(r.median, r.unit)} ${r.unit}`,
    value(r.p90, r.unit),
    String(r.n),
    value(r.baseline, r.unit),
    r.ratio === null || Number.isNaN(r.ratio) ? '' : r.ratio.toFixed(r.ratio < 1 ? 2 : 1),
    r.cpuMs === null ? '' : `${fmt(r.cpuMs)} ms`,
    r.target ? `${r.target.op} ${r.target.value}` : '',
    r.pass === null ? '' : r.pass ? 'pass' : 'MISS',
    r.roundMedians.length ? `${value(Math.min(...r.roundMedians), r.unit)}-${value(Math.max(...r.roundMedians), r.unit)}` : '',
    r.openstack ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...data.map((d) => (d[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 8 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd();
  console.log(`\n${title}  (at the end: ${machineState()})`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const d of data) console.log(line(d));
  for (const r of rows) if (r.note) console.log(`  ${r.name}: ${r.note}`);
  if (rows.some((r) => r.cpuMs !== null)) console.log('  CPU/call: the server main thread\'s CPU per call (schedstat), steady where wall times wander with machine load');
}

export function writeJson(file: string, rows: readonly Row[], meta: Record<string, unknown>): void {
  const out = { meta: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, ...meta, loadavgEnd: load(), cpuPressureEnd: cpuPressure() }, rows };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
}
