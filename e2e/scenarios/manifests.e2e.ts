/**
 * Every Kubernetes object under manifests/ passes server-side dry-run apply on the
 * real kube-apiserver (with the CRDs from manifests/base installed), and every object
 * in manifests/testdata/invalid-objects.yaml is refused by it. Documents of API
 * groups this cluster does not serve must belong to the external tools the manifests
 * document (kustomize, kind, prometheus-operator, cert-manager); anything else
 * unserved (a typo in apiVersion) fails.
 */
import { ApisApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiError, clients, e2eEnv, ensureNamespace, kubeConfig, rawApi, serverSideApply } from '../lib/kube.js';
import { describe as describeObj, manifestFiles, rel } from '../lib/manifests.js';

const EXTERNAL_GROUPS = new Set(['kustomize.config.k8s.io', 'kind.x-k8s.io', 'monitoring.coreos.com', 'cert-manager.io']);
const INVALID_FILE = /manifests\/testdata\/invalid-objects\.ya?ml$/;

const env = e2eEnv();
const { core } = clients(env);
const api = rawApi(env);

interface Doc {
  readonly file: string;
  readonly obj: KubernetesObject;
}

function isObject(v: unknown): v is KubernetesObject {
  return typeof v === 'object' && v !== null && typeof (v as KubernetesObject).apiVersion === 'string' && typeof (v as KubernetesObject).kind === 'string';
}

const docs: Doc[] = [];
// Documents that are not Kubernetes objects (Prometheus rule files, promtool tests) are not applied.
const notObjects: string[] = [];
for (const file of manifestFiles()) {
  parseAllDocuments(readFileSync(file, 'utf8')).forEach((d, i) => {
    const v = d.toJS() as unknown;
    if (v === null || v === undefined) return;
    if (isObject(v)) docs.push({ file, obj: v });
    else notObjects.push(`${rel(file)}#${i}`);
  });
}

const groupOf = (o: KubernetesObject): string => (o.apiVersion?.includes('/') ? (o.apiVersion.split('/')[0] ?? '') : '');
let served = new Set<string>();

beforeAll(async () => {
  const groups = await kubeConfig(env).makeApiClient(ApisApi).getAPIVersions();
  served = new Set(['', ...groups.groups.map((g) => g.name)]);
  // Dry-run of a namespaced object needs its namespace to exist.
  const namespaces = new Set(docs.map((d) => d.obj.metadata?.namespace).filter((n): n is string => Boolean(n)));
  for (const d of docs) if (d.obj.kind === 'Namespace' && d.obj.metadata?.name) namespaces.add(d.obj.metadata.name);
  for (const ns of namespaces) await ensureNamespace(core, ns);
});

describe('manifests/ against the real kube-apiserver', () => {
  it('has Kubernetes objects to check', () => {
    expect(docs.filter((d) => !INVALID_FILE.test(d.file)).length).toBeGreaterThan(20);
  });

  it('the base set (namespace, CRDs, RBAC) was applied for real without refusals at setup', () => {
    expect(env.baseApplyErrors).toEqual([]);
  });

  it('every object of a served API group passes server-side dry-run apply', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const { file, obj } of docs) {
      if (INVALID_FILE.test(file) || !served.has(groupOf(obj))) continue;
      checked++;
      try {
        await serverSideApply(api, obj, true);
      } catch (err) {
        failures.push(`${rel(file)}: ${describeObj(obj)}: ${apiError(err)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('every object in testdata/invalid-objects.yaml is refused by the apiserver', async () => {
    const invalid = docs.filter((d) => INVALID_FILE.test(d.file));
    expect(invalid.length).toBeGreaterThan(0);
    const accepted: string[] = [];
    for (const { obj } of invalid) {
      const err = await serverSideApply(api, obj, true).then(() => undefined, (e: unknown) => e);
      if (err === undefined) accepted.push(describeObj(obj));
      // 422 from validation (schema, CEL); a list-type=set duplicate is refused while the
      // apply patch is built, which the apiserver reports as 500 "failed to create typed patch object".
      else expect(apiError(err)).toMatch(/^HTTP 422|^HTTP 500: failed to create typed patch object/);
    }
    expect(accepted).toEqual([]);
  });

  it('documents of unserved API groups belong to the documented external tools only', () => {
    const unserved = docs.filter((d) => !served.has(groupOf(d.obj)));
    const unexpected = unserved.filter((d) => !EXTERNAL_GROUPS.has(groupOf(d.obj))).map((d) => `${rel(d.file)}: ${d.obj.apiVersion} ${d.obj.kind}`);
    expect(unexpected).toEqual([]);
  });
});

