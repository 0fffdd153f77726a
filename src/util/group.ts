/** Rows grouped by a key, in row order within each group (for stitching child rows to parents). */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]>;
export function groupBy<T, V>(rows: readonly T[], key: (row: T) => string, value: (row: T) => V): Map<string, V[]>;
export function groupBy<T, V>(rows: readonly T[], key: (row: T) => string, value?: (row: T) => V): Map<string, (T | V)[]> {
  const out = new Map<string, (T | V)[]>();
  for (const row of rows) {
    const k = key(row);
    const item = value ? value(row) : row;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
