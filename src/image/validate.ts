/**
 * A JSON-schema validator for the subset the image schemas use (type with null unions, enum,
 * min/maxLength, pattern, items, properties, required, additionalProperties). Its messages
 * read like the Python jsonschema library's, which is what Glance's 400s quote.
 */
import type { JsonSchema } from './schemas.js';

/** Python's repr of a JSON value, as jsonschema prints it. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'null': return value === null;
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    default: return true;
  }
}

/** The first violation of schema by value, as a jsonschema-style sentence; null if valid. */
export function firstViolation(schema: JsonSchema, value: unknown): string | null {
  const type = schema.type as string | string[] | undefined;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (!types.some((t) => typeMatches(value, t))) {
      return `${pyRepr(value)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`;
    }
  }
  const allowed = schema.enum as unknown[] | undefined;
  if (allowed && !allowed.some((a) => a === value)) return `${pyRepr(value)} is not one of ${pyRepr(allowed)}`;
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return `${pyRepr(value)} is too long`;
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) return `${pyRepr(value)} is too short`;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return `${pyRepr(value)} does not match ${pyRepr(schema.pattern)}`;
  }
  if (Array.isArray(value) && schema.items) {
    for (const item of value) {
      const problem = firstViolation(schema.items as JsonSchema, item);
      if (problem) return problem;
    }
  }
  if (typeMatches(value, 'object') && (schema.properties || schema.additionalProperties !== undefined || schema.required)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in object)) return `${pyRepr(name)} is a required property`;
    }
    for (const [name, item] of Object.entries(object)) {
      const own = properties[name];
      if (own) {
        const problem = firstViolation(own, item);
        if (problem) return problem;
      } else if (schema.additionalProperties === false) {
        return `Additional properties are not allowed (${pyRepr(name)} was unexpected)`;
      } else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
        const problem = firstViolation(schema.additionalProperties as JsonSchema, item);
        if (problem) return problem;
      }
    }
  }
  return null;
}

/** Glance's wording for a body that fails its schema. */
export function schemaMismatch(schemaName: string, problem: string): string {
  return `Provided object does not match schema '${schemaName}': ${problem}`;
}
