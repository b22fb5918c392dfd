/**
 * Kubernetes API helpers for scenarios: clients per identity, server-side apply
 * (with dry-run), waiting on pods, reading Tessera decisions.
 */
import { readFileSync } from 'node:fs';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { POD_DECISION } from '../../core/annotations.js';
import type { Decision } from '../../core/decision.js';
import type { Identity } from './control-plane.js';
import { waitFor } from './procs.js';
import { ApiError, RawApi } from './raw-api.js';

export const FIELD_MANAGER = 'tessera-e2e';

export interface E2eEnv {
  readonly runDir: string;
  readonly binDir: string;
  readonly apiServerUrl: string;
  readonly kubeconfigs: Record<Identity, string>;
  readonly extenderUrl: string;
  readonly extenderPort: number;
  /** Whether global setup started `tessera extender` (false while cli/ has no extender). */
  readonly extenderRunning: boolean;
  /** Process group of the extender global setup started (0 when none). */
  readonly extenderPid: number;
  readonly webhookPort: number;
  readonly schedulerName: string;
  /** Base URL of the extender's HTTPS webhook listener, and the CA bundle that signs it. */
  readonly webhookUrl: string;
  readonly caBundle: string;
  readonly namespace: string;
  /** Objects of manifests/base (namespace, CRDs, RBAC) the apiserver refused at setup. */
  readonly baseApplyErrors: readonly string[];
}

/** The environment global-setup wrote for the scenarios. */
export function e2eEnv(): E2eEnv {
  const file =
    process.env.TESSERA_E2E_ENV ?? (process.env.TESSERA_E2E_RUN_DIR ? `${process.env.TESSERA_E2E_RUN_DIR}/env.json` : undefined);
  if (file === undefined) throw new Error('TESSERA_E2E_ENV is not set: run the scenarios through e2e/vitest.config.ts (npm run e2e)');
  return JSON.parse(readFileSync(file, 'utf8')) as E2eEnv;
}

export function kubeConfig(env: E2eEnv, who: Identity = 'admin'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigs[who]);
  return kc;
}

export function clients(env: E2eEnv, who: Identity = 'admin'): { core: CoreV1Api; objects: KubernetesObjectApi } {
  const kc = kubeConfig(env, who);
  return { core: kc.makeApiClient(CoreV1Api), objects: KubernetesObjectApi.makeApiClient(kc) };
}

/** Every object in a multi-document YAML file (empty documents skipped). */
export function readObjects(file: string): KubernetesObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: KubernetesObject[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: YAML error: ${d.errors[0]?.message ?? ''}`);
    const v = d.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: expected a mapping per YAML document`);
    const items = (v as { kind?: string; items?: unknown }).kind?.endsWith('List') ? ((v as { items: unknown[] }).items ?? []) : [v];
    out.push(...(items as KubernetesObject[]));
  }
  return out;
}

/** Server-side apply (force, our field manager) of an object exactly as parsed; `dryRun` validates only. */
export async function serverSideApply(api: RawApi, obj: KubernetesObject, dryRun = false): Promise<KubernetesObject> {
  return api.apply(obj, FIELD_MANAGER, dryRun);
}

export function rawApi(env: E2eEnv, who: Identity = 'admin'): RawApi {
  return RawApi.fromKubeconfig(env.kubeconfigs[who]);
}

/** A readable message from a client-node ApiException (status + server message). */
export function apiError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (typeof err === 'object' && err !== null && 'code' in err && 'body' in err) {
    const e = err as { code: number; body: unknown };
    let msg = typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
    try {
      const parsed = JSON.parse(msg) as { message?: string };
      if (parsed.message) msg = parsed.message;
    } catch {
      // keep raw body
    }
    return `HTTP ${e.code}: ${msg}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export async function waitForPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  what: string,
  pred: (p: V1Pod) => boolean,
  timeoutMs = 60_000,
): Promise<V1Pod> {
  return waitFor(`pod ${namespace}/${name} ${what}`, async () => {
    const p = await core.readNamespacedPod({ name, namespace });
    return pred(p) ? p : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

export const isBound = (p: V1Pod): boolean => Boolean(p.spec?.nodeName);
export const isRunning = (p: V1Pod): boolean => p.status?.phase === 'Running';

/** The scheduler's latest PodScheduled=False message (why a pod is pending), or ''. */
export function unschedulableMessage(p: V1Pod): string {
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  return c?.message ?? '';
}

/** The `tessera.io/decision` annotation of a pod (shape: core/decision.ts), or undefined. */
export function decisionOf(p: V1Pod): Decision | undefined {
  const raw = p.metadata?.annotations?.[POD_DECISION];
  if (raw === undefined) return undefined;
  const parsed = JSON.parse(raw) as Decision;
  if (parsed.version !== 1 || !Array.isArray(parsed.containers)) {
    throw new Error(`pod ${p.metadata?.name}: ${POD_DECISION} is not a version-1 Decision: ${raw.slice(0, 200)}`);
  }
  return parsed;
}

/** Physical device ids of all containers of a decision. */
export function decisionDeviceIds(d: Decision): string[] {
  return d.containers.flatMap((c) => c.devices.map((x) => x.id));
}

export async function ensureNamespace(core: CoreV1Api, name: string): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (!apiError(err).startsWith('HTTP 409')) throw new Error(`create namespace ${name}: ${apiError(err)}`);
  }
}
