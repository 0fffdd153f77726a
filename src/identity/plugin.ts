/** Keystone v3 as a Fastify plugin: version documents, auth, and the identity resources. */
import type { FastifyInstance } from 'fastify';
import { installAuthHook } from '../api/auth-hook.js';
import { installErrorHandler } from '../api/error-handler.js';
import { keystoneFault } from '../api/fault-bodies.js';
import { baseUrl } from './views.js';
import type { IdentityService } from './service.js';
import { versionRoutes } from './routes/versions.js';
import { authRoutes } from './routes/auth.js';
import { domainRoutes } from './routes/domains.js';
import { projectRoutes } from './routes/projects.js';
import { userRoutes } from './routes/users.js';
import { groupRoutes } from './routes/groups.js';
import { roleRoutes } from './routes/roles.js';
import { assignmentRoutes } from './routes/assignments.js';
import { catalogRoutes } from './routes/catalog.js';
import { applicationCredentialRoutes } from './routes/application-credentials.js';
import { trustRoutes } from './routes/trusts.js';
import { credentialRoutes } from './routes/credentials.js';
import { extensionRoutes } from './routes/extensions.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function identityPlugin(app: FastifyInstance, options: { identity: IdentityService }): Promise<void> {
  const { identity } = options;
  installErrorHandler(app, keystoneFault, (err, request) =>
    err.status === 401 ? { 'www-authenticate': `Keystone uri="${baseUrl(request)}"` } : ({} as Record<string, string>));
  installAuthHook(app, identity.tokens);

  // Any successful identity write may change what a token means or what the catalog holds.
  app.addHook('onResponse', async (request, reply) => {
    if (READ_METHODS.has(request.method) || reply.statusCode >= 400) return;
    if (request.method === 'POST' && request.routeOptions.url === '/v3/auth/tokens') return;
    identity.changed();
  });

  await versionRoutes(app);
  await authRoutes(app, identity);
  await domainRoutes(app, identity);
  await projectRoutes(app, identity);
  await userRoutes(app, identity);
  await groupRoutes(app, identity);
  await roleRoutes(app, identity);
  await assignmentRoutes(app, identity);
  await catalogRoutes(app, identity);
  await applicationCredentialRoutes(app, identity);
  await trustRoutes(app, identity);
  await credentialRoutes(app, identity);
  await extensionRoutes(app, identity);
}
