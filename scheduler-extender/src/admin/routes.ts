/**
 * Admin REST API under /api/v1/ (JSON shapes in schemas.ts, OpenAPI at /api/v1/openapi.json).
 * Every call needs a bearer token (TokenReview); writes need RBAC (SubjectAccessReview);
 * tenant data is limited to the tenant's admins and members unless RBAC lets the caller
 * list tenants cluster-wide.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CRD_GROUP, CRD_KIND_NAME, CRD_VERSION, crdProblem, type CrdKind, type Queue, type Tenant } from '../crd.js';
import { ExtenderError } from '../errors.js';
import type { Service } from '../service.js';
import { livePending } from '../server.js';
import { authenticate, authorizeWrite, visibleTenants, type Caller } from './auth.js';
import { buildOpenApi } from './openapi.js';
import { CRD_SCHEMAS, ObjectName, PodPath } from './schemas.js';
import type { PreemptionEntry } from '../journal.js';
import { namespacesOf, nodeView, pendingView, usageView, whyView, type NamespaceFilter } from './views.js';

export const API = '/api/v1';

export function registerAdmin(root: FastifyInstance, service: Service): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const caller = (req: FastifyRequest): Promise<Caller> => authenticate(req, service.kube);
  const tenantsOf = (c: Caller): Set<string> | null => visibleTenants(c, service.state.tenants.values());

  app.get(`${API}/openapi.json`, async () => buildOpenApi());

  for (const kind of ['pools', 'tenants', 'queues'] as CrdKind[]) {
    const schema = CRD_SCHEMAS[kind];
    const visible = (c: Caller, obj: unknown): boolean => {
      const t = tenantsOf(c);
      if (t === null || kind === 'pools') return true;
      if (kind === 'tenants') return t.has((obj as Tenant).metadata.name);
      return t.has((obj as Queue).spec.tenant);
    };
    const complete = (obj: unknown): Record<string, unknown> => ({
      apiVersion: `${CRD_GROUP}/${CRD_VERSION}`,
      kind: CRD_KIND_NAME[kind],
      ...(obj as Record<string, unknown>),
    });
    const checkBody = (body: unknown): void => {
      const problem = crdProblem(kind, body);
      if (problem !== null) throw new ExtenderError('EXT_ERR_BAD_ARGS', problem);
    };

    app.get(`${API}/${kind}`, async (req) => {
      const c = await caller(req);
      const items = await service.kube.listCustom(kind);
      return { items: items.filter((o) => visible(c, o)) };
    });
    app.get(`${API}/${kind}/:name`, { schema: { params: ObjectName } }, async (req) => {
      const c = await caller(req);
      const obj = await service.kube.getCustom(kind, req.params.name);
      if (obj === undefined || !visible(c, obj)) throw new ExtenderError('EXT_ERR_NOT_FOUND', `${kind} "${req.params.name}" not found`);
      return obj;
    });
    app.post(`${API}/${kind}`, { schema: { body: schema } }, async (req, reply) => {
      const c = await caller(req);
      await authorizeWrite(service.kube, c, 'create', kind);
      checkBody(req.body);
      const created = await service.kube.createCustom(kind, complete(req.body));
      service.log.info({ kind, name: req.body.metadata.name, user: c.user.username }, 'created custom resource');
      return reply.code(201).send(created);
    });
    app.put(`${API}/${kind}/:name`, { schema: { params: ObjectName, body: schema } }, async (req) => {
      const c = await caller(req);
      await authorizeWrite(service.kube, c, 'update', kind, req.params.name);
      if (req.body.metadata.name !== req.params.name) {
        throw new ExtenderError('EXT_ERR_BAD_ARGS', `metadata.name "${req.body.metadata.name}" does not match the path name "${req.params.name}"`);
      }
      checkBody(req.body);
      const updated = await service.kube.replaceCustom(kind, req.params.name, complete(req.body));
      service.log.info({ kind, name: req.params.name, user: c.user.username }, 'replaced custom resource');
      return updated;
    });
    app.delete(`${API}/${kind}/:name`, { schema: { params: ObjectName } }, async (req, reply) => {
      const c = await caller(req);
      await authorizeWrite(service.kube, c, 'delete', kind, req.params.name);
      const gone = await service.kube.deleteCustom(kind, req.params.name);
      if (!gone) throw new ExtenderError('EXT_ERR_NOT_FOUND', `${kind} "${req.params.name}" not found`);
      service.log.info({ kind, name: req.params.name, user: c.user.username }, 'deleted custom resource');
      return reply.code(204).send();
    });
  }

  app.get(`${API}/usage`, async (req) => {
    const c = await caller(req);
    return { queues: usageView(service, tenantsOf(c)), problem: service.quota.problem };
  });

  app.get(`${API}/nodes`, async (req) => {
    const c = await caller(req);
    const ns = namespacesOf(service, tenantsOf(c));
    return { items: [...service.state.nodes.keys()].sort().map((n) => nodeView(service, n, ns)) };
  });
  app.get(`${API}/nodes/:name`, { schema: { params: Type.Object({ name: Type.String() }) } }, async (req) => {
    const c = await caller(req);
    const v = nodeView(service, req.params.name, namespacesOf(service, tenantsOf(c)));
    if (v === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `node "${req.params.name}" is not in the extender's cache`);
    return v;
  });

  app.get(`${API}/pending`, async (req) => {
    const c = await caller(req);
    const ns = namespacesOf(service, tenantsOf(c));
    return { items: livePending(service).filter((p) => ns === null || ns.has(p.namespace)).map((p) => pendingView(p, ns)) };
  });

  app.get(`${API}/pods/:namespace/:name/why`, { schema: { params: PodPath } }, async (req) => {
    const c = await caller(req);
    const ns = namespacesOf(service, tenantsOf(c));
    const { namespace, name } = req.params;
    if (ns !== null && !ns.has(namespace)) {
      throw new ExtenderError('EXT_ERR_FORBIDDEN', `user ${c.user.username} is not a member of the tenant of namespace ${namespace}`);
    }
    const v = whyView(service, namespace, name);
    if (v === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `pod ${namespace}/${name} is not in the extender's cache`);
    return v;
  });

  app.get(`${API}/preemptions`, async (req) => {
    const c = await caller(req);
    const ns = namespacesOf(service, tenantsOf(c));
    return { items: preemptionsView(service, ns) };
  });
}

/**
 * Preemptions a caller may see. Unrestricted callers see everything. A tenant member sees an
 * entry when its preemptor or one of its victims / spared pods is in the tenant's namespaces;
 * every pod of another tenant is redacted: victim and spared UIDs become a count
 * (`hiddenVictims`, `hiddenDropped`), the preemptor becomes "(hidden)", and the free-text
 * reason (which names queues) is dropped whenever anything in the entry is hidden. A pod whose namespace is unknown counts as hidden.
 */
