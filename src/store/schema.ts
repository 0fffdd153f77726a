/**
 * Row types of every table, as Kysely sees them. Both dialects store the same shapes:
 * booleans as 0/1 integers, JSON as text, timestamps as ISO-8601 text (UTC, ms precision),
 * so no query depends on the dialect.
 */
import type { Generated } from 'kysely';
import type { NetworkTables } from './schema-network.js';
import type { HostTables } from './schema-hosts.js';
import type { ComputeTables } from './schema-compute.js';
import type { ImageTables } from './schema-image.js';
import type { ServerTables } from './schema-servers.js';
import type { ComputeCatalogTables } from './schema-compute-catalog.js';
import type { L3Tables } from './schema-l3.js';

export type Bool = 0 | 1;

export interface DomainRow {
  id: string;
  name: string;
  description: string;
  enabled: Bool;
  extra: string;
  created_at: string;
}

export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  /** Parent project id; null means the domain itself is the parent. */
  parent_id: string | null;
  description: string;
  enabled: Bool;
  extra: string;
  created_at: string;
}

export interface ProjectTagRow {
  project_id: string;
  tag: string;
}

export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  enabled: Bool;
  default_project_id: string | null;
  password_hash: string | null;
  password_created_at: string | null;
  password_expires_at: string | null;
  description: string;
  email: string | null;
  options: string;
  extra: string;
  created_at: string;
}

export interface GroupRow {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  extra: string;
}

export interface MembershipRow {
  user_id: string;
  group_id: string;
}

export interface RoleRow {
  id: string;
  name: string;
  /** '' for a global role, else the domain that owns it (kept non-null so UNIQUE works everywhere). */
  domain_id: string;
  description: string;
  options: string;
  extra: string;
}

export interface ImpliedRoleRow {
  prior_role_id: string;
  implied_role_id: string;
}

export type AssignmentType = 'UserProject' | 'GroupProject' | 'UserDomain' | 'GroupDomain' | 'UserSystem' | 'GroupSystem';

export interface AssignmentRow {
  type: AssignmentType;
  actor_id: string;
  /** Project id, domain id, or 'system'. */
  target_id: string;
  role_id: string;
  inherited: Bool;
}

export interface RegionRow {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
}

export interface ServiceRow {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: Bool;
  extra: string;
}

export interface EndpointRow {
  id: string;
  service_id: string;
  interface: string;
  url: string;
  region_id: string | null;
  enabled: Bool;
  extra: string;
  /** 1 when Kumo itself serves this endpoint: its URL is rewritten at each start. */
  managed: Bool;
}

export interface RevocationEventRow {
  id: Generated<number>;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  domain_id: string | null;
  trust_id: string | null;
  app_cred_id: string | null;
  /** Tokens issued at or before this instant (ms since epoch) that match the other fields are revoked. */
  issued_before: number;
  /** When the event can be forgotten: no token it matches can still be unexpired (ms since epoch). */
  expires_at: number;
}

export interface SigningKeyRow {
  id: string;
  secret: string;
  created_at: string;
}

export interface MetaRow {
  key: string;
  value: string;
}

export interface ApplicationCredentialRow {
  id: string;
  name: string;
  user_id: string;
  project_id: string;
  description: string;
  secret_hash: string;
  expires_at: string | null;
  unrestricted: Bool;
  roles: string;
  access_rules: string;
  created_at: string;
}

export interface AccessRuleRow {
  id: string;
  user_id: string;
  service: string;
  path: string;
  method: string;
}

export interface CredentialRow {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
  extra: string;
}

export interface TrustRow {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: Bool;
  expires_at: string | null;
  remaining_uses: number | null;
  allow_redelegation: Bool;
  redelegation_count: number;
  redelegated_trust_id: string | null;
  roles: string;
  deleted_at: string | null;
  created_at: string;
}

export interface PolicyRow {
  id: string;
  type: string;
  blob: string;
  extra: string;
}

export interface EndpointGroupRow {
  id: string;
  name: string;
  description: string;
  filters: string;
}

export interface ProjectEndpointGroupRow {
  project_id: string;
  endpoint_group_id: string;
}

export interface ProjectEndpointRow {
  project_id: string;
  endpoint_id: string;
}

export interface ConsumerRow {
  id: string;
  description: string;
  secret_hash: string;
  extra: string;
}

export interface DomainConfigRow {
  domain_id: string;
  group_name: string;
  option_name: string;
  value: string;
}

/** Every table of the store. */
export interface Database extends NetworkTables, HostTables, ComputeTables, ImageTables, ServerTables, ComputeCatalogTables, L3Tables {
  domains: DomainRow;
  projects: ProjectRow;
  project_tags: ProjectTagRow;
  users: UserRow;
  groups: GroupRow;
  memberships: MembershipRow;
  roles: RoleRow;
  implied_roles: ImpliedRoleRow;
  assignments: AssignmentRow;
  regions: RegionRow;
  services: ServiceRow;
  endpoints: EndpointRow;
  revocation_events: RevocationEventRow;
  signing_keys: SigningKeyRow;
  meta: MetaRow;
  application_credentials: ApplicationCredentialRow;
  access_rules: AccessRuleRow;
  credentials: CredentialRow;
  trusts: TrustRow;
  policies: PolicyRow;
  endpoint_groups: EndpointGroupRow;
  project_endpoint_groups: ProjectEndpointGroupRow;
  project_endpoints: ProjectEndpointRow;
  consumers: ConsumerRow;
  domain_configs: DomainConfigRow;
}
