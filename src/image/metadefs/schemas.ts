/** JSON schemas of the metadata definitions catalog, served under /v2/schemas/metadefs/*. */
import type { JsonSchema } from '../schemas.js';

const TIME = { type: 'string', readOnly: true, format: 'date-time' };

/** What a property definition may say (a JSON-schema fragment describing one image property). */
const PROPERTY_FIELDS: Record<string, JsonSchema> = {
  name: { type: 'string', maxLength: 255 },
  title: { type: 'string' },
  description: { type: 'string' },
  operators: { type: 'array', items: { type: 'string' } },
  type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
  required: { type: 'array', items: { type: 'string' } },
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  maxLength: { type: 'integer', minimum: 0 },
  minLength: { type: 'integer', minimum: 0 },
  pattern: { type: 'string', format: 'regex' },
  enum: { type: 'array' },
  readonly: { type: 'boolean' },
  default: {},
  items: { type: 'object' },
  maxItems: { type: 'integer', minimum: 0 },
  minItems: { type: 'integer', minimum: 0 },
  uniqueItems: { type: 'boolean', default: false },
  additionalItems: { type: 'boolean' },
};

const DEFINITIONS = {
  positiveInteger: { type: 'integer', minimum: 0 },
  stringArray: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  property: {
    type: 'object',
    additionalProperties: { type: 'object', required: ['title', 'type'], properties: PROPERTY_FIELDS },
  },
};

const LINKS = [
  { rel: 'self', href: '{self}' },
  { rel: 'describedby', href: '{schema}' },
];

function collection(name: string, item: JsonSchema): JsonSchema {
  return {
    name,
    properties: { [name]: { type: 'array', items: item }, first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } },
    links: [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }, { rel: 'describedby', href: '{schema}' }],
  };
}

function namespace(): JsonSchema {
  return {
    name: 'namespace',
    properties: {
      namespace: { type: 'string', description: 'Unique name of the namespace.', maxLength: 80 },
      display_name: { type: 'string', description: 'Name shown by user interfaces.', maxLength: 80 },
      description: { type: 'string', description: 'What the namespace is for.', maxLength: 500 },
      visibility: { type: 'string', description: 'Who may see the namespace.', enum: ['public', 'private'] },
      protected: { type: 'boolean', description: 'A protected namespace cannot be deleted.' },
      owner: { type: 'string', description: 'Project owning the namespace.', maxLength: 255 },
      created_at: TIME,
      updated_at: TIME,
      schema: { readOnly: true, type: 'string' },
      self: { readOnly: true, type: 'string' },
      resource_type_associations: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' }, prefix: { type: 'string' }, properties_target: { type: 'string' } } },
      },
      properties: { $ref: '#/definitions/property' },
      objects: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' }, description: { type: 'string' },
            required: { $ref: '#/definitions/stringArray' }, properties: { $ref: '#/definitions/property' },
          },
        },
      },
      tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
    },
    additionalProperties: false,
    required: ['namespace'],
    definitions: DEFINITIONS,
    links: LINKS,
  };
}

function object(): JsonSchema {
  return {
    name: 'object',
    properties: {
      name: { type: 'string', maxLength: 255 },
      description: { type: 'string' },
      required: { $ref: '#/definitions/stringArray' },
      properties: { $ref: '#/definitions/property' },
      schema: { readOnly: true, type: 'string' },
      self: { readOnly: true, type: 'string' },
      created_at: TIME,
      updated_at: TIME,
    },
    additionalProperties: false,
    required: ['name'],
    definitions: DEFINITIONS,
    links: LINKS,
  };
}

function property(): JsonSchema {
  return { name: 'property', properties: PROPERTY_FIELDS, additionalProperties: false, required: ['name', 'title', 'type'], definitions: DEFINITIONS };
}

function tag(): JsonSchema {
  return {
    name: 'tag',
    properties: { name: { type: 'string', maxLength: 255 }, created_at: TIME, updated_at: TIME },
    additionalProperties: false,
    required: ['name'],
  };
}

function resourceType(): JsonSchema {
  return {
    name: 'resource_type_association',
    properties: {
      name: { type: 'string', description: 'Resource type name, such as OS::Glance::Image.', maxLength: 80 },
      prefix: { type: 'string', description: 'Prefix of the property names when applied to this resource type.', maxLength: 80 },
      properties_target: { type: 'string', description: 'Which part of the resource the properties apply to.', maxLength: 80 },
      created_at: TIME,
      updated_at: TIME,
    },
    additionalProperties: false,
    required: ['name'],
  };
}

export const metadefSchemas: Readonly<Record<string, () => JsonSchema>> = {
  namespace,
  namespaces: () => collection('namespaces', namespace()),
  object,
  objects: () => collection('objects', object()),
  property,
  properties: () => ({ name: 'properties', properties: { properties: { $ref: '#/definitions/property' } }, definitions: DEFINITIONS }),
  tag,
  tags: () => collection('tags', tag()),
  resource_type: resourceType,
  resource_types: () => collection('resource_type_associations', resourceType()),
};
