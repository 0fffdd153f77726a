/**
 * Keystone's default policy, as it behaves with project-scoped admin tokens (enforce_scope
 * off, the default of the releases the Debian clients target): the admin role administers
 * everything; a domain-scoped reader reads its domain; everyone may read and manage what is
 * their own (own user, own password, own application credentials, own projects list).
 * Targets carry the owning user / domain / project of the resource.
 */
import { anyOf, rules, type Rule } from '../policy/enforce.js';

const { admin, owner, domainReader, domainManager, systemReader, always } = rules;
const projectSelf: Rule = (ctx, t) => t.projectId != null && ctx.projectId === t.projectId;

export const identityPolicy = {
  // domains
  listDomains: anyOf(admin, systemReader),
  getDomain: anyOf(admin, systemReader, (ctx, t) => ctx.domainId != null && ctx.domainId === t.domainId, (ctx, t) => ctx.projectDomainId != null && ctx.projectDomainId === t.domainId),
  manageDomain: admin,
  // projects
  listProjects: anyOf(admin, systemReader, domainReader),
  getProject: anyOf(admin, systemReader, domainReader, projectSelf),
  manageProject: anyOf(admin, domainManager),
  listUserProjects: anyOf(admin, systemReader, domainReader, owner),
  // users
  listUsers: anyOf(admin, systemReader, domainReader),
  getUser: anyOf(admin, systemReader, domainReader, owner),
  manageUser: anyOf(admin, domainManager),
  changePassword: owner,
  // groups
  listGroups: anyOf(admin, systemReader, domainReader),
  getGroup: anyOf(admin, systemReader, domainReader),
  listUserGroups: anyOf(admin, systemReader, domainReader, owner),
  manageGroup: anyOf(admin, domainManager),
  // roles and assignments
  listRoles: anyOf(admin, systemReader, domainReader),
  getRole: anyOf(admin, systemReader, domainReader),
  manageRole: admin,
  listAssignments: anyOf(admin, systemReader, domainReader),
  manageGrant: anyOf(admin, domainManager),
  // catalog
  getRegion: always,
  listRegions: always,
  manageRegion: admin,
  listServices: anyOf(admin, systemReader),
  manageService: admin,
  listEndpoints: anyOf(admin, systemReader),
  manageEndpoint: admin,
  // self-service credentials
  ownCredential: anyOf(admin, owner),
  listCredentials: anyOf(admin, systemReader, (ctx) => ctx.userId !== ''),
  // trusts: listing every trust is an admin's; deleting one is its trustor's (or an admin's)
  listTrusts: anyOf(admin, systemReader),
  deleteTrust: anyOf(admin, owner),
  // admin-only extensions (policies, endpoint groups, OAuth consumers, domain configs)
  adminOnly: admin,
  /** Reading the admin extensions: Keystone also lets a system reader look. */
  readAdminExtension: anyOf(admin, systemReader),
  /** The default domain's password rules are readable by every authenticated caller. */
  readSecurityCompliance: always,
} satisfies Record<string, Rule>;
