/**
 * The control plane itself: kwok turns our fixture-shaped nodes Ready without
 * touching their accelerator capacity or inventory, and kube-scheduler (running
 * as the ServiceAccount from manifests/rbac, with the Tessera profile) binds a
 * pod that asks for no accelerators without consulting the extender.
 */
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_INVENTORY } from '../../core/annotations.js';
import { clients, e2eEnv, ensureNamespace, isBound, isRunning, waitForPod } from '../lib/kube.js';
import { ascendInventory, fakeNode, gpuInventory, SHAPES } from '../lib/nodes.js';
import { waitFor } from '../lib/procs.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-smoke';
const nodes = [
  fakeNode({ name: 'smoke-h100', inventory: gpuInventory('smoke-h100', SHAPES.dgxH100), labels: { 'e2e/scenario': 'smoke' } }),
  fakeNode({ name: 'smoke-ascend', inventory: ascendInventory(), labels: { 'e2e/scenario': 'smoke' } }),
];

beforeAll(async () => {
  await ensureNamespace(core, ns);
  for (const n of nodes) await core.createNode({ body: n });
});

afterAll(async () => {
  await core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 });
  for (const n of nodes) await core.deleteNode({ name: n.metadata?.name ?? '' });
});

describe('control plane from Go modules', () => {
  it('kwok makes fixture nodes Ready and keeps their accelerator capacity and inventory', async () => {
    for (const want of nodes) {
      const name = want.metadata?.name ?? '';
      const got = await waitFor<V1Node>(`node ${name} Ready`, async () => {
        const n = await core.readNode({ name });
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      });
      expect(got.status?.allocatable).toMatchObject(want.status?.allocatable ?? {});
      expect(got.metadata?.annotations?.[NODE_INVENTORY]).toBe(want.metadata?.annotations?.[NODE_INVENTORY]);
    }
  });

  it(`kube-scheduler binds a pod without accelerators through the ${env.schedulerName} profile and kwok runs it`, async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'plain' },
        spec: {
          schedulerName: env.schedulerName,
          nodeSelector: { 'e2e/scenario': 'smoke' },
          containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1' } } }],
        },
      },
    });
    const pod = await waitForPod(core, ns, 'plain', 'Running', (p) => isBound(p) && isRunning(p));
    expect(['smoke-h100', 'smoke-ascend']).toContain(pod.spec?.nodeName);
  });
});
