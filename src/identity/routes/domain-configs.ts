/**
 * Domain-specific identity configuration: /v3/domains/{id}/config[/{group}[/{option}]] and the
 * defaults at /v3/domains/config[/{group}[/{option}]]/default. Values keep their JSON type;
 * sensitive options are stored but never shown.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { notFound } from '../../api/errors.js';
import { enforce } from '../../policy/enforce.js';
import type { Db, Tx } from '../../store/store.js';
import { identityPolicy as policy } from '../policy.js';
import type { IdentityService } from '../service.js';
import { found } from './common.js';
import {
  DEFAULTS, SECURITY_COMPLIANCE, SECURITY_COMPLIANCE_OPTIONS, checkConfig, checkGroupAndOption, invalidConfig, isSensitive,
  type DomainConfig, type GroupConfig,
} from './domain-config-options.js';

interface StoredOption {
  readonly group: string;
  readonly option: string;
  readonly value: unknown;
}

interface ConfigPath {
  readonly domain_id: string;
  readonly group?: string;
  readonly option?: string;
}

const bodySchema = { type: 'object', properties: { config: { type: 'object' } } };

function bodyConfig(request: FastifyRequest): Record<string, unknown> {
  return (request.body as { config?: Record<string, unknown> }).config ?? {};
}

async function stored(db: Db | Tx, domainId: string, withSensitive: boolean): Promise<StoredOption[]> {
  const rows = await db.selectFrom('domain_configs').selectAll().where('domain_id', '=', domainId)
    .orderBy('group_name').orderBy('option_name').execute();
  return rows
    .map((r) => ({ group: r.group_name, option: r.option_name, value: JSON.parse(r.value) as unknown }))
    .filter((o) => withSensitive || !isSensitive(o.group, o.option));
}

function nest(options: readonly StoredOption[]): Record<string, Record<string, unknown>> {
  const config: Record<string, Record<string, unknown>> = {};
  for (const o of options) config[o.group] = { ...(config[o.group] ?? {}), [o.option]: o.value };
  return config;
}

function notConfigured(domainId: string, group?: string, option?: string) {
  const what = option !== undefined ? `option ${option} in group ${group}` : group !== undefined ? `group ${group}` : 'any options';
  return notFound(`Could not find ${what} in domain configuration for domain ${domainId}.`);
}

async function requireDomain(db: Db | Tx, id: string): Promise<void> {
  await found(db.selectFrom('domains').select('id').where('id', '=', id).executeTakeFirst(), 'domain', id);
}

/** The readable configuration, narrowed to a group or option; 404 when nothing is set there. */
async function readConfig(db: Db | Tx, domainId: string, group?: string, option?: string): Promise<Record<string, unknown>> {
  const options = (await stored(db, domainId, false))
    .filter((o) => (group === undefined || o.group === group) && (option === undefined || o.option === option));
  if (options.length === 0) throw notConfigured(domainId, group, option);
  if (option !== undefined) return { [option]: (options[0] as StoredOption).value };
  return nest(options);
}

async function upsert(tx: Tx, domainId: string, config: DomainConfig): Promise<void> {
  for (const [group, options] of Object.entries(config)) {
    for (const [option, value] of Object.entries(options)) {
      await tx.deleteFrom('domain_configs').where('domain_id', '=', domainId).where('group_name', '=', group).where('option_name', '=', option).execute();
      await tx.insertInto('domain_configs').values({ domain_id: domainId, group_name: group, option_name: option, value: JSON.stringify(value ?? null) }).execute();
    }
  }
}

/**
 * What a PATCH may change: the whole config, one group (the body holds only that group), or
 * one option (the body holds only that option). A named group or option must already be set.
 */
async function patchedConfig(tx: Tx, path: ConfigPath, body: Record<string, unknown>): Promise<DomainConfig> {
  const { domain_id, group, option } = path;
  const update: Record<string, unknown> = group !== undefined && option !== undefined ? { [group]: body } : body;
  checkConfig(update);
  checkGroupAndOption(group, option);
  if (group === undefined) return update;
  const inner = update[group] as GroupConfig | undefined;
  if (Object.keys(update).length !== 1 || inner === undefined) {
    throw invalidConfig(`Trying to update group ${group}, so that, and only that, group must be specified in the config`);
  }
  if (option !== undefined && (Object.keys(inner).length !== 1 || !Object.hasOwn(inner, option))) {
    throw invalidConfig(`Trying to update option ${option} in group ${group}, so that, and only that, option must be specified in the config`);
  }
  const current = (await stored(tx, domain_id, true)).filter((o) => o.group === group && (option === undefined || o.option === option));
  if (current.length === 0) throw notConfigured(domain_id, group, option);
  return update;
}

