/**
 * The extender's HTTP server (fastify): the four verbs, health, metrics and the admin API.
 * `buildServer(service)` returns it unstarted; bodies are checked by the TypeBox schemas of
 * wire.ts, and every error leaves through one handler that maps codes to HTTP status.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ExtenderError, httpStatusFor, messageOf } from './errors.js';
import type { Service } from './service.js';
import type { Verb } from './metrics.js';
import { ExtenderArgs, ExtenderBindingArgs, ExtenderPreemptionArgs, wireJson } from './wire.js';
import { registerAdmin } from './admin/routes.js';
import { registerUi } from './ui/plugin.js';

export interface ServerOptions {
  /** Path prefix of the verbs (the scheduler's urlPrefix path), e.g. `/scheduler`. Default ''. */
  readonly verbPrefix?: string;
  /** Max request body (full NodeLists are large). Default 64 MiB. */
  readonly bodyLimit?: number;
  /** Serve the admin API (default true). */
  readonly admin?: boolean;
  /** Cluster-admin bypass for tests is never offered: auth goes through service.kube. */
  readonly logger?: boolean;
  /** Serve over HTTPS with this certificate (kube-scheduler `enableHTTPS: true`); default plain HTTP. */
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

function timed<T>(service: Service, verb: Verb, fn: () => T): T {
  const end = service.metrics.decisionSeconds.startTimer({ verb });
  try {
    return fn();
  } finally {
    end();
  }
}

export function buildServer(service: Service, opts: ServerOptions = {}): FastifyInstance {
  const base = {
    bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024,
    logger: false,
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  };
  const plain = opts.https === undefined ? Fastify(base) : (Fastify({ ...base, https: { cert: opts.https.cert, key: opts.https.key } }) as unknown as FastifyInstance);
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const prefix = (opts.verbPrefix ?? '').replace(/\/+$/, '');

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const path = req.routeOptions.url ?? req.url;
    if (err.validation !== undefined) {
      service.metrics.badRequests.inc({ endpoint: path });
      const first = err.validation[0];
      const where = first === undefined ? '' : `${err.validationContext ?? 'body'}${first.instancePath} `;
      return reply.code(400).send({ code: 'EXT_ERR_BAD_ARGS', message: `${path}: ${where}${first?.message ?? err.message}` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.statusCode === 400) {
      service.metrics.badRequests.inc({ endpoint: path });
      return reply.code(400).send({ code: 'EXT_ERR_BAD_ARGS', message: `${path}: request body is not valid JSON (${err.message}); expected the extender's JSON args` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) {
      return reply.code(415).send({ code: 'EXT_ERR_BAD_ARGS', message: `${path}: expected Content-Type application/json` });
    }
    if (err.statusCode === 413) {
      return reply.code(413).send({ code: 'EXT_ERR_BAD_ARGS', message: `${path}: body too large` });
    }
    if (err instanceof ExtenderError) {
      return reply.code(httpStatusFor(err.code)).send({ code: err.code, message: err.message });
    }
    service.log.error({ err, path }, 'internal error');
    return reply.code(500).send({ code: 'EXT_ERR_INTERNAL', message: `${path}: internal error: ${messageOf(err)}` });
  });

  app.post(`${prefix}/filter`, { schema: { body: ExtenderArgs } }, async (req, reply) => {
    // Sent as the JSON text the extender wrote (thousands of FailedNodes entries, no object walk).
    const body = timed(service, 'filter', () => wireJson(service.extender.filter(req.body)));
    return reply.type('application/json; charset=utf-8').send(body);
  });
  app.post(`${prefix}/prioritize`, { schema: { body: ExtenderArgs } }, async (req) =>
    timed(service, 'prioritize', () => service.extender.prioritize(req.body)),
  );
  app.post(`${prefix}/preempt`, { schema: { body: ExtenderPreemptionArgs } }, async (req) =>
    timed(service, 'preempt', () => service.extender.preempt(req.body)),
  );
  app.post(`${prefix}/bind`, { schema: { body: ExtenderBindingArgs } }, async (req) => {
    const end = service.metrics.decisionSeconds.startTimer({ verb: 'bind' });
    try {
      return await service.extender.bind(req.body);
    } finally {
      end();
    }
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const synced = service.ready();
    const leader = service.isLeader();
    const body = { ready: synced && leader, synced, leader, cache: service.state.syncMessage };
    // Followers are not ready: the Service then routes kube-scheduler to the leader only.
    return reply.code(body.ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    refreshGauges(service);
    reply.header('Content-Type', service.metrics.registry.contentType);
    return service.metrics.registry.metrics();
  });
  if (opts.admin !== false) registerAdmin(app, service);
  if (opts.admin !== false) registerUi(app, service);
  return app;
}

/** Gauges are set from the cache at scrape time. */
export function refreshGauges(service: Service): void {
  const m = service.metrics;
  m.leader.set(service.isLeader() ? 1 : 0);
  m.ready.set(service.ready() ? 1 : 0);
  const h = service.state.countHoldings();
  for (const [kind, n] of Object.entries(h)) m.reservations.set({ kind }, n);
  m.pendingPods.reset();
  for (const [reason, n] of pendingByReason(service)) m.pendingPods.set({ reason }, n);
  m.queueGpu.reset();
  for (const f of service.quota.usage()) {
    const labels = { queue: f.queue, tenant: f.tenant, pool: f.pool };
    const gpu = (milli: number): number => (Number.isFinite(milli) ? milli / 1000 : -1);
    m.queueGpu.set({ ...labels, kind: 'guarantee' }, gpu(f.guarantee.gpuMilli));
    m.queueGpu.set({ ...labels, kind: 'limit' }, gpu(f.limit.gpuMilli));
    m.queueGpu.set({ ...labels, kind: 'used' }, gpu(f.used.gpuMilli));
    m.queueGpu.set({ ...labels, kind: 'borrowed' }, gpu(f.borrowed.gpuMilli));
    m.queueGpu.set({ ...labels, kind: 'lent' }, gpu(f.lent.gpuMilli));
  }
}

/** Pending pods still pending (not bound, not deleted), by reason. */
export function pendingByReason(service: Service): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of livePending(service)) out.set(p.reason, (out.get(p.reason) ?? 0) + 1);
  return out;
}

export function livePending(service: Service): import('./journal.js').PendingEntry[] {
  const out = [];
  for (const p of service.journal.pending.values()) {
    const rec = service.state.pods.get(p.uid);
    if (rec === undefined || rec.meta.nodeName !== undefined) {
      service.journal.clearPending(p.uid);
      continue;
    }
    out.push(p);
  }
  return out;
}
