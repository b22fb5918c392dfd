/**
 * The admission webhooks of manifests/base/webhook/webhooks.yaml, registered with the
 * real apiserver (HTTPS to the extender's webhook port on loopback, CA bundle from the
 * throw-away CA of this run): a GPU pod without schedulerName is routed to Tessera and
 * given the handoff env, then scheduled end to end; a 3-chip Ascend pod is refused at
 * admission; a pod carrying a forged decision annotation has it stripped at creation.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerKey, POD_DECISION, POD_VISIBLE_DEVICES } from '../../core/annotations.js';
import { apiError, clients, e2eEnv, isRunning, rawApi, readObjects, serverSideApply, waitForPod } from '../lib/kube.js';
import { MANIFESTS } from '../lib/manifests.js';
import { fakeNode, gpuInventory, SHAPES } from '../lib/nodes.js';
import { waitFor } from '../lib/procs.js';
import { cleanup, createNodes, setupNamespace, waitForDecision } from '../lib/pods.js';

const env = e2eEnv();
const { core } = clients(env);
const api = rawApi(env);
const ns = 'e2e-webhook';
const nodes = [fakeNode({ name: 'webhook-h100', inventory: gpuInventory('webhook-h100', SHAPES.dgxH100), labels: { 'e2e/scenario': 'webhook' } })];
const registered: KubernetesObject[] = [];

function gpuPod(name: string, annotations: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, annotations },
    spec: {
      nodeSelector: { 'e2e/scenario': 'webhook' },
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'train:latest', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
    },
  };
}

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
  await createNodes(core, nodes);
  for (const obj of readObjects(join(MANIFESTS, 'base', 'webhook', 'webhooks.yaml'))) {
    if (obj.kind !== 'MutatingWebhookConfiguration' && obj.kind !== 'ValidatingWebhookConfiguration') continue;
    const hooks = (obj as { webhooks?: { clientConfig: { service?: { path?: string } } }[] }).webhooks ?? [];
    for (const h of hooks) {
      h.clientConfig = { url: `${env.webhookUrl}${h.clientConfig.service?.path ?? '/'}`, caBundle: env.caBundle } as typeof h.clientConfig;
    }
    await serverSideApply(api, obj);
    registered.push(obj);
  }
  expect(registered.map((o) => o.kind).sort()).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
  // The apiserver picks new webhook configurations up asynchronously: wait until a dry-run pod is mutated.
  await waitFor('webhook active in the apiserver', async () => {
    const out = JSON.parse(
      await api.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...gpuPod('probe') })),
    ) as V1Pod;
    return out.spec?.schedulerName === env.schedulerName ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
});

afterAll(async () => {
  for (const obj of registered) {
    const path = await api.objectPath(obj);
    await api.request('DELETE', path).catch((err: unknown) => console.error(`delete ${obj.kind}: ${apiError(err)}`));
  }
  await cleanup(core, ns, nodes);
});

describe('admission webhooks on the real apiserver', () => {
  it('routes a GPU pod without schedulerName to Tessera, injects the handoff env, and it is scheduled end to end', async () => {
    const created = await core.createNamespacedPod({ namespace: ns, body: gpuPod('routed') });
    expect(created.spec?.schedulerName).toBe(env.schedulerName);
    const envRefs = (created.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]);
    expect(envRefs).toContainEqual(['NVIDIA_VISIBLE_DEVICES', `metadata.annotations['${containerKey(POD_VISIBLE_DEVICES, 0)}']`]);
    const { decision, pod } = await waitForDecision(core, ns, 'routed');
    expect(decision.node).toBe('webhook-h100');
    expect(pod.metadata?.annotations?.[containerKey(POD_VISIBLE_DEVICES, 0)]).toBe(decision.containers[0]?.devices.map((d) => d.id).join(','));
    await waitForPod(core, ns, 'routed', 'Running', isRunning);
  });

  it('refuses a 3-chip Ascend pod at admission with the ring rule', async () => {
    const body: V1Pod = {
      metadata: { name: 'three-chips' },
      spec: { containers: [{ name: 'main', image: 'train:latest', resources: { limits: { 'huawei.com/Ascend910': '3' } } }] },
    };
    const err = await core.createNamespacedPod({ namespace: ns, body }).then(() => undefined, (e: unknown) => e);
    expect(err, 'the apiserver accepted a 3-chip pod').toBeDefined();
    expect(apiError(err)).toMatch(/1, 2, 4 or 8/);
  });

  it('strips a forged decision annotation at creation', async () => {
    const forged = JSON.stringify({ version: 1, podUid: 'forged', namespace: ns, name: 'forged', node: 'webhook-h100', isolation: 'exclusive', containers: [], decidedAtMs: 0 });
    const created = await core.createNamespacedPod({
      namespace: ns,
      body: gpuPod('forged', { [POD_DECISION]: forged, [containerKey(POD_VISIBLE_DEVICES, 0)]: 'GPU-stolen' }),
    });
    expect(created.metadata?.annotations?.[POD_DECISION]).toBeUndefined();
    expect(created.metadata?.annotations?.[containerKey(POD_VISIBLE_DEVICES, 0)]).toBeUndefined();
    // And the pod is then scheduled normally with a genuine decision of its own.
    const { decision } = await waitForDecision(core, ns, 'forged');
    expect(decision.podUid).toBe(created.metadata?.uid);
  });
});
