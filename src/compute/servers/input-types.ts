/** Nova's parameter types for server metadata and tags, shared by create, rebuild and their own routes. */
import { invalid, isObject, pyRepr } from '../catalog/validate.js';

const META_KEY = /^[a-zA-Z0-9-_:. /]{1,255}$/;

/** parameter_types.metadata: keys of 1–255 safe characters, string values of at most 255. */
export function metadataMap(value: unknown, field: string): Record<string, string> {
  if (!isObject(value)) throw invalid(field, value, `${pyRepr(value)} is not of type 'object'`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!META_KEY.test(key)) throw invalid(field, value, `Additional properties are not allowed ('${key}' was unexpected)`);
    if (typeof v !== 'string') throw invalid(`${field}.${key}`, v, `${pyRepr(v)} is not of type 'string'`);
    if (v.length > 255) throw invalid(`${field}.${key}`, v, `'${v}' is too long`);
    out[key] = v;
  }
  return out;
}

/** parameter_types.tag: 1–60 characters, neither ',' nor '/'. */
export function tagString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, value, `${pyRepr(value)} is not of type 'string'`);
  if (value.length < 1) throw invalid(field, value, `'' is too short`);
  if (value.length > 60) throw invalid(field, value, `'${value}' is too long`);
  if (/[,/]/.test(value)) throw invalid(field, value, `'${value}' does not match '^[^,/]*$'`);
  return value;
}
