/**
 * Who is calling the admin API: bearer token → TokenReview → user; SubjectAccessReview
 * decides writes and cluster-wide reads; other readers see only tenants they belong to.
 */
import type { FastifyRequest } from 'fastify';
import { CRD_GROUP, type Tenant } from '../crd.js';
import { ExtenderError } from '../errors.js';
import type { AuthReviewer, UserInfo } from '../kube.js';

export interface Caller {
  readonly user: UserInfo;
  /** True when RBAC lets the caller read everything (cluster admin of Tessera objects). */
  readonly clusterReader: boolean;
}

function bearer(req: FastifyRequest): string {
  const h = req.headers.authorization;
  if (h === undefined || !/^Bearer\s+\S+/i.test(h)) {
    throw new ExtenderError('EXT_ERR_UNAUTHENTICATED', 'missing bearer token: send "Authorization: Bearer <token>" (a Kubernetes service-account or user token)');
  }
  return h.replace(/^Bearer\s+/i, '').trim();
}

export async function authenticate(req: FastifyRequest, auth: AuthReviewer): Promise<Caller> {
  const token = bearer(req);
  let user: UserInfo | null;
  try {
    user = await auth.reviewToken(token);
  } catch (err) {
    throw new ExtenderError('EXT_ERR_KUBE', 'TokenReview failed; try again', { cause: err });
  }
  if (user === null) throw new ExtenderError('EXT_ERR_UNAUTHENTICATED', 'the bearer token was not accepted by TokenReview');
  const clusterReader = await auth.canI(user, { verb: 'list', group: CRD_GROUP, resource: 'tenants' });
  return { user, clusterReader };
}

/** Writes must be allowed by RBAC for the exact verb and resource. */
export async function authorizeWrite(auth: AuthReviewer, caller: Caller, verb: 'create' | 'update' | 'delete', resource: string, name?: string): Promise<void> {
  const ok = await auth.canI(caller.user, { verb, group: CRD_GROUP, resource, ...(name !== undefined ? { name } : {}) });
  if (!ok) {
    throw new ExtenderError('EXT_ERR_FORBIDDEN', `user ${caller.user.username} may not ${verb} ${resource}.${CRD_GROUP}${name ? ` "${name}"` : ''} (SubjectAccessReview denied)`);
  }
}

/** True when the caller is an admin or member of the tenant. */
export function belongsTo(caller: Caller, tenant: Tenant): boolean {
  const subjects = [tenant.spec.admins, tenant.spec.members];
  return subjects.some(
    (s) => (s?.users ?? []).includes(caller.user.username) || (s?.groups ?? []).some((g) => caller.user.groups.includes(g)),
  );
}

/** Tenants the caller may read; null = all. */
export function visibleTenants(caller: Caller, tenants: Iterable<Tenant>): Set<string> | null {
  if (caller.clusterReader) return null;
  const out = new Set<string>();
  for (const t of tenants) if (belongsTo(caller, t)) out.add(t.metadata.name);
  return out;
}
