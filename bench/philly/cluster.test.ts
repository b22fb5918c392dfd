import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';

describe('consolidate placement', () => {
  it('puts a small job on the node with the fewest free GPUs that fits', () => {
    const c = new Cluster([{ vc: 'a', nodes: 3 }]);
    c.place(1, [{ node: 0, gpus: 6 }]); // node 0: 2 free
    c.place(2, [{ node: 1, gpus: 3 }]); // node 1: 5 free
    expect(c.find(2)).toEqual([{ node: 0, gpus: 2 }]);
    expect(c.find(4)).toEqual([{ node: 1, gpus: 4 }]);
    expect(c.find(8)).toEqual([{ node: 2, gpus: 8 }]);
  });
  it('gives a large job whole free nodes, and prefers the home VC', () => {
    const c = new Cluster([{ vc: 'a', nodes: 2 }, { vc: 'b', nodes: 2 }]);
    c.place(1, [{ node: 0, gpus: 1 }]);
    expect(c.find(16)).toEqual([{ node: 1, gpus: 8 }, { node: 2, gpus: 8 }]);
    expect(c.find(12, { prefer: 'b' })).toEqual([{ node: 2, gpus: 8 }, { node: 3, gpus: 4 }]);
    expect(c.find(32)).toBeNull(); // 4 whole nodes needed, 3 free
    expect(c.find(4, { home: 'a' })).toEqual([{ node: 0, gpus: 4 }]);
    c.remove(1);
    expect(c.freeGpus(0)).toBe(8);
  });
});
