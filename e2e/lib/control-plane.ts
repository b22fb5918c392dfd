/**
 * Starts a real control plane on loopback from the binaries e2e/build.sh made:
 * etcd, kube-apiserver (token auth + RBAC), kube-scheduler (with the Tessera
 * extender in its configuration) and kwok (fake kubelets for the nodes we create).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, startProc, stopProc, waitFor, type Proc } from './procs.js';

/** Identities in the apiserver's token file. */
export const IDENTITIES = {
  admin: { user: 'e2e-admin', groups: ['system:masters'] },
  /** kube-scheduler runs as the ServiceAccount manifests/rbac/scheduler.yaml grants. */
  scheduler: {
    user: 'system:serviceaccount:tessera-system:tessera-scheduler',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:tessera-system'],
  },
  kwok: { user: 'e2e-kwok', groups: ['system:masters'] },
  extender: {
    user: 'system:serviceaccount:tessera-system:tessera-extender',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:tessera-system'],
  },
  agent: {
    user: 'system:serviceaccount:tessera-system:tessera-agent',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:tessera-system'],
  },
} as const;
export type Identity = keyof typeof IDENTITIES;

export interface ControlPlane {
  readonly runDir: string;
  readonly apiServerUrl: string;
  /** Kubeconfig file per identity. */
  readonly kubeconfigs: Record<Identity, string>;
  readonly procs: Proc[];
  readonly schedulerConfigFile: string;
  readonly extenderUrl: string;
}

export interface ControlPlaneOptions {
  readonly binDir: string;
  readonly runDir: string;
  /** Where the scheduler finds the extender (urlPrefix). */
  readonly extenderPort: number;
  /** KubeSchedulerConfiguration (object) to use; urlPrefix/kubeconfig are filled in. */
  readonly schedulerConfig: Record<string, unknown>;
  /**
   * Base64 of the CA that signed the extender's serving certificate: the scheduler then calls
   * the verbs over HTTPS (`enableHTTPS: true`, `tlsConfig.caData`), as manifests/base does.
   * Absent: plain HTTP.
   */
  readonly extenderCaBundle?: string;
  /** Runs once the apiserver is ready, before kube-scheduler starts (apply CRDs, RBAC). */
  readonly beforeScheduler?: (kubeconfigs: Record<Identity, string>) => Promise<void>;
}

