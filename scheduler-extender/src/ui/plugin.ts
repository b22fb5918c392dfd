/**
 * The resource board: static files from scheduler-extender/ui/ at /ui/, plus the two reads
 * the admin API lacks — queue usage history (/api/v1/usage/history) and who the caller is
 * (/api/v1/whoami) — under the admin API's auth rules (admin/auth.ts).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, visibleTenants } from '../admin/auth.js';
import { ExtenderError } from '../errors.js';
import type { Service } from '../service.js';
import { UsageHistory, type QueueSample, type UsageSample } from './history.js';
import { promQueueHistory } from './prometheus.js';

export const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** Only flat file names with these endpings are served; everything else is a 404. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};
const FILE_NAME = /^[a-z0-9][a-z0-9_-]*\.(html|css|js|svg)$/;

/** Self-contained page: nothing from other origins, no inline scripts or style sheets. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export interface UiOptions {
  /** Samples kept in the usage history (default 720: one hour at 5 s). */
  readonly historyCapacity?: number;
  /** Sampling period in ms (default 5000); 0 = only when asked (tests call history.sample()). */
  readonly sampleEveryMs?: number;
  /** Where the static files are (default scheduler-extender/ui/). */
  readonly dir?: string;
  /**
   * Prometheus that scrapes the extender (e.g. http://prometheus:9090): history then comes
   * from it. Default: the TESSERA_UI_PROMETHEUS_URL environment variable; unset = in memory.
   */
  readonly prometheusUrl?: string;
  /** How far back the history reaches when read from Prometheus (default 1 h). */
  readonly prometheusWindowMs?: number;
}

const histories = new WeakMap<Service, UsageHistory>();

function queueSamples(service: Service): QueueSample[] {
  const gpu = (milli: number): number | null => (Number.isFinite(milli) ? milli / 1000 : null);
  return service.quota.usage().map((f) => ({
    queue: f.queue,
    tenant: f.tenant,
    pool: f.pool,
    guarantee: gpu(f.guarantee.gpuMilli) ?? 0,
    limit: gpu(f.limit.gpuMilli),
    used: gpu(f.used.gpuMilli) ?? 0,
    borrowed: gpu(f.borrowed.gpuMilli) ?? 0,
    lent: gpu(f.lent.gpuMilli) ?? 0,
  }));
}

/** The usage history of a service (created on first use, shared by every server built on it). */
export function usageHistoryOf(service: Service, capacity = 720): UsageHistory {
  let h = histories.get(service);
  if (h === undefined) {
    h = new UsageHistory({ capacity, clock: service.clock, read: () => queueSamples(service) });
    histories.set(service, h);
  }
  return h;
}

async function sendFile(dir: string, name: string, reply: FastifyReply): Promise<FastifyReply> {
  const m = FILE_NAME.exec(name);
  if (m === null || m[1] === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `/ui/${name}: no such file of the resource board`);
  let body: Buffer;
  try {
    body = await readFile(join(dir, name));
  } catch {
    throw new ExtenderError('EXT_ERR_NOT_FOUND', `/ui/${name}: no such file of the resource board`);
  }
  return reply
    .header('content-type', CONTENT_TYPES[m[1]] ?? 'application/octet-stream')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .send(body);
}

export function registerUi(app: FastifyInstance, service: Service, opts: UiOptions = {}): void {
  const dir = opts.dir ?? UI_DIR;
  const history = usageHistoryOf(service, opts.historyCapacity);
  const every = opts.sampleEveryMs ?? 5000;
  if (every > 0) {
    const timer = setInterval(() => {
      try {
        history.sample();
      } catch (err) {
        service.log.warn({ err }, 'usage history sample failed');
      }
    }, every);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  app.get('/ui', async (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui/', async (_req, reply) => sendFile(dir, 'index.html', reply));
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => sendFile(dir, req.params.file, reply));

  const caller = (req: FastifyRequest) => authenticate(req, service.kube);

  app.get('/api/v1/whoami', async (req) => {
    const c = await caller(req);
    const t = visibleTenants(c, service.state.tenants.values());
    return { username: c.user.username, groups: c.user.groups, clusterReader: c.clusterReader, tenants: t === null ? null : [...t].sort() };
  });

  const promUrl = opts.prometheusUrl ?? process.env['TESSERA_UI_PROMETHEUS_URL'] ?? '';
  const window = opts.prometheusWindowMs ?? 3_600_000;

  app.get<{ Querystring: { sinceMs?: string; source?: string } }>('/api/v1/usage/history', async (req) => {
    const c = await caller(req);
    const raw = req.query.sinceMs;
    const since = raw === undefined || raw === '' ? -Infinity : Number(raw);
    if (Number.isNaN(since)) throw new ExtenderError('EXT_ERR_BAD_ARGS', `sinceMs: expected milliseconds since the epoch, got "${raw}"`);
    const source = req.query.source ?? (promUrl !== '' ? 'prometheus' : 'memory');
    if (source !== 'memory' && source !== 'prometheus') throw new ExtenderError('EXT_ERR_BAD_ARGS', `source: expected "memory" or "prometheus", got "${source}"`);
    const tenants = visibleTenants(c, service.state.tenants.values());
    let problem: string | null = null;
    if (source === 'prometheus') {
      if (promUrl === '') {
        problem = 'no Prometheus is configured (TESSERA_UI_PROMETHEUS_URL); showing the in-memory history';
      } else {
        try {
          const endMs = service.clock();
          const startMs = Math.max(since, endMs - window);
          const stepS = Math.max(15, Math.ceil((endMs - startMs) / 1000 / 240));
          const samples: UsageSample[] = (await promQueueHistory(promUrl, { startMs, endMs, stepS })).map((s) =>
            tenants === null ? s : { atMs: s.atMs, queues: s.queues.filter((q) => tenants.has(q.tenant)) },
          );
          return { source: 'prometheus', intervalMs: stepS * 1000, problem: null, samples };
        } catch (err) {
          problem = `Prometheus history unavailable (${err instanceof Error ? err.message : String(err)}); showing the in-memory history`;
          service.log.warn({ err }, 'prometheus usage history failed');
        }
      }
    }
    if (history.size === 0) history.sample();
    return { source: 'memory', intervalMs: every, problem, samples: history.samples(tenants, since) };
  });
}
