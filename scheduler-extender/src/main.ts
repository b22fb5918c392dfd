/**
 * Starts the extender: Kubernetes access, cache, leader election, the extender + admin
 * HTTP server and the HTTPS webhook server. Used by `tessera extender`.
 */
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { KubeClient, loadKubeConnection } from './kube-client.js';
import type { KubeAccess } from './kube.js';
import { LeaderElector } from './leader.js';
import { createService, type Service } from './service.js';
import { buildServer } from './server.js';
import { buildWebhookServer, loadTls, selfSignedTls, type TlsPair } from './webhook-server.js';
import { ExtenderError } from './errors.js';

export interface ExtenderConfig {
  readonly kubeconfig?: string;
  /** host:port of the extender + admin API (plain HTTP unless `https`). */
  readonly listen: string;
  /** Serve the verbs, admin API and /metrics over HTTPS with the same certificate as the webhook. */
  readonly https?: boolean;
  /** host:port of the HTTPS webhook; empty = no webhook. */
  readonly webhookListen?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly leaderElect: boolean;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly identity?: string;
  readonly reservationTtlMs: number;
  readonly verbPrefix: string;
  readonly logLevel: string;
  /** schedulerName the mutating webhook sets (default tessera-scheduler). */
  readonly schedulerName?: string;
  /** Pod shapes memoised per node by the placement cache (default 64). */
  readonly cacheShapesPerNode?: number;
  /** For tests: use this instead of a real cluster. */
  readonly kube?: KubeAccess;
}

export interface RunningExtender {
  readonly service: Service;
  readonly server: FastifyInstance;
  readonly webhook: FastifyInstance | null;
  readonly elector: LeaderElector | null;
  readonly address: string;
  readonly webhookAddress: string | null;
  stop(): Promise<void>;
}

export function parseHostPort(field: string, v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  if (m === null || Number(m[2]) > 65535) {
    throw new ExtenderError('EXT_ERR_CONFIG', `${field}: expected host:port (e.g. 127.0.0.1:8888), got "${v}"`);
  }
  return { host: m[1] === '' ? '0.0.0.0' : (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function runExtender(cfg: ExtenderConfig, log: Logger = pino({ level: cfg.logLevel, redact: ['req.headers.authorization'] })): Promise<RunningExtender> {
  const listen = parseHostPort('--listen', cfg.listen);
  const webhookListen = cfg.webhookListen ? parseHostPort('--webhook-listen', cfg.webhookListen) : null;
  if ((cfg.tlsCert === undefined) !== (cfg.tlsKey === undefined)) {
    throw new ExtenderError('EXT_ERR_CONFIG', '--tls-cert and --tls-key must be given together');
  }
  const kube = cfg.kube ?? new KubeClient(loadKubeConnection(cfg.kubeconfig), { log: log.child({ component: 'kube' }) });
  let elector: LeaderElector | null = null;
  if (cfg.leaderElect) {
    elector = new LeaderElector({
      store: kube,
      namespace: cfg.leaseNamespace,
      name: cfg.leaseName,
      identity: cfg.identity ?? `${hostname()}-${process.pid}`,
      log: log.child({ component: 'leader' }),
    });
  }
  const service = createService({
    kube,
    log,
    reservationTtlMs: cfg.reservationTtlMs,
    isLeader: elector === null ? () => true : () => elector.isLeader(),
    defaultMetrics: true,
    ...(cfg.cacheShapesPerNode !== undefined ? { cacheShapesPerNode: cfg.cacheShapesPerNode } : {}),
  });
  await service.start();
  elector?.start();
  // One certificate for both listeners: the given files, else one self-signed pair made once.
  let tlsPair: TlsPair | null = cfg.tlsCert !== undefined && cfg.tlsKey !== undefined ? loadTls(cfg.tlsCert, cfg.tlsKey) : null;
  const selfSigned = (host: string): TlsPair => (tlsPair ??= selfSignedTls([host === '0.0.0.0' ? 'localhost' : host]));
  const server = buildServer(service, { verbPrefix: cfg.verbPrefix, ...(cfg.https === true ? { https: selfSigned(listen.host) } : {}) });
  const address = await server.listen({ host: listen.host, port: listen.port });
  log.info({ address, https: cfg.https === true }, 'extender listening');
  let webhook: FastifyInstance | null = null;
  let webhookAddress: string | null = null;
  if (webhookListen !== null) {
    const tls = selfSigned(webhookListen.host);
    webhook = buildWebhookServer(service, tls, cfg.schedulerName !== undefined ? { schedulerName: cfg.schedulerName } : {});
    webhookAddress = await webhook.listen({ host: webhookListen.host, port: webhookListen.port });
    log.info({ address: webhookAddress, selfSigned: cfg.tlsCert === undefined }, 'webhook listening');
  }
  return {
    service,
    server,
    webhook,
    elector,
    address,
    webhookAddress,
    async stop() {
      await elector?.stop();
      await webhook?.close();
      await server.close();
      await service.stop();
    },
  };
}