function securityCompliance(domainId: string, option?: string): Record<string, unknown> {
  if (domainId !== 'default') {
    throw invalidConfig('Reading security compliance information for any domain other than the default domain is not allowed or supported');
  }
  if (option !== undefined && !(SECURITY_COMPLIANCE_OPTIONS as readonly string[]).includes(option)) {
    throw invalidConfig('Reading security compliance values other than password_regex and password_regex_description is not allowed');
  }
  // Kumo enforces no password rules, so both are unset (what Keystone shows by default).
  if (option !== undefined) return { [option]: null };
  return { [SECURITY_COMPLIANCE]: Object.fromEntries(SECURITY_COMPLIANCE_OPTIONS.map((o) => [o, null])) };
}

function defaults(group?: string, option?: string): Record<string, unknown> {
  checkGroupAndOption(group, option);
  if (group === undefined) return { ...DEFAULTS };
  const options = DEFAULTS[group] as GroupConfig;
  if (option === undefined) return { [group]: options };
  if (!Object.hasOwn(options, option)) throw invalidConfig(`Reading the default for option ${option} in group ${group} is not supported`);
  return { [option]: options[option] };
}

export async function domainConfigRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const db = identity.store.db;

  app.get('/v3/domains/config/default', async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    return { config: defaults() };
  });
  app.get('/v3/domains/config/:group/default', async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { group } = request.params as { group: string };
    return { config: defaults(group) };
  });
  app.get('/v3/domains/config/:group/:option/default', async (request) => {
    enforce(policy.readAdminExtension, caller(request));
    const { group, option } = request.params as { group: string; option: string };
    return { config: defaults(group, option) };
  });

  const paths = ['/v3/domains/:domain_id/config', '/v3/domains/:domain_id/config/:group', '/v3/domains/:domain_id/config/:group/:option'];
  for (const path of paths) {
    app.get(path, async (request) => {
      const { domain_id, group, option } = request.params as ConfigPath;
      if (group === SECURITY_COMPLIANCE) {
        enforce(policy.readSecurityCompliance, caller(request));
        await requireDomain(db, domain_id);
        return { config: securityCompliance(domain_id, option) };
      }
      enforce(policy.readAdminExtension, caller(request));
      checkGroupAndOption(group, option);
      await requireDomain(db, domain_id);
      return { config: await readConfig(db, domain_id, group, option) };
    });

    app.patch(path, { schema: { body: bodySchema } }, async (request) => {
      enforce(policy.adminOnly, caller(request));
      const params = request.params as ConfigPath;
      const config = await identity.store.transaction(async (tx) => {
        await requireDomain(tx, params.domain_id);
        await upsert(tx, params.domain_id, await patchedConfig(tx, params, bodyConfig(request)));
        return readConfig(tx, params.domain_id);
      });
      return { config };
    });

    app.delete(path, async (request, reply) => {
      enforce(policy.adminOnly, caller(request));
      const { domain_id, group, option } = request.params as ConfigPath;
      checkGroupAndOption(group, option);
      await identity.store.transaction(async (tx) => {
        await requireDomain(tx, domain_id);
        let del = tx.deleteFrom('domain_configs').where('domain_id', '=', domain_id);
        if (group !== undefined) {
          const current = (await stored(tx, domain_id, true)).filter((o) => o.group === group && (option === undefined || o.option === option));
          if (current.length === 0) throw notConfigured(domain_id, group, option);
          del = del.where('group_name', '=', group);
          if (option !== undefined) del = del.where('option_name', '=', option);
        }
        await del.execute();
      });
      reply.code(204).send();
    });
  }

  // PUT replaces the whole configuration: 201 when the domain had none, 200 otherwise.
  app.put('/v3/domains/:domain_id/config', { schema: { body: bodySchema } }, async (request, reply) => {
    enforce(policy.adminOnly, caller(request));
    const { domain_id } = request.params as ConfigPath;
    const body = bodyConfig(request);
    const { config, created } = await identity.store.transaction(async (tx) => {
      await requireDomain(tx, domain_id);
      checkConfig(body);
      const had = (await stored(tx, domain_id, true)).length > 0;
      await tx.deleteFrom('domain_configs').where('domain_id', '=', domain_id).execute();
      await upsert(tx, domain_id, body);
      return { config: nest(await stored(tx, domain_id, false)), created: !had };
    });
    reply.code(created ? 201 : 200);
    return { config };
  });
}
