import { describe, expect, it } from 'vitest';
import { gpus } from './amount.js';
import { explainDecision, explainRefusal } from './explain.js';
import { QuotaBook } from './quota-book.js';
import { requestAmount } from './request-amount.js';
import { resolveQueue } from './resolve-queue.js';
import { makeBook, mustAdmit, req } from './test/builders.js';
import type { AdmitRequest } from './types.js';
import { ConfigError } from '../errors.js';

// Elastic pool: a (g16, limit 32, lends), b (g16, limit 32, lends), c (g8, no limit, does not lend).
function elastic(): QuotaBook {
  return makeBook({ train: 'elastic' }, [
    { name: 'a', guarantee: 16, limit: 32 },
    { name: 'b', guarantee: 16, limit: 32 },
    { name: 'c', guarantee: 8, lend: false },
  ]);
}

interface Case {
  name: string;
  setup: AdmitRequest[];
  ask: AdmitRequest;
  want: { kind: string; how?: string; refusal?: string; borrowedGpuMilli?: number };
}

describe('admission in an elastic pool', () => {
  const cases: Case[] = [
    { name: 'empty queue, inside guarantee', setup: [], ask: req('x', 'a', 8), want: { kind: 'admitted', how: 'guarantee' } },
    // a used 16 = guarantee; +4 → 20 ≤ limit 32; b lends 16 idle → borrows 4
    { name: 'borrow from an idle lender', setup: [req('s', 'a', 16)], ask: req('x', 'a', 4), want: { kind: 'admitted', how: 'borrowing', borrowedGpuMilli: 4000 } },
    // 16 + 20 = 36 > limit 32
    { name: 'over the limit', setup: [req('s', 'a', 16)], ask: req('x', 'a', 20), want: { kind: 'refused', refusal: 'over-limit' } },
    // b lends 16 − 12 = 4 idle; c does not lend; a wants to borrow 8 > 4
    { name: 'lenders do not have enough idle', setup: [req('s', 'a', 16), req('t', 'b', 12)], ask: req('x', 'a', 8), want: { kind: 'refused', refusal: 'no-idle-capacity' } },
    // b lends 4 idle: a borrows exactly 4 → fits
    { name: 'borrow exactly what is idle', setup: [req('s', 'a', 16), req('t', 'b', 12)], ask: req('x', 'a', 4), want: { kind: 'admitted', how: 'borrowing', borrowedGpuMilli: 4000 } },
    // c has no limit: 8 + 1 > guarantee 8 and no borrowing
    { name: 'no limit means no borrowing', setup: [req('s', 'c', 8)], ask: req('x', 'c', 1), want: { kind: 'refused', refusal: 'over-guarantee' } },
    // a borrows b's 16 idle (used 32); b asks 4 inside its guarantee; pool 40, but c's idle 8 is c's
    // (c does not lend): 32 + 4 > 40 − 8 → reclaim from a rather than use c's guarantee
    { name: 'a non-lender’s idle guarantee never covers others', setup: [req('s', 'a', 32)], ask: req('x', 'b', 4), want: { kind: 'needs-reclaim' } },
    // c itself may always use its idle guarantee: 32 + 8 ≤ 40
    { name: 'the non-lender uses its own idle guarantee', setup: [req('s', 'a', 32)], ask: req('x', 'c', 8), want: { kind: 'admitted', how: 'guarantee' } },
    // a borrows 16, c uses 8: pool 40 full; b's 4 inside guarantee → reclaim
    { name: 'guarantee held by a borrower needs reclaim', setup: [req('s', 'a', 32), req('t', 'c', 8)], ask: req('x', 'b', 4), want: { kind: 'needs-reclaim' } },
    { name: 'unknown queue', setup: [], ask: req('x', 'nope', 1), want: { kind: 'refused', refusal: 'unknown-queue' } },
    // borrowing a fraction: 16 + 0.25 → borrows 250 milli
    { name: 'a quarter GPU borrowed', setup: [req('s', 'a', 16)], ask: { ...req('x', 'a', 0), amount: { gpuMilli: 250, memoryMiB: 0 } }, want: { kind: 'admitted', how: 'borrowing', borrowedGpuMilli: 250 } },
  ];
  it.each(cases)('$name', ({ setup, ask, want }) => {
    const book = elastic();
    for (const r of setup) mustAdmit(book, r);
    const d = book.check(ask);
    expect(d.kind).toBe(want.kind);
    if (d.kind === 'admitted') {
      expect(d.how).toBe(want.how);
      if (want.borrowedGpuMilli !== undefined) expect(d.borrowed.gpuMilli).toBe(want.borrowedGpuMilli);
    }
    if (d.kind === 'refused') expect(d.refusal.kind).toBe(want.refusal);
  });
});

