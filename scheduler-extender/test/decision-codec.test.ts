/**
 * The decision annotation's decoder (now a compiled validator): what bind writes decodes back
 * unchanged, and every kind of damage is refused with the path and what was expected.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { POD_DECISION, type Decision } from '../../core/index.js';
import { decisionAnnotations, decodeDecision } from '../src/decision-codec.js';

const base: Decision = {
  version: 1,
  podUid: 'uid-1',
  namespace: 'ns',
  name: 'p',
  node: 'n-a',
  isolation: 'hami-core',
  containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: 'GPU-0', index: 0, memoryMiB: 4096, computeMilli: 300, exclusive: false }] }],
  queue: 'team-a',
  decidedAtMs: 1_700_000_000_000,
};

const problemOf = (d: unknown): string => {
  const r = decodeDecision(JSON.stringify(d), 'uid-1');
  return 'problem' in r ? r.problem : '';
};

describe('decodeDecision', () => {
  it('decodes what bind writes, for any counts and shares', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ memoryMiB: fc.nat(81_920), computeMilli: fc.nat(1000), exclusive: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('exclusive', 'hami-core', 'mps', 'mig', 'time-slicing', 'vnpu'),
        (devs, isolation) => {
          const d = { ...base, isolation, containers: [{ ...base.containers[0]!, devices: devs.map((x, i) => ({ id: `GPU-${i}`, index: i, ...x })) }] } as Decision;
          const r = decodeDecision(decisionAnnotations(d)[POD_DECISION] as string, 'uid-1');
          expect(r).toEqual({ decision: d });
        },
      ),
    );
  });

  it('refuses damaged decisions, naming where', () => {
    expect(problemOf({ ...base, version: 2 })).toMatch(/^annotation tessera\.io\/decision: \/version /);
    expect(problemOf({ ...base, node: '' })).toMatch(/\/node /);
    expect(problemOf({ ...base, isolation: 'shared' })).toMatch(/\/isolation /);
    expect(problemOf({ ...base, decidedAtMs: '1' })).toMatch(/\/decidedAtMs /);
    const { podUid: _u, ...noUid } = base;
    expect(problemOf(noUid)).not.toBe('');
    const dev = base.containers[0]!.devices[0]!;
    expect(problemOf({ ...base, containers: [{ ...base.containers[0]!, devices: [{ ...dev, index: -1 }] }] })).toMatch(/\/containers\/0\/devices\/0\/index /);
    expect(problemOf({ ...base, containers: [{ ...base.containers[0]!, devices: [{ ...dev, id: '' }] }] })).toMatch(/\/containers\/0\/devices\/0\/id /);
    expect(problemOf({ ...base, containers: [{ ...base.containers[0]!, index: 1.5 }] })).toMatch(/\/containers\/0\/index /);
    expect(problemOf({ ...base, containers: [{ ...base.containers[0]!, devices: [{ ...dev, exclusive: 'yes' }] }] })).toMatch(/exclusive/);
    expect(problemOf({ ...base, pool: 3 })).toMatch(/\/pool /);
    expect(decodeDecision('{not json', 'uid-1')).toEqual({ problem: `annotation ${POD_DECISION}: not JSON` });
    expect(problemOf(base)).toBe('');
    expect('problem' in decodeDecision(JSON.stringify(base), 'uid-other')).toBe(true);
  });
});
