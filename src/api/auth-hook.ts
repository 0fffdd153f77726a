/**
 * Authenticates every request of a service from its X-Auth-Token, in-process (no HTTP hop to
 * Keystone), and puts the caller on request.auth. Routes marked `config: { public: true }`
 * skip it (version documents, POST /v3/auth/tokens).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unauthorized } from './errors.js';
import type { AuthContext } from '../policy/context.js';
import type { TokenProvider, ValidatedToken } from '../identity/tokens/provider.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
    validatedToken: ValidatedToken | null;
  }
  interface FastifyContextConfig {
    public?: boolean;
  }
}

export function toAuthContext(v: ValidatedToken): AuthContext {
  return {
    userId: v.user.id,
    userName: v.user.name,
    userDomainId: v.user.domain.id,
    projectId: v.project?.id ?? null,
    projectName: v.project?.name ?? null,
    projectDomainId: v.project?.domain.id ?? null,
    domainId: v.domain?.id ?? null,
    system: v.system,
    roles: new Set(v.roles.map((r) => r.name)),
    token: v.token,
    auditIds: v.payload.auditIds,
    expiresAt: v.payload.expiresAt,
    trustId: v.trust?.id ?? null,
    appCredId: v.appCred?.id ?? null,
  };
}

export function installAuthHook(app: FastifyInstance, tokens: TokenProvider): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('validatedToken', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config.public) return;
    const header = request.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw unauthorized();
    const validated = await tokens.authenticate(token.trim());
    request.validatedToken = validated;
    request.auth = toAuthContext(validated);
  });
}

/** The caller of an authenticated route; routes behind the auth hook always have one. */
export function caller(request: FastifyRequest): AuthContext {
  if (!request.auth) throw unauthorized();
  return request.auth;
}
