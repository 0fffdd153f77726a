/** JSON helpers for columns stored as text. */

export function parseJsonObject(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function parseJsonArray<T = unknown>(text: string | null | undefined): T[] {
  if (!text) return [];
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? (value as T[]) : [];
}

/** Like parseJsonArray, but a column that is not valid JSON reads as empty (readers that must not fail). */
export function parseJsonArrayLenient<T = unknown>(text: string | null | undefined): T[] {
  try {
    return parseJsonArray<T>(text);
  } catch {
    return [];
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