describe('fixed and mixed pools', () => {
  const book = makeBook({ serve: 'fixed', test: 'mixed' }, [
    { name: 'f', pool: 'serve', guarantee: 8, limit: 16 },
    { name: 'g', pool: 'serve', guarantee: 8, limit: 16 },
    { name: 'm', pool: 'test', guarantee: 4, limit: 8 },
    { name: 'n', pool: 'test', guarantee: 4, limit: 8 },
  ]);
  it('a fixed-pool queue never borrows, even with a limit and an idle neighbour', () => {
    const d = book.check(req('x', 'f', 9));
    expect(d.kind === 'refused' && d.refusal.kind === 'over-guarantee' && d.refusal.why).toBe('fixed-pool');
  });
  it('a fixed-pool queue never lends', () => {
    expect(book.lends(book.queues.get('f')!)).toBe(false);
    expect(book.figures('g', book.usedSnapshot()).availableToBorrow.gpuMilli).toBe(0);
  });
  it('in a mixed pool the quota-mode label decides (default fixed)', () => {
    const fixed = book.check(req('x', 'm', 6));
    expect(fixed.kind === 'refused' && fixed.refusal.kind === 'over-guarantee' && fixed.refusal.why).toBe('fixed-mode');
    const elasticPod = book.check(req('y', 'm', 6, 0, 'elastic'));
    expect(elasticPod).toMatchObject({ kind: 'admitted', how: 'borrowing', mode: 'elastic' });
  });
});

describe('usage and lending figures', () => {
  it('attributes borrowing to lenders, lowest queue priority first', () => {
    const book = makeBook({ p: 'elastic' }, [
      { name: 'a', guarantee: 8, limit: 24 },
      { name: 'hi', guarantee: 8, priority: 10 },
      { name: 'lo', guarantee: 8, priority: 1 },
    ]);
    mustAdmit(book, req('s', 'a', 20)); // borrows 12: lo lends 8 (lower priority first), hi lends 4
    const byName = Object.fromEntries(book.usage().map((f) => [f.queue, f]));
    expect(byName.a?.borrowed.gpuMilli).toBe(12000);
    expect(byName.lo?.lent.gpuMilli).toBe(8000);
    expect(byName.hi?.lent.gpuMilli).toBe(4000);
    expect(byName.a?.availableToBorrow.gpuMilli).toBe(4000); // 16 idle lent − 12 borrowed
  });
});

describe('per-model queues', () => {
  const book = new QuotaBook({
    pools: [{ name: 'p', mode: 'elastic' }],
    tenants: [{ name: 't', namespaces: ['t'] }],
    queues: [
      { name: 'h', tenant: 't', pool: 'p', model: 'H100', guarantee: gpus(8), limit: gpus(16), lendIdle: true, priority: 0 },
      { name: 'a', tenant: 't', pool: 'p', model: 'A100', guarantee: gpus(8), limit: gpus(16), lendIdle: true, priority: 0 },
      { name: 'h2', tenant: 't', pool: 'p', model: 'H100', guarantee: gpus(4), limit: gpus(8), lendIdle: true, priority: 0 },
    ],
  });
  it('borrows only from queues of the same model', () => {
    // h may borrow h2's idle 4 H100s, never a's 8 A100s: 8 + 4 fits, 8 + 5 does not
    expect(book.check({ ...req('x', 'h', 12), model: 'H100' })).toMatchObject({ kind: 'admitted', how: 'borrowing' });
    const d = book.check({ ...req('y', 'h', 13), model: 'h100' });
    expect(d.kind === 'refused' && d.refusal.kind).toBe('no-idle-capacity');
  });
  it('refuses a pod for another model', () => {
    const d = book.check({ ...req('z', 'h', 1), model: 'A100' });
    expect(d.kind === 'refused' && d.refusal).toMatchObject({ kind: 'model-mismatch', queueModel: 'H100', podModel: 'A100' });
    expect(explainDecision(d)).toContain('counts only H100');
  });
});

describe('contention for idle capacity', () => {
  it('orders queues by queue priority, then by how little of their guarantee they use', () => {
    const book = makeBook({ p: 'elastic' }, [
      { name: 'x', guarantee: 8, limit: 16, priority: 0 },
      { name: 'y', guarantee: 8, limit: 16, priority: 0 },
      { name: 'z', guarantee: 8, limit: 16, priority: 5 },
    ]);
    mustAdmit(book, req('x1', 'x', 6)); // x uses 6/8, y 2/8, z 8/8
    mustAdmit(book, req('y1', 'y', 2));
    mustAdmit(book, req('z1', 'z', 8));
    expect(['x', 'y', 'z'].sort((a, b) => book.compareForBorrowing(a, b))).toEqual(['z', 'y', 'x']);
  });
});

describe('explanations', () => {
  it('says which queue, which limit, used, borrowed and lent', () => {
    const book = makeBook({ training: 'elastic' }, [
      { name: 'vision-training', guarantee: 16, limit: 32 },
      { name: 'nlp', guarantee: 16, limit: 16 },
    ]);
    mustAdmit(book, { ...req('s', 'vision-training', 0), amount: { gpuMilli: 15500, memoryMiB: 0 } });
    mustAdmit(book, { ...req('t', 'nlp', 0), amount: { gpuMilli: 15500, memoryMiB: 0 } });
    const d = book.check(req('x', 'vision-training', 2));
    expect(d.kind).toBe('refused');
    if (d.kind !== 'refused') return;
    const text = explainRefusal(d.refusal);
    expect(text).toContain('queue vision-training (tenant t-vision-training, pool training)');
    expect(text).toContain('needs 2 GPU');
    expect(text).toContain('guarantee 16, used 15.5, borrowed 0');
    expect(text).toContain('limit 32');
    expect(text).toContain('idle capacity lent by others: 0.5 GPU');
    expect(explainDecision(book.check(req('y', 'vision-training', 0.5)))).toContain('admitted');
  });
});

