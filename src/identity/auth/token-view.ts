/** The token document of POST/GET /v3/auth/tokens. */
import type { FastifyRequest } from 'fastify';
import { keystoneTime } from '../../util/ids.js';
import type { CatalogEntry } from '../catalog.js';
import type { ValidatedToken } from '../tokens/provider.js';

export function tokenView(request: FastifyRequest, v: ValidatedToken, catalog: readonly CatalogEntry[] | null): Record<string, unknown> {
  const body: Record<string, unknown> = {
    methods: v.payload.methods,
    user: {
      id: v.user.id,
      name: v.user.name,
      domain: { id: v.user.domain.id, name: v.user.domain.name },
      password_expires_at: v.user.passwordExpiresAt ? keystoneTime(v.user.passwordExpiresAt) : null,
    },
    audit_ids: v.payload.auditIds,
    expires_at: keystoneTime(v.payload.expiresAt),
    issued_at: keystoneTime(v.payload.issuedAt),
  };
  if (v.project) {
    body.project = { id: v.project.id, name: v.project.name, domain: v.project.domain };
    body.is_domain = false;
  } else if (v.domain) {
    body.domain = { id: v.domain.id, name: v.domain.name };
  } else if (v.system) {
    body.system = { all: true };
  }
  if (v.project || v.domain || v.system) {
    body.roles = v.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) body.catalog = catalog;
  }
  if (v.trust) {
    body['OS-TRUST:trust'] = {
      id: v.trust.id,
      impersonation: v.trust.impersonation,
      trustee_user: { id: v.trust.trusteeId },
      trustor_user: { id: v.trust.trustorId },
      links: { self: `${request.protocol}://${request.headers.host}/v3/OS-TRUST/trusts/${v.trust.id}` },
    };
  }
  if (v.appCred) {
    body.application_credential = { id: v.appCred.id, name: v.appCred.name, restricted: v.appCred.restricted };
  }
  return body;
}