function kubeconfig(server: string, token: string, name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: name } }],
    'current-context': 'e2e',
  });
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const { binDir, runDir } = opts;
  mkdirSync(runDir, { recursive: true });
  const procs: Proc[] = [];
  try {
    // etcd
    const etcdPort = await freePort();
    const etcd = startProc({
      name: 'etcd',
      runDir,
      command: join(binDir, 'etcd'),
      args: [
        `--data-dir=${join(runDir, 'etcd-data')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
    });
    procs.push(etcd);
    await waitFor('etcd /health', async () => ((await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok ? true : undefined), {
      proc: etcd,
    });

    // kube-apiserver
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(runDir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(runDir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const tokens: Record<string, string> = {};
    const lines: string[] = [];
    for (const [id, who] of Object.entries(IDENTITIES)) {
      const token = `e2e-${id}-${Math.random().toString(36).slice(2)}`;
      tokens[id] = token;
      lines.push(`${token},${who.user},uid-${id}${who.groups.length ? `,"${who.groups.join(',')}"` : ''}`);
    }
    writeFileSync(join(runDir, 'tokens.csv'), `${lines.join('\n')}\n`, { mode: 0o600 });
    const apiPort = await freePort();
    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    const apiserver = startProc({
      name: 'kube-apiserver',
      runDir,
      command: join(binDir, 'kube-apiserver'),
      args: [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${join(runDir, 'apiserver-certs')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(runDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(runDir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        `--token-auth-file=${join(runDir, 'tokens.csv')}`,
        // No kube-controller-manager: no default ServiceAccount, and no node lifecycle
        // controller to lift the not-ready taint TaintNodesByCondition puts on new nodes.
        '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--max-requests-inflight=0',
        '--max-mutating-requests-inflight=0',
      ],
    });
    procs.push(apiserver);
    const kubeconfigs = {} as Record<Identity, string>;
    for (const id of Object.keys(IDENTITIES) as Identity[]) {
      const file = join(runDir, `${id}.kubeconfig`);
      writeFileSync(file, kubeconfig(apiServerUrl, tokens[id] ?? '', id), { mode: 0o600 });
      kubeconfigs[id] = file;
    }
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        return (await httpsStatus(`${apiServerUrl}/readyz`, tokens.admin)) === 200 ? true : undefined;
      },
      { proc: apiserver, timeoutMs: 90_000, intervalMs: 500 },
    );

    await opts.beforeScheduler?.(kubeconfigs);

    // kube-scheduler
    const extenderUrl = `${opts.extenderCaBundle !== undefined ? 'https' : 'http'}://127.0.0.1:${opts.extenderPort}`;
    const schedulerConfig = withExtenderUrl(opts.schedulerConfig, extenderUrl, kubeconfigs.scheduler, opts.extenderCaBundle);
    const schedulerConfigFile = join(runDir, 'kube-scheduler-config.yaml');
    writeFileSync(schedulerConfigFile, stringify(schedulerConfig));
    const schedPort = await freePort();
    const scheduler = startProc({
      name: 'kube-scheduler',
      runDir,
      command: join(binDir, 'kube-scheduler'),
      args: [
        `--config=${schedulerConfigFile}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedPort}`,
        '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
        '-v=2',
      ],
    });
    procs.push(scheduler);
    await waitFor(
      'kube-scheduler /healthz',
      async () => {
        return (await httpsStatus(`https://127.0.0.1:${schedPort}/healthz`)) === 200 ? true : undefined;
      },
      { proc: scheduler, timeoutMs: 60_000, intervalMs: 500 },
    );

    // kwok: fake kubelets for nodes carrying the kwok annotation
    const stagesDir = join(binDir, 'kwok-stages');
    const stageFiles = ['node-initialize.yaml', 'node-heartbeat.yaml', 'pod-ready.yaml', 'pod-complete.yaml', 'pod-delete.yaml'];
    const kwok = startProc({
      name: 'kwok',
      runDir,
      command: join(binDir, 'kwok'),
      args: [
        `--kubeconfig=${kubeconfigs.kwok}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--cidr=10.200.0.0/16',
        '--node-ip=10.199.0.1',
        ...stageFiles.map((f) => `--config=${join(stagesDir, f)}`),
      ],
    });
    procs.push(kwok);
    // kwok has no readiness endpoint we rely on; make sure it did not exit at once.
    await new Promise((r) => setTimeout(r, 1_000));
    if (kwok.child.exitCode !== null) throw new Error(`kwok exited at start; see ${kwok.logFile}`);

    return { runDir, apiServerUrl, kubeconfigs, procs, schedulerConfigFile, extenderUrl };
  } catch (err) {
    for (const p of procs.reverse()) await stopProc(p);
    throw err;
  }
}

export async function stopControlPlane(cp: ControlPlane): Promise<void> {
  for (const p of [...cp.procs].reverse()) await stopProc(p);
}

function withExtenderUrl(config: Record<string, unknown>, url: string, kubeconfigFile: string, caBundle?: string): Record<string, unknown> {
  const extenders = Array.isArray(config.extenders) ? (config.extenders as Record<string, unknown>[]) : [];
  return {
    ...config,
    leaderElection: { leaderElect: false },
    clientConnection: { ...((config.clientConnection as object | undefined) ?? {}), kubeconfig: kubeconfigFile },
    extenders: extenders.map((e) => {
      const prefix = typeof e.urlPrefix === 'string' ? new URL(e.urlPrefix) : new URL('http://x/');
      const { tlsConfig: _tls, ...rest } = e;
      const urlPrefix = `${url}${prefix.pathname.replace(/\/$/, '')}`;
      // The manifests' tlsConfig names the in-cluster CA; here it is the run's throw-away CA.
      return caBundle !== undefined ? { ...rest, urlPrefix, enableHTTPS: true, tlsConfig: { caData: caBundle } } : { ...rest, urlPrefix, enableHTTPS: false };
    }),
  };
}

/** GET over HTTPS to a loopback server with a self-signed certificate; resolves with the status code. */
export function httpsStatus(url: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'GET', rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 5_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
