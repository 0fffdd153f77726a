/**
 * Query-string filtering shared by the identity collections of domains, projects, users and
 * groups: Keystone's inexact string filters (name__contains=...), boolean filters, and the
 * narrowing of every list to the caller's domain when the token is domain-scoped.
 */
import type { AuthContext } from '../../policy/context.js';
import { queryBool } from './common.js';

const COMPARATORS: Readonly<Record<string, (value: string, wanted: string) => boolean>> = {
  contains: (v, w) => v.includes(w),
  startswith: (v, w) => v.startsWith(w),
  endswith: (v, w) => v.endsWith(w),
  equals: (v, w) => v === w,
};

/**
 * Applies `field__comparator=value` filters (contains, startswith, endswith, equals, each with
 * an `i` prefix for case-insensitive) on the listed fields; unknown keys are ignored, as
 * Keystone ignores filters it does not support.
 */
export function inexactFilter<T extends Record<string, unknown>>(items: readonly T[], q: Readonly<Record<string, string>>, fields: readonly string[]): T[] {
  const tests: ((item: T) => boolean)[] = [];
  for (const [key, wanted] of Object.entries(q)) {
    const at = key.indexOf('__');
    if (at < 0) continue;
    const field = key.slice(0, at);
    let comparator = key.slice(at + 2);
    if (!fields.includes(field)) continue;
    const insensitive = comparator.startsWith('i') && comparator !== 'i' && COMPARATORS[comparator.slice(1)] !== undefined;
    if (insensitive) comparator = comparator.slice(1);
    const compare = COMPARATORS[comparator];
    if (!compare) continue;
    const norm = (s: string) => (insensitive ? s.toLowerCase() : s);
    tests.push((item) => {
      const value = item[field];
      return typeof value === 'string' && compare(norm(value), norm(wanted));
    });
  }
  return tests.length ? items.filter((item) => tests.every((t) => t(item))) : [...items];
}

/** The `enabled` filter as Keystone reads it; undefined when absent. */
export function enabledFilter(q: Readonly<Record<string, string>>): 0 | 1 | undefined {
  const value = queryBool(q.enabled, 'enabled');
  return value === undefined ? undefined : value ? 1 : 0;
}

/** A domain-scoped token only ever lists what lives in its domain. */
export function inCallerDomain<T extends { domain_id: string | null }>(ctx: AuthContext, rows: readonly T[]): T[] {
  return ctx.domainId ? rows.filter((r) => r.domain_id === ctx.domainId) : [...rows];
}

/** Keystone's query_filter_is_true: present and not "0" means true (even with no value). */
export function flagSet(q: Readonly<Record<string, string>>, name: string): boolean {
  return q[name] !== undefined && q[name] !== '0';
}
