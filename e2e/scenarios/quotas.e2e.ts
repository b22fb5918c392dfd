/**
 * Quotas with real Pool / Tenant / Queue objects:
 *  - an elastic queue borrows the idle guarantee of another queue; when the owner
 *    submits, the extender's reclaim (scheduler-extender/src/reclaim.ts) evicts borrowed
 *    pods through the Eviction API and the owner's pods run (kube-scheduler's own
 *    preemption cannot see the shortage: in-tree capacity counts share slots);
 *  - in a fixed pool, a borrower's pod (even at higher pod priority) never preempts
 *    the fixed queue's pods: it stays pending with a reason.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_POOL, LABEL_QUEUE } from '../../core/annotations.js';
import { apiError, clients, e2eEnv, isBound, rawApi, serverSideApply, unschedulableMessage } from '../lib/kube.js';
import { fakeNode, gpuInventory, SHAPES } from '../lib/nodes.js';
import { waitFor } from '../lib/procs.js';
import { cleanup, createNodes, setupNamespace, whyPending } from '../lib/pods.js';

const env = e2eEnv();
const { core } = clients(env);
const api = rawApi(env);
const NS = { a: 'e2e-quota-a', b: 'e2e-quota-b', c: 'e2e-quota-c' } as const;
const nodes = [
  fakeNode({ name: 'quota-train', inventory: gpuInventory('quota-train', SHAPES.dgxH100), labels: { [LABEL_POOL]: 'e2e-train' } }),
  fakeNode({ name: 'quota-serve', inventory: gpuInventory('quota-serve', SHAPES.dgxH100), labels: { [LABEL_POOL]: 'e2e-serve' } }),
];
const T = 'tessera.io/v1alpha1';
type Obj = KubernetesObject & Record<string, unknown>;
const objects: Obj[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'e2e-low' }, value: 100 },
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'e2e-high' }, value: 1000 },
  { apiVersion: T, kind: 'Pool', metadata: { name: 'e2e-train' }, spec: { nodeSelector: { matchLabels: { [LABEL_POOL]: 'e2e-train' } }, mode: 'elastic', isolation: 'exclusive' } },
  { apiVersion: T, kind: 'Pool', metadata: { name: 'e2e-serve' }, spec: { nodeSelector: { matchLabels: { [LABEL_POOL]: 'e2e-serve' } }, mode: 'fixed', isolation: 'exclusive' } },
  { apiVersion: T, kind: 'Tenant', metadata: { name: 'e2e-team-a' }, spec: { namespaces: [NS.a], admins: { users: ['a@example.com'] }, defaultPool: 'e2e-train', defaultQueue: 'e2e-qa' } },
  { apiVersion: T, kind: 'Tenant', metadata: { name: 'e2e-team-b' }, spec: { namespaces: [NS.b], admins: { users: ['b@example.com'] }, defaultPool: 'e2e-train', defaultQueue: 'e2e-qb' } },
  { apiVersion: T, kind: 'Tenant', metadata: { name: 'e2e-team-c' }, spec: { namespaces: [NS.c], admins: { users: ['c@example.com'] }, defaultPool: 'e2e-serve', defaultQueue: 'e2e-qc' } },
  { apiVersion: T, kind: 'Queue', metadata: { name: 'e2e-qa' }, spec: { tenant: 'e2e-team-a', pool: 'e2e-train', guarantee: { gpu: '4' }, limit: { gpu: '8' }, lendIdle: true, priority: 100 } },
  { apiVersion: T, kind: 'Queue', metadata: { name: 'e2e-qb' }, spec: { tenant: 'e2e-team-b', pool: 'e2e-train', guarantee: { gpu: '4' }, limit: { gpu: '8' }, lendIdle: true, priority: 100 } },
  { apiVersion: T, kind: 'Queue', metadata: { name: 'e2e-qc' }, spec: { tenant: 'e2e-team-c', pool: 'e2e-serve', guarantee: { gpu: '8' }, lendIdle: false, priority: 200 } },
  { apiVersion: T, kind: 'Queue', metadata: { name: 'e2e-qb-serve' }, spec: { tenant: 'e2e-team-b', pool: 'e2e-serve', guarantee: { gpu: '0' }, limit: { gpu: '8' }, lendIdle: false, priority: 50 } },
];

function pod(name: string, queue: string, pool: string, priorityClassName: string): V1Pod {
  return {
    metadata: { name, labels: { [LABEL_QUEUE]: queue } },
    spec: {
      schedulerName: env.schedulerName,
      priorityClassName,
      nodeSelector: { [LABEL_POOL]: pool },
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'train:latest', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
    },
  };
}

async function boundIn(ns: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => isBound(p) && !p.metadata?.deletionTimestamp);
}

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  for (const ns of Object.values(NS)) await setupNamespace(core, ns);
  for (const o of objects) {
    try {
      await serverSideApply(api, o);
    } catch (err) {
      throw new Error(`create ${o.kind} ${o.metadata?.name}: ${apiError(err)}`);
    }
  }
  await createNodes(core, nodes);
});

afterAll(async () => {
  for (const ns of Object.values(NS)) await core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
  await cleanup(core, 'default', nodes);
  for (const o of [...objects].reverse()) await api.request('DELETE', await api.objectPath(o)).catch(() => undefined);
});

describe('elastic and fixed quotas', () => {
  it("an elastic queue borrows idle guarantee; the owner's pods reclaim it by preemption", async () => {
    for (let i = 0; i < 8; i++) await core.createNamespacedPod({ namespace: NS.b, body: pod(`borrow-${i}`, 'e2e-qb', 'e2e-train', 'e2e-low') });
    await waitFor('queue qb to run 8 GPUs (4 guaranteed + 4 borrowed)', async () => ((await boundIn(NS.b)).length === 8 ? true : undefined), {
      timeoutMs: 60_000,
    }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; borrow-7: ${await whyPending(core, NS.b, 'borrow-7')}`);
    });

    for (let i = 0; i < 2; i++) await core.createNamespacedPod({ namespace: NS.a, body: pod(`owner-${i}`, 'e2e-qa', 'e2e-train', 'e2e-high') });
    await waitFor("the owner's 2 pods bound after reclaiming borrowed GPUs", async () => ((await boundIn(NS.a)).length === 2 ? true : undefined), {
      timeoutMs: 90_000,
    }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; owner-0: ${await whyPending(core, NS.a, 'owner-0')}`);
    });
    const borrowers = await boundIn(NS.b);
    expect(borrowers.length).toBe(6);
    // The node never holds more than its 8 GPUs.
    expect(borrowers.length + 2).toBeLessThanOrEqual(8);
  });

  it("a borrower never preempts a fixed pool's pods, even with a higher pod priority", async () => {
    for (let i = 0; i < 8; i++) await core.createNamespacedPod({ namespace: NS.c, body: pod(`serve-${i}`, 'e2e-qc', 'e2e-serve', 'e2e-low') });
    await waitFor('fixed queue qc to run its 8 GPUs', async () => ((await boundIn(NS.c)).length === 8 ? true : undefined), { timeoutMs: 60_000 });
    const before = (await boundIn(NS.c)).map((p) => p.metadata?.uid).sort();

    await core.createNamespacedPod({ namespace: NS.b, body: pod('intruder', 'e2e-qb-serve', 'e2e-serve', 'e2e-high') });
    const msg = await waitFor('the intruder to be reported unschedulable', async () => {
      const p = await core.readNamespacedPod({ name: 'intruder', namespace: NS.b });
      return unschedulableMessage(p) || undefined;
    }, { timeoutMs: 30_000 });
    // Give preemption a few scheduling cycles to (wrongly) act.
    await new Promise((r) => setTimeout(r, 8_000));
    const intruder = await core.readNamespacedPod({ name: 'intruder', namespace: NS.b });
    expect(intruder.spec?.nodeName ?? '').toBe('');
    expect((await boundIn(NS.c)).map((p) => p.metadata?.uid).sort()).toEqual(before);
    const all = (await core.listNamespacedPod({ namespace: NS.c })).items;
    expect(all.filter((p) => p.metadata?.deletionTimestamp)).toEqual([]);
    expect(msg.length).toBeGreaterThan(0);
  });
});
