/**
 * The JSON-schema documents served at /v2/schemas/*. They are also what requests are validated
 * against: glanceclient builds its model (warlock) from the image schema, validates what it
 * sends and what it gets back with it, and treats properties marked `is_base: false` as
 * custom ones it may remove.
 */

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const VISIBILITIES = ['community', 'public', 'private', 'shared'] as const;
export const IMAGE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'] as const;
export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;

export type JsonSchema = { [key: string]: unknown };

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

/** The attributes every image has. */
export const BASE_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', description: 'Image identifier (a UUID).', pattern: UUID_PATTERN },
  name: { type: ['null', 'string'], description: 'Image name.', maxLength: 255 },
  status: { type: 'string', readOnly: true, description: 'Lifecycle state of the image.', enum: [...IMAGE_STATUSES] },
  visibility: { type: 'string', description: 'Who may see the image.', enum: [...VISIBILITIES] },
  protected: { type: 'boolean', description: 'A protected image cannot be deleted.' },
  os_hidden: { type: 'boolean', description: 'Hidden images are left out of the default image list.' },
  checksum: { type: ['null', 'string'], readOnly: true, description: 'MD5 of the image data.', maxLength: 32 },
  os_hash_algo: { type: ['null', 'string'], readOnly: true, description: 'Hash algorithm of os_hash_value.', maxLength: 64 },
  os_hash_value: { type: ['null', 'string'], readOnly: true, description: 'Hex digest of the image data (os_hash_algo).', maxLength: 128 },
  owner: { type: ['null', 'string'], description: 'Project owning the image.', maxLength: 255 },
  size: { type: ['null', 'integer'], readOnly: true, description: 'Size of the image data in bytes.' },
  virtual_size: { type: ['null', 'integer'], readOnly: true, description: 'Virtual disk size in bytes.' },
  container_format: { type: ['null', 'string'], description: 'Container format of the image data.', enum: [null, ...CONTAINER_FORMATS] },
  disk_format: { type: ['null', 'string'], description: 'Disk format of the image data.', enum: [null, ...DISK_FORMATS] },
  created_at: { type: 'string', readOnly: true, description: 'When the image was registered.' },
  updated_at: { type: 'string', readOnly: true, description: 'When the image last changed.' },
  tags: { type: 'array', description: 'Free-form strings attached to the image.', items: { type: 'string', maxLength: 255 } },
  direct_url: { type: 'string', readOnly: true, description: 'Location of the data in its store (not exposed).' },
  min_ram: { type: 'integer', description: 'RAM (MB) an instance needs to boot this image.' },
  min_disk: { type: 'integer', description: 'Disk (GB) an instance needs to boot this image.' },
  self: { type: 'string', readOnly: true, description: 'URL of this image.' },
  file: { type: 'string', readOnly: true, description: 'URL of the image data.' },
  stores: { type: 'string', readOnly: true, description: 'Stores holding the data (multi-store only).' },
  schema: { type: 'string', readOnly: true, description: 'URL of this schema.' },
  locations: {
    type: 'array',
    description: 'Where the data is kept (not exposed by this cloud).',
    items: {
      type: 'object',
      properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
      required: ['url', 'metadata'],
    },
  },
};

/** The well-known custom properties a stock Glance declares (its schema-image.json). */
export const CUSTOM_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  kernel_id: { type: ['null', 'string'], pattern: UUID_PATTERN, description: 'Image to use as the kernel of an AMI-style image.', is_base: false },
  ramdisk_id: { type: ['null', 'string'], pattern: UUID_PATTERN, description: 'Image to use as the ramdisk of an AMI-style image.', is_base: false },
  instance_uuid: { type: 'string', description: 'Instance this image was taken from (informational).', is_base: false },
  architecture: { type: 'string', description: 'CPU architecture the image needs.', is_base: false },
  os_distro: { type: 'string', description: 'Operating system distribution.', is_base: false },
  os_version: { type: 'string', description: 'Operating system version.', is_base: false },
  description: { type: 'string', description: 'Human-readable description.', is_base: false },
  cinder_encryption_key_id: { type: 'string', description: 'Key manager id of the volume encryption key.', is_base: false },
  cinder_encryption_key_deletion_policy: {
    type: 'string', description: 'When the encryption key is deleted.', enum: ['on_image_deletion', 'do_not_delete'], is_base: false,
  },
};

const IMAGE_LINKS = [
  { rel: 'self', href: '{self}' },
  { rel: 'enclosure', href: '{file}' },
  { rel: 'describedby', href: '{schema}' },
];

export function imageSchema(): JsonSchema {
  return {
    name: 'image',
    properties: { ...BASE_PROPERTIES, ...CUSTOM_PROPERTIES },
    // Any other property is allowed, as long as its value is a string.
    additionalProperties: { type: 'string' },
    links: IMAGE_LINKS,
  };
}

function collection(name: string, item: JsonSchema): JsonSchema {
  return {
    name,
    properties: {
      [name]: { type: 'array', items: item },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

export function imagesSchema(): JsonSchema {
  return collection('images', imageSchema());
}

export function memberSchema(): JsonSchema {
  return {
    name: 'member',
    properties: {
      member_id: { type: 'string', description: 'Project the image is shared with.' },
      image_id: { type: 'string', description: 'The shared image.', pattern: UUID_PATTERN },
      created_at: { type: 'string', description: 'When the membership was created.' },
      updated_at: { type: 'string', description: 'When the membership last changed.' },
      status: { type: 'string', description: 'Whether the member accepted the image.', enum: [...MEMBER_STATUSES] },
      schema: { readOnly: true, type: 'string' },
    },
    additionalProperties: false,
  };
}

export function membersSchema(): JsonSchema {
  return collection('members', memberSchema());
}