describe('configuration errors name the field', () => {
  const base = { pools: [{ name: 'p', mode: 'elastic' as const }], tenants: [{ name: 't', namespaces: [] }] };
  it.each([
    { name: 'limit below guarantee', queues: [{ name: 'q', tenant: 't', pool: 'p', guarantee: gpus(4), limit: gpus(2), lendIdle: true, priority: 0 }], want: 'queue q.limit' },
    { name: 'unknown pool', queues: [{ name: 'q', tenant: 't', pool: 'x', guarantee: gpus(4), lendIdle: true, priority: 0 }], want: 'queue q.pool' },
    { name: 'fractional milli', queues: [{ name: 'q', tenant: 't', pool: 'p', guarantee: { gpuMilli: 0.5, memoryMiB: 0 }, lendIdle: true, priority: 0 }], want: 'queue q.guarantee.gpu' },
  ])('$name', ({ queues, want }) => {
    expect(() => new QuotaBook({ ...base, queues })).toThrow(ConfigError);
    expect(() => new QuotaBook({ ...base, queues })).toThrow(want);
  });
});

describe('request amounts in accelerator units', () => {
  const h100 = { memoryMiB: 81920 };
  it.each([
    // 2 whole GPUs → 2000 milli, 2 × 81920 MiB
    { name: 'whole devices', r: { kind: 'whole' as const, vendor: 'nvidia' as const, count: 2 }, want: { gpuMilli: 2000, memoryMiB: 163840 } },
    // 25 % memory, 10 % compute → max = 25 % = 250 milli; 81920 × 0.25 = 20480 MiB
    { name: 'a quarter share by memory', r: { kind: 'share' as const, vendor: 'nvidia' as const, count: 1, memoryPercent: 25, computeMilli: 100 }, want: { gpuMilli: 250, memoryMiB: 20480 } },
    // 8192 / 81920 = 10 % memory, 30 % compute → 300 milli per device × 2 devices
    { name: 'compute dominates, two devices', r: { kind: 'share' as const, vendor: 'nvidia' as const, count: 2, memoryMiB: 8192, computeMilli: 300 }, want: { gpuMilli: 600, memoryMiB: 16384 } },
  ])('$name', ({ r, want }) => {
    expect(requestAmount(r, h100)).toEqual(want);
  });
  it('divides compute by the pool overcommit, never memory', () => {
    // 30 % compute / 1.5 = 20 %; memory 8192 / 81920 = 10 % → 200 milli
    expect(requestAmount({ kind: 'share', vendor: 'nvidia', count: 1, memoryMiB: 8192, computeMilli: 300 }, h100, { computeOvercommit: 1.5 })).toEqual({ gpuMilli: 200, memoryMiB: 8192 });
    expect(() => requestAmount({ kind: 'share', vendor: 'nvidia', count: 1, computeMilli: 300 }, h100, { computeOvercommit: 0.5 })).toThrow(/overcommit/);
  });
  it('counts a vNPU template by AI cores', () => {
    // vir04 on a 32-core Ascend 910: 4/32 = 125 milli
    expect(requestAmount({ kind: 'share', vendor: 'ascend', count: 1, template: 'vir04' }, { memoryMiB: 32768, aiCores: 32 }).gpuMilli).toBe(125);
    expect(() => requestAmount({ kind: 'share', vendor: 'ascend', count: 1, template: '2c' }, { memoryMiB: 32768 })).toThrow(/AI core/);
  });
});

describe('queue resolution', () => {
  const book = new QuotaBook({
    pools: [{ name: 'p', mode: 'elastic' }],
    tenants: [{ name: 'vision', namespaces: ['vision-train'], defaultQueue: 'vq' }, { name: 'nlp', namespaces: ['nlp'] }],
    queues: [
      { name: 'vq', tenant: 'vision', pool: 'p', guarantee: gpus(1), lendIdle: true, priority: 0 },
      { name: 'nq', tenant: 'nlp', pool: 'p', guarantee: gpus(1), lendIdle: true, priority: 0 },
    ],
  });
  it('uses the label, else the tenant default, and refuses another tenant’s queue', () => {
    expect(resolveQueue(book, 'vision-train')).toMatchObject({ kind: 'queue', queue: 'vq' });
    expect(resolveQueue(book, 'nlp', { 'tessera.io/queue': 'nq' })).toMatchObject({ kind: 'queue', queue: 'nq' });
    expect(resolveQueue(book, 'vision-train', { 'tessera.io/queue': 'nq' }).kind).toBe('none');
    expect(resolveQueue(book, 'nlp').kind).toBe('none');
  });
});
