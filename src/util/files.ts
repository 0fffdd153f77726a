import { readFileSync } from 'node:fs';

/** A file's text, or null when it cannot be read (not written yet, or removed meanwhile). */
export function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
