/**
 * The repository's manifests/ as the e2e run uses them: the scheduler
 * configuration, and the base set (namespace, CRDs, RBAC) applied for real with
 * server-side apply before kube-scheduler and the Tessera services start.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { RawApi } from './raw-api.js';
import { parse } from 'yaml';
import { apiError, readObjects, serverSideApply } from './kube.js';
import { waitFor } from './procs.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The manifests tree under test: the repository's, or TESSERA_E2E_MANIFESTS (e.g. a patched copy). */
export const MANIFESTS = process.env.TESSERA_E2E_MANIFESTS ?? join(REPO_ROOT, 'manifests');

/** Every YAML file under manifests/ (recursive, sorted). */
export function manifestFiles(dir = MANIFESTS): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...manifestFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

export const rel = (file: string): string => relative(REPO_ROOT, file);

/** The KubeSchedulerConfiguration from manifests/scheduler (a ConfigMap's data), or our own fallback. */
export function schedulerConfig(): { source: string; config: Record<string, unknown> } {
  for (const file of manifestFiles(join(MANIFESTS, 'base'))) {
    for (const obj of readObjects(file)) {
      if (obj.kind === 'KubeSchedulerConfiguration') return { source: rel(file), config: obj as Record<string, unknown> };
      const data = (obj as { data?: Record<string, string> }).data;
      if (obj.kind === 'ConfigMap' && data) {
        for (const v of Object.values(data)) {
          const parsed = parse(v) as { kind?: string } | null;
          if (parsed?.kind === 'KubeSchedulerConfiguration') return { source: `${rel(file)} (ConfigMap data)`, config: parsed as Record<string, unknown> };
        }
      }
    }
  }
  return { source: 'e2e fallback (no KubeSchedulerConfiguration under manifests/base)', config: FALLBACK_SCHEDULER_CONFIG };
}

const FALLBACK_SCHEDULER_CONFIG: Record<string, unknown> = {
  apiVersion: 'kubescheduler.config.k8s.io/v1',
  kind: 'KubeSchedulerConfiguration',
  profiles: [{ schedulerName: 'tessera-scheduler' }],
  extenders: [
    {
      urlPrefix: 'http://127.0.0.1/scheduler',
      filterVerb: 'filter',
      prioritizeVerb: 'prioritize',
      preemptVerb: 'preempt',
      bindVerb: 'bind',
      weight: 5,
      httpTimeout: '10s',
      nodeCacheCapable: true,
      ignorable: false,
      managedResources: [
        { name: 'nvidia.com/gpu', ignoredByScheduler: false },
        { name: 'nvidia.com/gpumem', ignoredByScheduler: true },
        { name: 'nvidia.com/gpumem-percentage', ignoredByScheduler: true },
        { name: 'nvidia.com/gpucores', ignoredByScheduler: true },
        { name: 'huawei.com/Ascend910', ignoredByScheduler: false },
      ],
    },
  ],
};

/** The profile name the scheduler config serves (the first profile). */
export function schedulerNameOf(config: Record<string, unknown>): string {
  const profiles = config.profiles as { schedulerName?: string }[] | undefined;
  return profiles?.[0]?.schedulerName ?? 'default-scheduler';
}

/** Kinds applied for real before the services start (from manifests/base): namespace, CRDs, RBAC. */
export const BASE_KINDS = new Set(['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

export function baseObjects(): { file: string; obj: KubernetesObject }[] {
  const out: { file: string; obj: KubernetesObject }[] = [];
  for (const file of manifestFiles(join(MANIFESTS, 'base'))) {
    if (/kustomization\.ya?ml$/.test(file)) continue;
    for (const obj of readObjects(file)) if (obj.kind && BASE_KINDS.has(obj.kind)) out.push({ file, obj });
  }
  // Namespaces first, then CRDs, then RBAC.
  const rank = (k?: string): number => (k === 'Namespace' ? 0 : k === 'CustomResourceDefinition' ? 1 : 2);
  return out.sort((a, b) => rank(a.obj.kind) - rank(b.obj.kind));
}

/**
 * Applies the base set (server-side apply) and waits until every applied CRD is
 * Established. Objects the apiserver refuses are returned in `errors` (the run goes
 * on; the manifests scenario fails on them, and scenarios needing them fail too).
 */
export async function applyBase(kc: KubeConfig, api: RawApi): Promise<{ applied: string[]; errors: string[] }> {
  const applied: string[] = [];
  const errors: string[] = [];
  const crds: string[] = [];
  for (const { file, obj } of baseObjects()) {
    try {
      await serverSideApply(api, obj);
    } catch (err) {
      errors.push(`apply ${rel(file)} ${describe(obj)}: ${apiError(err)}`);
      continue;
    }
    applied.push(`${rel(file)}: ${describe(obj)}`);
    if (obj.kind === 'CustomResourceDefinition' && obj.metadata?.name) crds.push(obj.metadata.name);
  }
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of crds) {
    await waitFor(`CRD ${name} Established`, async () => {
      const crd = await ext.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
  return { applied, errors };
}

export function describe(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind ?? '?'} ${ns}${obj.metadata?.name ?? '?'}`;
}
