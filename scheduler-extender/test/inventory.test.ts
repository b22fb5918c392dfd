/** Node JSON → core Node: the agent's slotsPerDevice becomes the core share-slot cap. */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeEntryFrom } from '../src/inventory.js';
import { cacheArgs, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('inventory → core Node', () => {
  it('property: maxSharesPerDevice equals the advertised slotsPerDevice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8 }), (slots, gpus) => {
        const e = nodeEntryFrom(kubeNode('n1', { ...gpuInventory('n1', gpus), slotsPerDevice: slots }));
        expect(e?.problem).toBeNull();
        expect(e?.node.maxSharesPerDevice).toBe(slots);
      }),
    );
  });

  it('a node without inventory has no cap (and no devices)', () => {
    const e = nodeEntryFrom(kubeNode('n1', null));
    expect(e?.node.maxSharesPerDevice).toBeUndefined();
    expect(e?.node.devices).toHaveLength(0);
  });

  it('filter never puts more shares on a GPU than it has slots (4 slots, 10 % shares)', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', { ...gpuInventory('n1', 1), slotsPerDevice: 4 }));
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pod = kubePod(`s${i}`, { resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem-percentage': '10', 'nvidia.com/gpucores': '10' } });
      h.cluster.put('pods', pod);
      const f = await h.post('/filter', cacheArgs(pod, ['n1']));
      expect(f.status).toBe(200);
      if ((f.json.NodeNames ?? []).includes('n1')) {
        const b = await h.post('/bind', { PodName: `s${i}`, PodNamespace: 'ml', PodUID: `uid-s${i}`, Node: 'n1' });
        expect(b.json.Error).toBe('');
        placed.push(`s${i}`);
      } else {
        expect(JSON.stringify(f.json.FailedNodes)).toMatch(/slot/i);
      }
    }
    expect(placed).toHaveLength(4);
  });
});
