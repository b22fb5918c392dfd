/**
 * The webhook's HTTPS server (fastify). TLS from cert/key files, or a self-signed pair made
 * with the openssl CLI for tests and local runs (`selfSignedTls`).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from './service.js';
import { review } from './webhook.js';

export interface TlsPair {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** A fresh self-signed certificate for `hosts` (needs the `openssl` command). */
export function selfSignedTls(hosts: readonly string[] = ['localhost', '127.0.0.1']): TlsPair {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tls-'));
  try {
    const san = hosts.map((h) => (/^[0-9.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${hosts[0] ?? 'localhost'}`, '-addext', `subjectAltName=${san}`,
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'),
    ], { stdio: 'pipe' });
    return { cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function loadTls(certFile: string, keyFile: string): TlsPair {
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

export function buildWebhookServer(service: Service, tls: TlsPair | null, opts: { schedulerName?: string } = {}): FastifyInstance {
  const app = (tls === null ? Fastify({ bodyLimit: 16 * 1024 * 1024 }) : Fastify({ bodyLimit: 16 * 1024 * 1024, https: { cert: tls.cert, key: tls.key } })) as FastifyInstance;
  app.setErrorHandler((err, req, reply) => {
    service.metrics.webhookRequests.inc({ kind: req.url.includes('validate') ? 'validate' : 'mutate', result: 'error' });
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status >= 400 && status < 500 ? status : 500).send({ code: 'EXT_ERR_BAD_ARGS', message: `${req.url}: ${(err as Error).message}` });
  });
  for (const kind of ['mutate', 'validate'] as const) {
    app.post(`/${kind}`, async (req, reply) => {
      const r = review(kind, req.body, service.state, opts.schedulerName);
      const resp = (r.body as { response?: { allowed?: boolean } }).response;
      service.metrics.webhookRequests.inc({ kind, result: resp === undefined ? 'error' : resp.allowed ? 'allowed' : 'denied' });
      return reply.code(r.status).send(r.body);
    });
  }
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