export function preemptionsView(service: Service, ns: NamespaceFilter): unknown[] {
  const nsOf = (p: PreemptionEntry, uid: string): string | undefined => p.namespaces?.[uid] ?? service.state.pods.get(uid)?.meta.namespace;
  const out: unknown[] = [];
  for (const p of service.journal.preemptions()) {
    const { namespaces: _ns, ...rest } = p;
    const preemptor = { namespace: p.preemptor.namespace, name: p.preemptor.name, uid: p.preemptor.uid };
    if (ns === null) {
      out.push({ ...rest, preemptor });
      continue;
    }
    const seen = (uid: string): boolean => {
      const n = nsOf(p, uid);
      return n !== undefined && ns.has(n);
    };
    const ownPreemptor = ns.has(p.preemptor.namespace);
    const victims = p.victims.filter(seen);
    const dropped = p.dropped.filter((d) => seen(d.uid));
    if (!ownPreemptor && victims.length === 0 && dropped.length === 0) continue;
    const { reason: _reason, ...safe } = rest;
    const hidden = p.victims.length - victims.length + (p.dropped.length - dropped.length);
    out.push({
      ...(ownPreemptor && hidden === 0 ? rest : safe),
      preemptor: ownPreemptor ? preemptor : { namespace: '(hidden)', name: '(hidden)', uid: '' },
      victims,
      dropped,
      hiddenVictims: p.victims.length - victims.length,
      hiddenDropped: p.dropped.length - dropped.length,
    });
  }
  return out;
}
