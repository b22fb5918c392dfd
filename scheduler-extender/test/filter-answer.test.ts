/**
 * Filter's directly written wire JSON (node-cache mode, a node held) says exactly what the
 * per-node verdicts say: the same passing names in the order sent, the same FailedNodes and
 * FailedAndUnresolvableNodes entries, for arbitrary candidate lists (subsets, repeats,
 * unknown and index-like names) — checked against `judge` taken just before each filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { wireJson } from '../src/wire.js';
import { cacheArgs, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';
import { translatePod } from '../src/translate.js';

let h: Harness;
const NODES = ['n-a', 'n-b', 'n-c', 'n-d', 'n-e', '7'];
beforeAll(async () => {
  h = await startHarness();
  const gpus = [8, 4, 2, 1, 8, 2];
  NODES.forEach((n, i) => h.cluster.put('nodes', kubeNode(n, gpuInventory(n, gpus[i] as number))));
  h.cluster.put('nodes', kubeNode('no-agent', null));
});
afterAll(async () => {
  await h.close();
});

describe('filter answer (direct JSON path)', () => {
  it('matches the per-node verdicts for any candidate list', async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // what kube-scheduler sends: distinct known names (the directly written answer)
          fc.uniqueArray(fc.constantFrom(...NODES.slice(0, 5)), { minLength: 1, maxLength: 5 }),
          // anything: repeats, unknown, broken and index-like names (the object path)
          fc.array(fc.constantFrom(...NODES, 'ghost', 'no-agent'), { minLength: 1, maxLength: 12 }),
        ),
        fc.constantFrom('1', '2', '4', '8'),
        async (names, count) => {
          h.clock.now += 60_000; // earlier reservations expire
          const pod = kubePod(`p${seq}`, { uid: `uid-p${seq}`, resources: { 'nvidia.com/gpu': count } });
          seq++;
          h.cluster.put('pods', pod);
          const { service } = h;
          service.state.sweep(h.clock.now);
          const verdicts = service.extender.judge(translatePod(pod, service.state), names);
          const answer = service.extender.filter(cacheArgs(pod, names) as never);
          const wire = JSON.parse(wireJson(answer)) as Record<string, unknown>;
          // The in-process object and the wire text agree.
          expect(wire).toEqual(JSON.parse(JSON.stringify({ ...answer })));
          const failed: Record<string, string> = {};
          const unresolvable: Record<string, string> = {};
          const fits = new Set<string>();
          for (const v of verdicts) {
            if (v.fits) fits.add(v.node);
            else (v.unresolvable ? unresolvable : failed)[v.node] = v.reason;
          }
          expect(wire['FailedAndUnresolvableNodes']).toEqual(unresolvable);
          expect(wire['FailedNodes']).toEqual(failed);
          expect(Object.keys(wire['FailedNodes'] as object)).toEqual(Object.keys(failed));
          const held = service.state.holdings.get(`uid-p${seq - 1}`)?.decision.node;
          if (fits.size > 0) expect(held !== undefined && fits.has(held)).toBe(true);
          expect(wire['NodeNames']).toEqual(held === undefined ? [] : names.filter((n) => fits.has(n)));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('a call answered without the direct text leaves no stale entries for the next one', () => {
    const { service } = h;
    const filterFresh = (name: string, gpus: string, names: string[]): Record<string, unknown> => {
      h.clock.now += 60_000;
      const pod = kubePod(name, { uid: `uid-${name}`, resources: { 'nvidia.com/gpu': gpus } });
      h.cluster.put('pods', pod);
      return JSON.parse(wireJson(service.extender.filter(cacheArgs(pod, names) as never))) as Record<string, unknown>;
    };
    const unfit = (a: Record<string, unknown>): string[] => Object.keys({ ...(a['FailedNodes'] as object), ...(a['FailedAndUnresolvableNodes'] as object) }).sort();
    // Nothing fits (nodes too small): three unfit entries, answered through the objects (no node held).
    const none = filterFresh('stale-a', '8', ['n-b', 'n-c', 'n-d']);
    expect(unfit(none)).toEqual(['n-b', 'n-c', 'n-d']);
    expect(none['NodeNames']).toEqual([]);
    // Then one unfit and one fitting node: exactly one entry, none left over from the call before.
    const one = filterFresh('stale-b', '4', ['n-c', 'n-a']);
    expect(one['NodeNames']).toEqual(['n-a']);
    expect(unfit(one)).toEqual(['n-c']);
  });
});
