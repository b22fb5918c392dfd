/**
 * vitest globalSetup for the e2e suite: one real control plane for all scenario
 * files (they run one after another). Writes `<runDir>/env.json` (see E2eEnv) and
 * points TESSERA_E2E_ENV at it. Everything started here is stopped in teardown;
 * e2e/run.sh also kills every recorded process group if vitest dies.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, stopControlPlane, type ControlPlane } from './control-plane.js';
import type { E2eEnv } from './kube.js';
import { applyBase, REPO_ROOT, schedulerConfig, schedulerNameOf } from './manifests.js';
import { makeServingCert } from './certs.js';
import { freePort, stopRecorded } from './procs.js';
import { RawApi } from './raw-api.js';
import { cliImplemented, startExtender, stopService, type Service } from './tessera.js';

function binDir(): string {
  const marker = join(REPO_ROOT, 'e2e', '.bin-dir');
  const dir = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';
  if (!dir || !existsSync(join(dir, 'kube-apiserver'))) {
    throw new Error('e2e binaries not found: run `bash e2e/build.sh` first (npm run e2e does)');
  }
  return dir;
}

export default async function setup(): Promise<() => Promise<void>> {
  const bins = binDir();
  const runDir = process.env.TESSERA_E2E_RUN_DIR ?? mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
  mkdirSync(runDir, { recursive: true });
  const extenderPort = await freePort();
  const sched = schedulerConfig();
  const log = (msg: string): void => void process.stderr.write(`[e2e] ${msg}\n`);
  log(`run dir ${runDir} (process logs), binaries ${bins}`);
  log(`scheduler config from ${sched.source}`);

  let cp: ControlPlane | undefined;
  let extender: Service | undefined;
  let baseApplyErrors: string[] = [];
  const teardown = async (): Promise<void> => {
    await stopService(extender);
    if (cp) await stopControlPlane(cp);
    // Services a scenario restarted (e.g. the extender) are recorded in <runDir>/pids too.
    await stopRecorded(runDir);
    log(`stopped; logs kept in ${runDir}`);
  };
  // One serving certificate for 127.0.0.1: the webhooks and (with --https) the verbs.
  const tls = makeServingCert(runDir);
  try {
    cp = await startControlPlane({
      binDir: bins,
      runDir,
      extenderPort,
      extenderCaBundle: tls.caBundle,
      schedulerConfig: sched.config,
      beforeScheduler: async (kubeconfigs) => {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigs.admin);
        const result = await applyBase(kc, RawApi.fromKubeconfig(kubeconfigs.admin));
        baseApplyErrors = result.errors;
        log(`applied ${result.applied.length} base objects (namespace, CRDs, RBAC) from manifests/base`);
        for (const e of result.errors) log(`REFUSED: ${e}`);
      },
    });
    log(`control plane up at ${cp.apiServerUrl}`);
    const schedulerName = schedulerNameOf(sched.config);
    const webhookPort = await freePort();
    if (cliImplemented('extender')) {
      extender = await startExtender({
        runDir,
        kubeconfig: cp.kubeconfigs.extender,
        port: extenderPort,
        webhookPort,
        tls,
        schedulerName,
      });
      log(`tessera extender up at ${extender.url}`);
    } else {
      log('tessera extender is not implemented in cli/ yet: scenarios that need it will fail');
    }
    const env: E2eEnv = {
      runDir,
      binDir: bins,
      apiServerUrl: cp.apiServerUrl,
      kubeconfigs: cp.kubeconfigs,
      extenderUrl: cp.extenderUrl,
      extenderPort,
      extenderRunning: extender !== undefined,
      extenderPid: extender?.proc.child.pid ?? 0,
      webhookPort,
      schedulerName,
      webhookUrl: `https://127.0.0.1:${webhookPort}`,
      caBundle: tls.caBundle,
      namespace: 'e2e',
      baseApplyErrors,
    };
    const envFile = join(runDir, 'env.json');
    writeFileSync(envFile, JSON.stringify(env, null, 2));
    process.env.TESSERA_E2E_ENV = envFile;
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}
