/** Row types of the Glance tables (migration 0005). Same conventions as schema.ts. */
import type { Bool } from './schema.js';

export interface ImageRow {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  /** Owning project id; null only for images created without a project scope. */
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  protected: Bool;
  os_hidden: Bool;
  created_at: string;
  updated_at: string;
}

/** A custom (non-base) image property: always a string, as Glance's schema demands. */
export interface ImagePropertyRow {
  image_id: string;
  name: string;
  value: string;
}

export interface ImageTagRow {
  image_id: string;
  tag: string;
}

export interface ImageMemberRow {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefNamespaceRow {
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: Bool;
  owner: string;
  created_at: string;
  updated_at: string;
}

/** Objects and properties keep their free-form definition as JSON text. */
export interface MetadefObjectRow {
  namespace: string;
  name: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefPropertyRow {
  namespace: string;
  name: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefTagRow {
  namespace: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefResourceTypeRow {
  name: string;
  protected: Bool;
  created_at: string;
  updated_at: string;
}

export interface MetadefNamespaceResourceTypeRow {
  namespace: string;
  resource_type: string;
  prefix: string | null;
  properties_target: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImageTables {
  images: ImageRow;
  image_properties: ImagePropertyRow;
  image_tags: ImageTagRow;
  image_members: ImageMemberRow;
  metadef_namespaces: MetadefNamespaceRow;
  metadef_objects: MetadefObjectRow;
  metadef_properties: MetadefPropertyRow;
  metadef_tags: MetadefTagRow;
  metadef_resource_types: MetadefResourceTypeRow;
  metadef_namespace_resource_types: MetadefNamespaceResourceTypeRow;
}
