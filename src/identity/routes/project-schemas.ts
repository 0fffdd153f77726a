/** JSON-schema fragments of Keystone's resource API (domains, projects, tags), in one place. */

/** A domain or project name: 1 to 64 characters, not only whitespace. */
export const resourceNameSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '[\\S]+' } as const;

/** One project tag: no comma or slash (they separate tags in filters and URLs). */
export const tagSchema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' } as const;

/** A project's tag list: at most 80, each once. */
export const tagListSchema = { type: 'array', items: tagSchema, maxItems: 80, uniqueItems: true } as const;

/** The resource options Keystone knows for projects and domains. */
export const resourceOptionsSchema = {
  type: 'object',
  properties: { immutable: { type: ['boolean', 'null'] } },
  additionalProperties: false,
} as const;

/** An id reference (domain_id, parent_id) as Keystone validates it, or null. */
export const nullableIdSchema = { type: ['string', 'null'], minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as const;

/** Validates a tag outside a body (PUT /tags/{tag}); returns the Keystone error message or null. */
export function tagProblem(tag: string): string | null {
  if (tag.length < 1 || tag.length > 255) return `Invalid input for field 'tag': '${tag}' must be 1 to 255 characters long.`;
  if (/[,/]/.test(tag)) return `Invalid input for field 'tag': '${tag}' does not match '^[^,/]*$'.`;
  return null;
}
