/**
 * Which identity-driver options a domain may override through /v3/domains/{id}/config, as
 * Keystone allows them: readable ("whitelisted") options, write-only sensitive ones, and the
 * defaults a Keystone with the SQL identity driver reports for each readable option.
 */
import { ApiError } from '../../api/errors.js';
import { isPlainObject } from '../../util/json.js';

export type ConfigValue = unknown;
export type GroupConfig = Readonly<Record<string, ConfigValue>>;
export type DomainConfig = Readonly<Record<string, GroupConfig>>;

const LDAP_DEFAULTS: GroupConfig = {
  url: 'ldap://localhost',
  user: null,
  suffix: 'cn=example,cn=com',
  query_scope: 'one',
  page_size: 0,
  alias_dereferencing: 'default',
  debug_level: null,
  chase_referrals: null,
  user_tree_dn: null,
  user_filter: null,
  user_objectclass: 'inetOrgPerson',
  user_id_attribute: 'cn',
  user_name_attribute: 'sn',
  user_mail_attribute: 'mail',
  user_description_attribute: 'description',
  user_pass_attribute: 'userPassword',
  user_enabled_attribute: 'enabled',
  user_enabled_invert: false,
  user_enabled_mask: 0,
  user_enabled_default: 'True',
  user_attribute_ignore: ['default_project_id'],
  user_default_project_id_attribute: null,
  user_enabled_emulation: false,
  user_enabled_emulation_dn: null,
  user_enabled_emulation_use_group_config: false,
  user_additional_attribute_mapping: [],
  group_tree_dn: null,
  group_filter: null,
  group_objectclass: 'groupOfNames',
  group_id_attribute: 'cn',
  group_name_attribute: 'ou',
  group_members_are_ids: false,
  group_member_attribute: 'member',
  group_desc_attribute: 'description',
  group_attribute_ignore: [],
  group_additional_attribute_mapping: [],
  tls_cacertfile: null,
  tls_cacertdir: null,
  use_tls: false,
  tls_req_cert: 'demand',
  use_pool: true,
  pool_size: 10,
  pool_retry_max: 3,
  pool_retry_delay: 0.1,
  pool_connection_timeout: -1,
  pool_connection_lifetime: 600,
  use_auth_pool: true,
  auth_pool_size: 100,
  auth_pool_connection_lifetime: 60,
};

/** Readable options with their defaults, per group (the order is the order of the answers). */
export const DEFAULTS: DomainConfig = {
  identity: { driver: 'sql', list_limit: null },
  ldap: LDAP_DEFAULTS,
};

/** Options that may be written but are never read back (the LDAP bind password). */
const SENSITIVE: Readonly<Record<string, readonly string[]>> = { identity: [], ldap: ['password'] };

/** The group whose (read-only) values come from the server's password rules. */
export const SECURITY_COMPLIANCE = 'security_compliance';
export const SECURITY_COMPLIANCE_OPTIONS = ['password_regex', 'password_regex_description'] as const;

export function invalidConfig(reason: string): ApiError {
  return new ApiError('forbidden', `Invalid domain specific configuration: ${reason}.`);
}

export function isSensitive(group: string, option: string): boolean {
  return SENSITIVE[group]?.includes(option) ?? false;
}

function isReadable(group: string, option: string): boolean {
  return Object.hasOwn(DEFAULTS, group) && Object.hasOwn(DEFAULTS[group] as GroupConfig, option);
}

/** A group (and option) a domain configuration may name, else Keystone's 403. */
export function checkGroupAndOption(group: string | undefined, option?: string): void {
  if (group === undefined) return;
  if (!Object.hasOwn(DEFAULTS, group)) throw invalidConfig(`Group ${group} is not supported for domain specific configurations`);
  if (option !== undefined && !isReadable(group, option) && !isSensitive(group, option)) {
    throw invalidConfig(`Option ${option} in group ${group} is not supported for domain specific configurations`);
  }
}

/** A configuration to store: groups of at least one supported option each. */
export function checkConfig(config: unknown): asserts config is DomainConfig {
  if (!isPlainObject(config) || Object.keys(config).length === 0) throw invalidConfig('No options specified');
  for (const [group, options] of Object.entries(config)) {
    if (!isPlainObject(options) || Object.keys(options).length === 0) {
      throw invalidConfig(`The value of group ${group} specified in the config should be a dictionary of options`);
    }
    for (const option of Object.keys(options)) checkGroupAndOption(group, option);
  }
}
